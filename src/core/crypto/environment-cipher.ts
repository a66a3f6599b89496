/**
 * The value cipher.
 *
 * An environment key K (32 bytes) is never used directly: HKDF-SHA256 derives K_enc for
 * AES-256-GCM and K_tag for fingerprints. Every value is bound to its place by its
 * additional data, so a value copied to another name, environment or key fails to open:
 *
 *   "v1:" tokens: "hako:v1:<env>:<key_id>:<NAME>"           (format 1, still read)
 *   "v2:" tokens: "hako:v2:<env>:<key_id>:<NAME>:<meta>"    (written now; meta: secret-meta.ts)
 *
 * The `check` is the v1 encryption of "hako" with an empty name: a key is right for an
 * environment only when the check opens (and, in format 2, when its signer is the chain's).
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { base64DecodedLength, decodeBase64Strict, isBase64Strict } from './base64.js';
import { HakoError } from '../errors.js';
import { KEY_BYTES } from './random.js';

const PREFIX = 'v1:';
const PREFIX_V2 = 'v2:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const CHECK_PLAINTEXT = Buffer.from('hako', 'ascii');
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function valueAad(env: string, keyId: string, name: string): Buffer {
  return Buffer.from(`hako:v1:${env}:${keyId}:${name}`, 'utf8');
}

export function valueAadV2(env: string, keyId: string, name: string, meta: string): Buffer {
  return Buffer.from(`hako:v2:${env}:${keyId}:${name}:${meta}`, 'utf8');
}

/** The token version of a well-formed token: 1 or 2. */
export function tokenVersion(token: string): 1 | 2 {
  return token.startsWith(PREFIX_V2) ? 2 : 1;
}

function subkey(k: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', k, Buffer.alloc(0), info, 32));
}

/** Splits a "v1:<base64>" or "v2:<base64>" token; null when it is not one. */
export function decodeToken(token: string): { nonce: Buffer; body: Buffer; tag: Buffer } | null {
  if (!token.startsWith(PREFIX) && !token.startsWith(PREFIX_V2)) return null;
  const raw = decodeBase64Strict(token.slice(PREFIX.length));
  if (!raw || raw.length < NONCE_BYTES + TAG_BYTES) return null;
  return {
    nonce: raw.subarray(0, NONCE_BYTES),
    body: raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES),
    tag: raw.subarray(raw.length - TAG_BYTES),
  };
}

/** The same answer as `decodeToken(token) !== null`, without decoding (files are checked whole). */
export function isWellFormedToken(token: string): boolean {
  // Checked in place (no slice): every token of a file passes here on each read.
  if ((!token.startsWith(PREFIX) && !token.startsWith(PREFIX_V2)) || !isBase64Strict(token, PREFIX.length)) return false;
  return base64DecodedLength(token, PREFIX.length) >= NONCE_BYTES + TAG_BYTES;
}

export class EnvironmentCipher {
  readonly env: string;
  readonly keyId: string;
  private readonly encKey: Buffer;
  private readonly tagKey: Buffer;

  constructor(env: string, keyId: string, key: Uint8Array) {
    if (key.length !== KEY_BYTES) throw new HakoError('E_INTERNAL', 'environment key must be 32 bytes');
    this.env = env;
    this.keyId = keyId;
    this.encKey = subkey(key, 'hako v1 enc');
    this.tagKey = subkey(key, 'hako v1 tag');
  }

  /** Encrypts raw bytes for `name` as a v2 token bound to `meta` (secret-meta.ts text). */
  sealBytes(name: string, plaintext: Uint8Array, meta = ''): string {
    return this.encrypt(PREFIX_V2, valueAadV2(this.env, this.keyId, name, meta), plaintext);
  }

  private encrypt(prefix: string, aad: Buffer, plaintext: Uint8Array): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, nonce);
    cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return prefix + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
  }

  /**
   * Opens a token for `name`; null when authentication fails or the token is malformed.
   * A v1 token has no metadata, so it opens only when `meta` is empty.
   */
  openBytes(name: string, token: string, meta = ''): Buffer | null {
    const parts = decodeToken(token);
    if (!parts) return null;
    const v2 = tokenVersion(token) === 2;
    if (!v2 && meta !== '') return null;
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, parts.nonce);
    decipher.setAAD(v2 ? valueAadV2(this.env, this.keyId, name, meta) : valueAad(this.env, this.keyId, name));
    decipher.setAuthTag(parts.tag);
    try {
      const plain = decipher.update(parts.body);
      const rest = decipher.final(); // GCM is a stream mode: empty, but it checks the tag
      return rest.length ? Buffer.concat([plain, rest]) : plain;
    } catch {
      return null;
    }
  }

  seal(name: string, value: string, meta = ''): string {
    return this.sealBytes(name, Buffer.from(value, 'utf8'), meta);
  }

  /** Opens a value or throws E_TAMPERED naming the secret (never its content). */
  open(name: string, token: string, meta = ''): string {
    const bytes = this.openBytes(name, token, meta);
    if (bytes === null) {
      throw new HakoError(
        'E_TAMPERED',
        `secret ${name} in environment '${this.env}' failed authentication: it was changed, moved from another name or environment, encrypted with another key, or its expiry was edited`,
        `restore it from git history (git log -p .hako/secrets.json) or set it again: hako set ${name} --env ${this.env}`,
      );
    }
    try {
      return UTF8.decode(bytes);
    } catch {
      throw new HakoError('E_TAMPERED', `secret ${name} in environment '${this.env}' is not valid UTF-8`, 'set it again with hako set');
    }
  }

  makeCheck(): string {
    return this.encrypt(PREFIX, valueAad(this.env, this.keyId, ''), CHECK_PLAINTEXT);
  }

  /** True exactly when this key opens the environment's check. */
  opensCheck(check: string): boolean {
    if (tokenVersion(check) !== 1) return false;
    const bytes = this.openBytes('', check);
    return bytes !== null && bytes.equals(CHECK_PLAINTEXT);
  }

  /** A keyed fingerprint of a value: equal values give equal tags, without revealing them. */
  fingerprint(name: string, value: string): string {
    return createHmac('sha256', this.tagKey).update(`${name}\0${value}`).digest('hex').slice(0, 16);
  }
}
