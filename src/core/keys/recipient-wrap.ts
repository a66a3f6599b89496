/**
 * Wrapping an environment key for an age recipient: the `recipients` entry is a binary age
 * file, encrypted to that one recipient, whose payload is the 32-byte key (DESIGN §3).
 * age-encryption is loaded only when a command touches recipients.
 */
import { HakoError } from '../errors.js';

export async function wrapKeyForRecipient(key: Uint8Array, recipient: string): Promise<string> {
  const age = await import('age-encryption');
  const e = new age.Encrypter();
  try {
    e.addRecipient(recipient);
  } catch {
    throw new HakoError('E_AGE', `unsupported or malformed age recipient ${recipient.slice(0, 24)}…`, 'use an age1… recipient');
  }
  return Buffer.from(await e.encrypt(key)).toString('base64');
}
