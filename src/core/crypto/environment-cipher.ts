/**
 * The value cipher of format version 1.
 *
 * An environment key K (32 bytes) is never used directly: HKDF-SHA256 derives K_enc for
 * AES-256-GCM and K_tag for fingerprints. Every value is bound to its place by the
 * additional data "hako:v1:<env>:<key_id>:<NAME>", so a value copied to another name,
 * environment or key fails to open. The `check` is the same encryption of "hako" with an
 * empty name: a key is right for an environment exactly when the check opens.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { base64DecodedLength, decodeBase64Strict, isBase64Strict } from './base64.js';
import { HakoError } from '../errors.js';
import { KEY_BYTES } from './random.js';

const PREFIX = 'v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const CHECK_PLAINTEXT = Buffer.from('hako', 'ascii');
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function valueAad(env: string, keyId: string, name: string): Buffer {
  return Buffer.from(`hako:v1:${env}:${keyId}:${name}`, 'utf8');
}

function subkey(k: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', k, Buffer.alloc(0), info, 32));
}

/** Splits a "v1:<base64>" token; null when it is not one. */
export function decodeToken(token: string): { nonce: Buffer; body: Buffer; tag: Buffer } | null {
  if (!token.startsWith(PREFIX)) return null;
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
  if (!token.startsWith(PREFIX)) return false;
  const body = token.slice(PREFIX.length);
  return isBase64Strict(body) && base64DecodedLength(body) >= NONCE_BYTES + TAG_BYTES;
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

  /** Encrypts raw bytes for `name` ("" for the check). */
  sealBytes(name: string, plaintext: Uint8Array): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, nonce);
    cipher.setAAD(valueAad(this.env, this.keyId, name));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
  }

  /** Opens a token for `name`; null when authentication fails or the token is malformed. */
  openBytes(name: string, token: string): Buffer | null {
    const parts = decodeToken(token);
    if (!parts) return null;
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, parts.nonce);
    decipher.setAAD(valueAad(this.env, this.keyId, name));
    decipher.setAuthTag(parts.tag);
    try {
      const plain = decipher.update(parts.body);
      const rest = decipher.final(); // GCM is a stream mode: empty, but it checks the tag
      return rest.length ? Buffer.concat([plain, rest]) : plain;
    } catch {
      return null;
    }
  }

  seal(name: string, value: string): string {
    return this.sealBytes(name, Buffer.from(value, 'utf8'));
  }

  /** Opens a value or throws E_TAMPERED naming the secret (never its content). */
  open(name: string, token: string): string {
    const bytes = this.openBytes(name, token);
    if (bytes === null) {
      throw new HakoError(
        'E_TAMPERED',
        `secret ${name} in environment '${this.env}' failed authentication: it was changed, moved from another name or environment, or encrypted with another key`,
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
    return this.sealBytes('', CHECK_PLAINTEXT);
  }

  /** True exactly when this key opens the environment's check. */
  opensCheck(check: string): boolean {
    const bytes = this.openBytes('', check);
    return bytes !== null && bytes.equals(CHECK_PLAINTEXT);
  }

  /** A keyed fingerprint of a value: equal values give equal tags, without revealing them. */
  fingerprint(name: string, value: string): string {
    return createHmac('sha256', this.tagKey).update(`${name}\0${value}`).digest('hex').slice(0, 16);
  }
}
