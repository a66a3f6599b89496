/** Fresh random environment keys and key ids (DESIGN §3). */
import { randomBytes } from 'node:crypto';

export const KEY_BYTES = 32;

export function newEnvironmentKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** 8 random bytes as 16 lower-case hex characters. */
export function newKeyId(): string {
  return randomBytes(8).toString('hex');
}
