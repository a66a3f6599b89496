/**
 * `hako init`: `.hako/secrets.json` at the root of the current git work tree, with its first
 * environment, and what git needs beside it. Safe to run again: an existing file is checked,
 * never replaced, and only what is missing is added.
 *
 * - `.hako/.gitattributes`: `secrets.json -text`. git stores and checks out the exact bytes
 *   (the file is canonical; a line-ending conversion would change every line), and diffs stay
 *   readable. A merge or diff driver for the file would go on this same line.
 * - `.hako/.gitignore`: the lock file and the temp files of a writer that was killed are
 *   never committed.
 * - Key files never live inside the repository: a HAKO_HOME inside the work tree is refused.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HakoError } from '../core/errors.js';
import { emptySecretsFile, encodeSecretsFile, parseSecretsFile, SECRETS_FILE_NAME } from '../core/formats/secrets-file.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { assertKeysOutside, keysDir } from '../core/home.js';
import { addEnvironment } from './environments.js';
import { findGitRoot, readSecretsText } from './project.js';
import { defaultEnv } from './secrets.js';
import type { ServiceContext } from './context.js';

/** The lines hako keeps in `.hako/.gitattributes` and `.hako/.gitignore`. */
export const GIT_ATTRIBUTES = ['secrets.json -text'];
export const GIT_IGNORE = ['*.lock', '.*.tmp'];

export interface InitResult {
  root: string;
  file: string;
  created: boolean;
  /** The first environment, when this run made it. */
  environment?: { name: string; keyId: string; keyFile: string; passphrase: boolean };
  /** Files under .hako/ this run wrote (relative to the root). */
  wrote: string[];
}

/** With `environment: false` no first environment is made (hako init --sops binds one instead). */
export async function initProject(
  ctx: ServiceContext,
  opts: { env?: string; passphrase?: string; environment?: boolean } = {},
): Promise<InitResult> {
  const root = findGitRoot(ctx.cwd);
  if (!root)
    throw new HakoError(
      'E_NOT_GIT',
      `${ctx.cwd} is not inside a git repository`,
      'run `git init` first; hako keeps its file in your repository',
    );
  assertKeysOutside(root, keysDir(ctx.env));
  const env = defaultEnv(ctx, opts.env);
  const file = join(root, SECRETS_FILE_NAME);
  let created = false;
  let environments = 0;
  if (existsSync(file)) {
    environments = parseSecretsFile(readSecretsText({ root, file, gitRoot: root })).environments.size; // an existing file must be valid
  } else {
    writeFileAtomic(file, encodeSecretsFile(emptySecretsFile()), { mode: 0o644, dirMode: 0o755 });
    created = true;
  }
  const wrote: string[] = [];
  if (ensureLines(join(root, '.hako', '.gitattributes'), GIT_ATTRIBUTES, '# hako: exact bytes, no line-ending conversion')) {
    wrote.push('.hako/.gitattributes');
  }
  if (ensureLines(join(root, '.hako', '.gitignore'), GIT_IGNORE, '# hako: a lock or a temp file left by a killed writer')) {
    wrote.push('.hako/.gitignore');
  }
  const result: InitResult = { root, file, created, wrote };
  if (environments === 0 && opts.environment !== false) {
    const made = await addEnvironment({ ...ctx, cwd: root }, env, opts.passphrase);
    result.environment = { name: env, keyId: made.keyId, keyFile: made.keyFile, passphrase: opts.passphrase !== undefined };
  } else if (opts.passphrase !== undefined) {
    throw new HakoError(
      'E_EXISTS',
      `this project already has environments; init made none`,
      `add one with hako env add ${env} --passphrase`,
    );
  }
  return result;
}

/** Appends the lines `path` lacks (creating it with `header`); true when it wrote. */
function ensureLines(path: string, lines: readonly string[], header: string): boolean {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    text = '';
  }
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim()));
  const missing = lines.filter((l) => !have.has(l));
  if (missing.length === 0) return false;
  const head = text === '' ? `${header}\n` : text.endsWith('\n') ? '' : '\n';
  writeFileAtomic(path, `${text}${head}${missing.join('\n')}\n`, { mode: 0o644, dirMode: 0o755 });
  return true;
}
