/**
 * The device key: 32 random bytes in a 0600 file in the state directory, which encrypts
 * every value the agent stores (AES-256-GCM under a subkey derived with HKDF).
 *
 * What it protects: the database, its WAL and any copy of them (a backup, a disk image, a
 * file carried off by a bug that leaks files but not this one) hold no readable value. What
 * it does not: anyone who can read the state directory as the agent's user (or root) reads
 * the key too, and so every value, as the running apps can. It is not a hardware-bound key.
 *
 * Each sealed value is bound by its additional data to where it belongs (environment,
 * version, name), so a row moved to another place in the database fails to open.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { HakoError } from '../core/errors.js';
import { writeFileExclusive } from '../core/fs/exclusive-write.js';
import { readPrivateFile } from '../core/fs/private-file.js';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FILE_PREFIX = 'hako-agent-device-key:1:';

export function createDeviceKey(path: string): void {
  writeFileExclusive(path, `${FILE_PREFIX}${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, dirMode: 0o700 });
}

export function readDeviceKey(path: string): Buffer {
  const bytes = readPrivateFile(path);
  if (bytes === null) throw new HakoError('E_AGENT', `no device key at ${path}`, 'set up the agent directory with `hako agent init`');
  const text = bytes.toString('utf8').trim();
  const key = text.startsWith(FILE_PREFIX) ? Buffer.from(text.slice(FILE_PREFIX.length), 'base64') : null;
  if (!key || key.length !== KEY_BYTES) {
    throw new HakoError(
      'E_FORMAT',
      `${path} is not a hako agent device key`,
      'restore it from a backup; without it the stored values cannot be opened',
    );
  }
  return key;
}

/** Seals and opens byte strings under the device key, each bound to its additional data. */
export class DeviceCipher {
  private readonly key: Buffer;

  constructor(deviceKey: Uint8Array) {
    this.key = Buffer.from(hkdfSync('sha256', deviceKey, Buffer.alloc(0), 'hako agent store v1', KEY_BYTES));
  }

  seal(aad: string, plaintext: Uint8Array): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    c.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([c.update(plaintext), c.final()]);
    return Buffer.concat([nonce, body, c.getAuthTag()]);
  }

  /** The plaintext, or null when the bytes were changed, moved or sealed under another key. */
  open(aad: string, sealed: Uint8Array): Buffer | null {
    if (sealed.length < NONCE_BYTES + TAG_BYTES) return null;
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const d = createDecipheriv('aes-256-gcm', this.key, buf.subarray(0, NONCE_BYTES));
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
    try {
      return Buffer.concat([d.update(buf.subarray(NONCE_BYTES, buf.length - TAG_BYTES)), d.final()]);
    } catch {
      return null;
    }
  }
}
