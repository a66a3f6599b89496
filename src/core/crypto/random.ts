/** Fresh random environment keys (32 bytes) and key ids (8 bytes, 16 hex characters). */
import { randomBytes } from 'node:crypto';

export const KEY_BYTES = 32;

export function newEnvironmentKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** 8 random bytes as 16 lower-case hex characters. */
export function newKeyId(): string {
  return randomBytes(8).toString('hex');
}
