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

/** What the file format allows (a file outside these is damaged: E_FORMAT). */
export const KDF_LIMITS = { mMax: 4_194_304, tMax: 64, pMax: 64 } as const;

/**
 * What one derivation may cost, whatever the file asks: at most 1 GiB of memory, and at most
 * 2 GiB × passes of work (m·t), so 1 GiB × 2, 256 MiB × 8 or 64 MiB × 32 passes. hako
 * writes 64 MiB × 3. Anyone who can write the repository chooses these numbers; without a
 * bound a file could make every command that opens the environment stall or run out of
 * memory. A command derives keys only for the environments it opens (listings derive none).
 */
export const KDF_COST_LIMITS = { mMax: 1_048_576, mtMax: 2_097_152 } as const;

/** Refuses parameters beyond KDF_COST_LIMITS, before any memory is taken. */
export function assertKdfAffordable(params: KdfParams, what: string): void {
  if (params.m <= KDF_COST_LIMITS.mMax && params.m * params.t <= KDF_COST_LIMITS.mtMax) return;
  const mib = (kib: number) => Math.round(kib / 1024);
  throw new HakoError(
    'E_KDF_COST',
    `${what} asks for Argon2id with ${mib(params.m)} MiB and ${params.t} passes; hako derives a key with at most ${mib(KDF_COST_LIMITS.mMax)} MiB and ${mib(KDF_COST_LIMITS.mtMax)} MiB × passes`,
    'hako writes 64 MiB × 3 passes; a file asking for more was probably made to stall hako: for .hako/secrets.json check git log -p and restore the passphrase block; for a sealed package, ask its sender for a new one',
  );
}

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

export async function deriveKeyFromPassphrase(
  passphrase: string,
  keyId: string,
  params: KdfParams,
  what = `the passphrase block of key id ${keyId}`,
): Promise<Buffer> {
  if (!validKdfParams(params)) throw new HakoError('E_FORMAT', 'passphrase parameters out of range');
  assertKdfAffordable(params, what);
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
