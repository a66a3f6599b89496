/**
 * age master keys of a SOPS file: `enc` is an ASCII-armored age file whose payload is the
 * raw data key (or a Shamir share), one file per recipient, as SOPS writes it. Recipients:
 * X25519 (`age1…`), the post-quantum hybrid (`age1pq1…`) and ssh-ed25519; identities come
 * from hako's age identity discovery. ssh-rsa is not supported (the age library hako uses
 * has no ssh-rsa stanza), nor are plugins.
 */
// The age library loads on first use: commands that touch no SOPS file never pay for it.
import type { Identity, Recipient } from 'age-encryption';
import type { MasterKey } from './metadata.js';

export async function ageWrap(recipientText: string, recipient: string | Recipient, payload: Uint8Array): Promise<MasterKey> {
  const { armor, Encrypter } = await import('age-encryption');
  const e = new Encrypter();
  e.addRecipient(recipient as never);
  const file = await e.encrypt(payload);
  return { kind: 'age', fields: { recipient: recipientText, enc: armor.encode(file) } };
}

/** Opens an `enc` with any of the identities; null when none matches (not an error). */
export async function ageUnwrap(enc: string, identities: readonly (string | Identity)[]): Promise<Uint8Array | null> {
  if (!identities.length) return null;
  const { armor, Decrypter } = await import('age-encryption');
  let file: Uint8Array;
  try {
    file = armor.decode(enc);
  } catch {
    throw new Error('the age entry is not an ASCII-armored age file');
  }
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id as never);
  try {
    return await d.decrypt(file);
  } catch (err) {
    const msg = (err as Error).message ?? '';
    if (/no identity matched/i.test(msg)) return null;
    throw new Error(`the age entry does not open (${msg.slice(0, 80)})`);
  }
}
