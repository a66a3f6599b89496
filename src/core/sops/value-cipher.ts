/**
 * One encrypted SOPS value: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`.
 *
 * AES-256-GCM under the file's data key with a 32-byte random IV (a length GCM allows; it
 * is hashed into the counter block), the tag kept apart from the ciphertext, standard padded
 * base64, and the key path as additional data, so a value moved to another key no longer
 * opens. The empty string is never encrypted: it is written as "" and read back as "".
 *
 * The cipher keeps a stash of (additional data, type, plaintext) → IV for every value it
 * opened. Encrypting the same plaintext under the same key, IV and additional data gives the
 * same bytes, so re-encrypting a file after an edit leaves every unchanged value exactly as
 * it was (what SOPS's own editor does): a change is a one-line diff.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { leafBytes, leafFromBytes, typeOf } from './scalar-bytes.js';
import type { SopsComment, SopsLeaf } from './tree.js';

const ENC = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;
const IV_SIZE = 32;

export interface EncryptedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

/** True when the text is an encrypted SOPS value (the test SOPS itself uses). */
export function isEncryptedValue(text: string): boolean {
  return text.startsWith('ENC[AES256_GCM,') && ENC.test(text);
}

export function parseEncryptedValue(text: string): EncryptedValue | null {
  const m = ENC.exec(text);
  if (!m) return null;
  const b64 = (s: string) => (/^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0 ? Buffer.from(s, 'base64') : null);
  const data = b64(m[1]!);
  const iv = b64(m[2]!);
  const tag = b64(m[3]!);
  if (!data || !iv || !tag || iv.length === 0 || tag.length !== 16) return null;
  return { data, iv, tag, type: m[4]! };
}

export function formatEncryptedValue(v: EncryptedValue): string {
  return `ENC[AES256_GCM,data:${v.data.toString('base64')},iv:${v.iv.toString('base64')},tag:${v.tag.toString('base64')},type:${v.type}]`;
}

export class ValueDecryptError extends Error {}

function stashKey(aad: string, type: string, bytes: Uint8Array): string {
  return `${aad}\u0000${type}\u0000${Buffer.from(bytes).toString('latin1')}`;
}

export class ValueCipher {
  private readonly stash = new Map<string, Buffer>();

  constructor(private readonly key: Uint8Array) {
    if (key.length !== 32) throw new Error('a SOPS data key is 32 bytes');
  }

  /**
   * Opens one value. `asBytes`: a `str` value is returned as bytes (the binary store).
   * Throws ValueDecryptError when the text is not an encrypted value or does not open.
   */
  decrypt(text: string, aad: string, asBytes = false): Exclude<SopsLeaf, null> | SopsComment {
    if (text === '') return asBytes ? new Uint8Array(0) : '';
    const v = parseEncryptedValue(text);
    if (!v) throw new ValueDecryptError('not an encrypted SOPS value');
    let plain: Buffer;
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, v.iv, { authTagLength: 16 });
      d.setAAD(Buffer.from(aad, 'utf8'));
      d.setAuthTag(v.tag);
      plain = Buffer.concat([d.update(v.data), d.final()]);
    } catch {
      throw new ValueDecryptError('does not open with this data key (tampered, moved to another key, or another file)');
    }
    let leaf: Exclude<SopsLeaf, null> | SopsComment;
    try {
      leaf = leafFromBytes(v.type, plain, asBytes);
    } catch (err) {
      throw new ValueDecryptError((err as Error).message);
    }
    this.stash.set(stashKey(aad, v.type, plain), v.iv);
    return leaf;
  }

  /** Encrypts one leaf or comment; the empty string (and empty comment) stays "". */
  encrypt(leaf: Exclude<SopsLeaf, null> | SopsComment, aad: string): string {
    const bytes = leafBytes(leaf);
    const type = typeOf(leaf);
    if (bytes.length === 0 && (type === 'str' || type === 'comment')) return '';
    const iv = this.stash.get(stashKey(aad, type, bytes)) ?? randomBytes(IV_SIZE);
    const c = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: 16 });
    c.setAAD(Buffer.from(aad, 'utf8'));
    const data = Buffer.concat([c.update(bytes), c.final()]);
    return formatEncryptedValue({ data, iv, tag: c.getAuthTag(), type });
  }
}
