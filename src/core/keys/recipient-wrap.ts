/**
 * Wrapping an environment key for an age recipient, and unwrapping it with an identity: the
 * `recipients` entry is standard base64 of a binary age file, encrypted to that one
 * recipient, whose payload is the 32-byte key. Any age implementation opens it
 * (`base64 -d | age -d -i KEY`). age-encryption is loaded only when a command touches
 * recipients.
 */
import type { Identity } from 'age-encryption';
import { HakoError } from '../errors.js';
import { decodeBase64Strict } from '../crypto/base64.js';
import { KEY_BYTES } from '../crypto/random.js';
import { ageRecipientFor, parseRecipient } from './age-recipient.js';

export async function wrapKeyForRecipient(key: Uint8Array, recipient: string): Promise<string> {
  const spec = parseRecipient(recipient);
  const age = await import('age-encryption');
  const e = new age.Encrypter();
  try {
    e.addRecipient(await ageRecipientFor(spec));
  } catch {
    throw new HakoError(
      'E_AGE',
      `malformed ${spec.kind} recipient ${spec.canonical.slice(0, 24)}… (bad checksum or key)`,
      "copy the recipient again from `hako pubkey` (or the .pub file) on its owner's machine",
    );
  }
  return Buffer.from(await e.encrypt(key)).toString('base64');
}

/**
 * Opens a `recipients` entry with one identity (an age identity string or an Identity
 * object). The caller has matched the entry to the identity by recipient, so a failure here
 * is an entry that was damaged or replaced: `E_TAMPERED`, never "not mine".
 */
export async function unwrapKey(entry: string, identity: string | Identity, what: string): Promise<Buffer> {
  const damaged = () =>
    new HakoError(
      'E_TAMPERED',
      `${what} does not open`,
      'the entry was damaged or replaced: restore .hako/secrets.json from git, or have someone who can open the environment add you again',
    );
  const bytes = decodeBase64Strict(entry);
  if (!bytes) throw damaged();
  const age = await import('age-encryption');
  const d = new age.Decrypter();
  d.addIdentity(identity);
  let payload: Uint8Array;
  try {
    payload = await d.decrypt(bytes);
  } catch {
    throw damaged();
  }
  if (payload.length !== KEY_BYTES) throw damaged();
  return Buffer.from(payload);
}
