/**
 * A hako project: the folder holding `.hako/secrets.json`, found from any subfolder.
 * Reading parses strictly; every change goes through `updateSecretsFile`, which re-reads
 * the file under the lock, applies the change and writes atomically only when the bytes
 * differ, so concurrent writers of different names lose nothing.
 */
import { existsSync, lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HakoError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { assertNoConflictMarkers } from '../core/formats/conflict-markers.js';
import { conflictError, HAKO_CONFLICT } from '../core/formats/secrets-conflict.js';
import {
  encodeSecretsFile,
  parseSecretsFile,
  FORMAT_VERSION,
  SECRETS_FILE_NAME,
  type EnvironmentRecord,
  type SecretsFile,
} from '../core/formats/secrets-file.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { staleLockNotice, withFileLock } from '../core/fs/lock.js';
import { resolveKey, type OpenedEnvironment } from '../core/keys/resolve-key.js';
import type { KeyTarget } from '../core/keys/key-source.js';
import { keySourcesFor, type ServiceContext } from './context.js';
import { checkContinuity, type TrustDecision } from './continuity.js';
import { explicitKeysFor } from './explicit-keys.js';
import { fillBoundNames, openSopsEnvironment } from './sops-env.js';

export interface Project {
  /** The folder holding `.hako/` (its real path). */
  root: string;
  file: string;
  /** The git work tree that holds it, or null where there is none (a container image). */
  gitRoot: string | null;
}

/**
 * The project for a command run in `ctx.cwd`: the nearest `.hako/secrets.json` in this folder
 * or above it, but never above the git work tree's root (a file planted in a shared parent
 * such as /tmp is not this repository's). Outside any git work tree only the current folder
 * counts. Like git's safe.directory, a `.hako` owned by another user, or a symbolic link, is
 * refused before anything is read: such a file could run code through `hako run` or point at
 * another project's secrets. HAKO_SAFE_DIRECTORY (an absolute path, or `*`) allows one on purpose.
 */
export function findProject(ctx: { cwd: string; env: NodeJS.ProcessEnv }): Project {
  const cwd = ctx.cwd;
  const gitRoot = findGitRoot(cwd);
  let dir = cwd;
  while (true) {
    const file = join(dir, SECRETS_FILE_NAME);
    if (existsSync(file) || isSymlink(join(dir, '.hako'))) {
      assertSafeProject(dir, ctx.env);
      return { root: realpathSync(dir), file, gitRoot: gitRoot && realpathSync(gitRoot) };
    }
    const parent = dirname(dir);
    if (gitRoot === null || dir === gitRoot || parent === dir) break;
    dir = parent;
  }
  throw new HakoError(
    'E_NO_PROJECT',
    gitRoot
      ? `no ${SECRETS_FILE_NAME} in ${cwd} or any folder above it up to the git work tree root ${gitRoot}`
      : `no ${SECRETS_FILE_NAME} in ${cwd} (not inside a git work tree, so hako looks in the current folder only)`,
    'run `hako init` at the root of your git repository, or cd into the project',
  );
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function assertSafeProject(root: string, env: NodeJS.ProcessEnv): void {
  const safe = env['HAKO_SAFE_DIRECTORY'];
  if (safe === '*' || (safe && safe.startsWith('/') && safe.replace(/\/+$/, '') === root.replace(/\/+$/, ''))) return;
  for (const p of [join(root, '.hako'), join(root, SECRETS_FILE_NAME)]) {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) {
      throw new HakoError(
        'E_UNSAFE_PROJECT',
        `${p} is a symbolic link; hako reads secrets only from a real file in the repository`,
        `replace the link with the file itself, or allow this folder on purpose: HAKO_SAFE_DIRECTORY=${root}`,
      );
    }
    const uid = typeof process.getuid === 'function' ? process.getuid() : null;
    if (uid !== null && st.uid !== uid) {
      throw new HakoError(
        'E_UNSAFE_PROJECT',
        `${p} is owned by another user (uid ${st.uid}), not by you (uid ${uid})`,
        `a file someone else can write could run code as you through hako run; take ownership (chown) if it is yours, or allow it on purpose: HAKO_SAFE_DIRECTORY=${root}`,
      );
    }
  }
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
  // hako's merge driver labels its markers by environment and name: list those; git's own say less.
  if (HAKO_CONFLICT.test(text)) throw conflictError(text, displayPath(project));
  assertNoConflictMarkers(text, displayPath(project));
  return text;
}

/** The parsed file; SOPS-bound environments get their secret names (read from their files, nothing opened). */
export function loadSecretsFile(project: Project): SecretsFile {
  const file = parseSecretsFile(readSecretsText(project), displayPath(project));
  fillBoundNames(project, file);
  return file;
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

export interface OpenEnvironmentResult extends OpenedEnvironment {
  trust: TrustDecision;
}

/**
 * Finds the key of `env` and decides whether this machine may use it: the key must fit the
 * entry and its chain (continuity.ts), and keys the person supplied for this environment
 * (HAKO_KEY, its passphrase variable) must be for this very key, never skipped over.
 */
export async function openEnvironment(
  ctx: ServiceContext,
  project: Project,
  file: SecretsFile,
  env: string,
): Promise<OpenEnvironmentResult> {
  const record = requireEnvironment(file, env);
  if (record.sops) return openSopsEnvironment(ctx, project, env, record);
  const explicit = explicitKeysFor(ctx, env, record);
  const opened = await resolveKey(keyTarget(env, record), keySourcesFor(ctx));
  const trust = await checkContinuity(
    ctx,
    project,
    env,
    record,
    { key: opened.key, label: opened.label, explicitHead: opened.kind === 'bundle-env' },
    explicit.staleAnchor,
  );
  return { ...opened, trust };
}

/** Refuses a write with a key that is only readable here (an older checkout). */
export function assertWritable(env: string, opened: OpenEnvironmentResult): void {
  if (opened.trust.writable) return;
  throw new HakoError(
    'E_STALE_KEY',
    `environment '${env}' is open with a retired key (this checkout is older than the key this machine trusts); nothing was written`,
    'switch to the newest commit of your branch (git pull, or git switch back) and run the command there',
  );
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
      let after = encodeSecretsFile(file);
      if (after === before) return { result, written: false };
      if (file.version !== FORMAT_VERSION) {
        file.version = FORMAT_VERSION; // a format-1 file becomes format 2 on its first change
        after = encodeSecretsFile(file);
      }
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
