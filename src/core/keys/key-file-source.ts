/**
 * Key files: $HAKO_HOME/keys/<key_id>, standard base64 of K on one line, mode 0600 in a
 * 0700 folder. Like ssh, a key file that group or others can read is refused.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HakoError, isHakoError } from '../errors.js';
import { decodeBase64Strict } from '../crypto/base64.js';
import { KEY_BYTES } from '../crypto/random.js';
import { writeFileExclusive } from '../fs/exclusive-write.js';
import { assertKeysOutside, keyStoreError, keysDir } from '../home.js';
import { readPrivateFile } from '../fs/private-file.js';
import type { KeyAnswer, KeyContext, KeySource, KeyTarget } from './key-source.js';

export function keyFilePath(keyId: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(keysDir(env), keyId);
}

/** Reads a key file: null when there is none; throws when it is unsafe or damaged. */
export function readKeyFile(path: string): Buffer | null {
  const bytes = readPrivateFile(path, {
    notAFileHint: `hako keeps one key per file there: remove ${path} (it is not a key), then import the key again with hako key import`,
  });
  if (bytes === null) return null;
  const key = decodeBase64Strict(bytes.toString('utf8').trim());
  if (!key || key.length !== KEY_BYTES) {
    throw new HakoError('E_FORMAT', `key file ${path} is damaged`, 'import the key again with `hako key import`');
  }
  return key;
}

/**
 * Stores a new key file; never replaces one (a key id already taken is E_KEY_CONFLICT). A key
 * folder inside a repository, or one that cannot be written, is refused clearly.
 */
export function writeKeyFile(keyId: string, key: Buffer, env: NodeJS.ProcessEnv = process.env): string {
  const dir = keysDir(env);
  assertKeysOutside(null, dir);
  const path = join(dir, keyId);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileExclusive(path, `${key.toString('base64')}\n`, { mode: 0o600, dirMode: 0o700 });
  } catch (err) {
    if (isHakoError(err) && err.code === 'E_EXISTS' && !isDirectory(path)) {
      throw new HakoError(
        'E_KEY_CONFLICT',
        `a key file for key id ${keyId} already exists; hako never overwrites a key`,
        `nothing was written; look at ${path}`,
      );
    }
    if (isDirectory(path)) throw keyStoreError(Object.assign(new Error('EISDIR'), { code: 'EISDIR' }), path, env);
    throw keyStoreError(err, path, env);
  }
  return path;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export class KeyFileSource implements KeySource {
  readonly kind = 'key-file' as const;

  constructor(private readonly ctx: KeyContext) {}

  async find(target: KeyTarget): Promise<KeyAnswer> {
    const path = keyFilePath(target.keyId, this.ctx.env);
    const key = readKeyFile(path);
    if (!key) return { missed: `no key file ${path}` };
    return { key, label: path };
  }
}
