/**
 * A hako project: the folder holding `.hako/secrets.json`, found from any subfolder.
 * Reading parses strictly; every change goes through `updateSecretsFile`, which re-reads
 * the file under the lock, applies the change and writes atomically only when the bytes
 * differ, so concurrent writers of different names lose nothing.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HakoError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { assertNoConflictMarkers } from '../core/formats/conflict-markers.js';
import {
  encodeSecretsFile,
  parseSecretsFile,
  SECRETS_FILE_NAME,
  type EnvironmentRecord,
  type SecretsFile,
} from '../core/formats/secrets-file.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { staleLockNotice, withFileLock } from '../core/fs/lock.js';
import { resolveKey, type OpenedEnvironment } from '../core/keys/resolve-key.js';
import type { KeyTarget } from '../core/keys/key-source.js';
import { keySourcesFor, type ServiceContext } from './context.js';

export interface Project {
  root: string;
  file: string;
}

export function findProject(cwd: string): Project {
  let dir = cwd;
  while (true) {
    const file = join(dir, SECRETS_FILE_NAME);
    if (existsSync(file)) return { root: dir, file };
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new HakoError(
    'E_NO_PROJECT',
    `no ${SECRETS_FILE_NAME} in ${cwd} or any folder above it`,
    'run `hako init` at the root of your git repository',
  );
}

/** The git work tree containing `cwd` (found without running git), or null. */
export function findGitRoot(cwd: string): string | null {
  let dir = cwd;
  while (true) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function readSecretsText(project: Project): string {
  let text: string;
  try {
    text = readFileSync(project.file, 'utf8');
  } catch (err) {
    throw new HakoError(
      'E_IO',
      `cannot read ${project.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      'check the file exists and is readable',
    );
  }
  assertNoConflictMarkers(text, displayPath(project));
  return text;
}

export function loadSecretsFile(project: Project): SecretsFile {
  return parseSecretsFile(readSecretsText(project), displayPath(project));
}

/** How messages name the file: relative to the project root, the same on every machine. */
export function displayPath(_project: Project): string {
  return SECRETS_FILE_NAME;
}

export function requireEnvironment(file: SecretsFile, env: string): EnvironmentRecord {
  const record = file.environments.get(env);
  if (!record) {
    const known = [...file.environments.keys()];
    const near = didYouMean(env, known, (e) => `'${e}'`);
    throw new HakoError(
      'E_NO_ENV',
      `no environment '${env}' in this project`,
      known.length
        ? `${near ? `${near} ` : ''}known environments: ${known.join(', ')}; a new one is made only by hako env add ${env}`
        : `create it with hako env add ${env}`,
    );
  }
  return record;
}

export function keyTarget(env: string, record: EnvironmentRecord): KeyTarget {
  const t: KeyTarget = { env, keyId: record.keyId, check: record.check, recipients: record.recipients };
  if (record.passphrase) t.passphrase = record.passphrase;
  return t;
}

export function openEnvironment(ctx: ServiceContext, file: SecretsFile, env: string): Promise<OpenedEnvironment> {
  return resolveKey(keyTarget(env, requireEnvironment(file, env)), keySourcesFor(ctx));
}

/**
 * Applies `change` to the freshest file under the lock. `change` mutates the file it gets
 * and returns a result; the file is written only when its encoding changed.
 */
export async function updateSecretsFile<T>(
  ctx: ServiceContext,
  project: Project,
  change: (file: SecretsFile) => Promise<T> | T,
): Promise<{ result: T; written: boolean }> {
  return withFileLock(
    project.file,
    async () => {
      const before = readSecretsText(project);
      const file = parseSecretsFile(before, displayPath(project));
      const result = await change(file);
      const after = encodeSecretsFile(file);
      if (after === before) return { result, written: false };
      writeFileAtomic(project.file, after, { mode: fileMode(project.file) });
      return { result, written: true };
    },
    {
      onStaleLock: (info) => ctx.notice(staleLockNotice(info)),
    },
  );
}

function fileMode(path: string): number {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return 0o644;
  }
}
