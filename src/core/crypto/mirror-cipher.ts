/**
 * The runner mirror's encryption at rest, from a passphrase (RUNNER_SECRETS_KEY):
 *
 *   key        = PBKDF2-HMAC-SHA512(password = UTF-8 of RUNNER_SECRETS_KEY, salt, iterations, 32 bytes)
 *   ciphertext = AES-256-GCM(key, nonce, plaintext, additional data "hako-mirror:1") ‖ 16-byte tag
 *
 * with a fresh random 16-byte salt and 12-byte nonce on every write. The parameters are
 * stored beside the ciphertext; a reader accepts iteration counts from MIN to MAX only, so a
 * file cannot make hako spin for hours or derive a key cheaply.
 */
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';

export const MIRROR_KDF = 'pbkdf2-sha512';
export const MIRROR_CIPHER = 'aes-256-gcm';
export const MIRROR_AAD = 'hako-mirror:1';
export const MIRROR_ITERATIONS = 210_000;
export const MIN_ITERATIONS = 100_000;
export const MAX_ITERATIONS = 10_000_000;
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface MirrorSealed {
  iterations: number;
  salt: Buffer;
  nonce: Buffer;
  /** AES-GCM output followed by the tag. */
  ciphertext: Buffer;
}

function derive(password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha512');
}

export function sealMirror(password: string, plaintext: Buffer, iterations = MIRROR_ITERATIONS): MirrorSealed {
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(MIRROR_CIPHER, derive(password, salt, iterations), nonce);
  cipher.setAAD(Buffer.from(MIRROR_AAD, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { iterations, salt, nonce, ciphertext };
}

/** The plaintext, or null when the password is wrong or the file was changed. */
export function openMirror(password: string, sealed: MirrorSealed): Buffer | null {
  if (sealed.ciphertext.length < TAG_BYTES || sealed.nonce.length !== NONCE_BYTES || sealed.salt.length < 8) return null;
  const decipher = createDecipheriv(MIRROR_CIPHER, derive(password, sealed.salt, sealed.iterations), sealed.nonce);
  decipher.setAAD(Buffer.from(MIRROR_AAD, 'utf8'));
  decipher.setAuthTag(sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}
