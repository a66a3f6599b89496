/**
 * Passphrase → environment key (docs/FORMAT.md):
 * K = Argon2id(UTF-8(NFC(passphrase)), salt = "hako:v1:" + key_id, m, t, p, v=0x13, 32 bytes).
 * The native `argon2` module is loaded only on this path, so commands that never derive a
 * key never pay for it.
 */
import { HakoError } from '../errors.js';

export interface KdfParams {
  kdf: 'argon2id';
  m: number; // memory in KiB
  t: number; // passes
  p: number; // lanes
}

export const DEFAULT_KDF: KdfParams = { kdf: 'argon2id', m: 65536, t: 3, p: 4 };

/** Bounds that keep a hostile file from asking for absurd memory or time. */
export const KDF_LIMITS = { mMax: 4_194_304, tMax: 64, pMax: 64 } as const;

export function validKdfParams(p: KdfParams): boolean {
  return (
    p.kdf === 'argon2id' &&
    Number.isSafeInteger(p.m) &&
    Number.isSafeInteger(p.t) &&
    Number.isSafeInteger(p.p) &&
    p.p >= 1 &&
    p.p <= KDF_LIMITS.pMax &&
    p.t >= 1 &&
    p.t <= KDF_LIMITS.tMax &&
    p.m >= 8 * p.p &&
    p.m <= KDF_LIMITS.mMax
  );
}

export function passphraseSalt(keyId: string): Buffer {
  return Buffer.from(`hako:v1:${keyId}`, 'utf8');
}

export async function deriveKeyFromPassphrase(passphrase: string, keyId: string, params: KdfParams): Promise<Buffer> {
  if (!validKdfParams(params)) throw new HakoError('E_FORMAT', 'passphrase parameters out of range');
  let argon2: typeof import('argon2');
  try {
    argon2 = await import('argon2');
  } catch {
    throw new HakoError('E_INTERNAL', 'the argon2 module could not be loaded', 'reinstall hako (npm install) on this machine');
  }
  return argon2.hash(Buffer.from(passphrase.normalize('NFC'), 'utf8'), {
    type: argon2.argon2id,
    version: 0x13,
    raw: true,
    salt: passphraseSalt(keyId),
    memoryCost: params.m,
    timeCost: params.t,
    parallelism: params.p,
    hashLength: 32,
  });
}
