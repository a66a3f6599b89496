/**
 * Age identities that hako keeps in the OS keychain (`hako keygen --keychain`), as identity
 * texts for the same loading path as identity files. Only identities recorded in
 * $HAKO_HOME/keychain/identities/ are read, so a machine without any never loads the
 * keychain binding. An identity that cannot be read is a problem to report (the person
 * put it there on purpose), not a silent absence.
 */
import { HakoError } from '../errors.js';
import type { IdentityText } from '../keys/age-identity-discovery.js';
import { openKeychain } from './keychain.js';
import { IDENTITY_SERVICE, listIdentityRecords } from './records.js';

export async function keychainIdentityTexts(env: NodeJS.ProcessEnv): Promise<{ texts: IdentityText[]; problems: HakoError[] }> {
  const out: { texts: IdentityText[]; problems: HakoError[] } = { texts: [], problems: [] };
  let records;
  try {
    records = listIdentityRecords(env);
  } catch (err) {
    if (err instanceof HakoError) return { texts: [], problems: [err] };
    throw err;
  }
  for (const r of records) {
    try {
      const keychain = await openKeychain(r.store);
      const text = await keychain.get(IDENTITY_SERVICE, r.id);
      if (text === null) {
        out.problems.push(
          new HakoError(
            'E_KEYCHAIN',
            `the ${keychain.backend} holds no age identity ${r.id} (${r.recipient.slice(0, 16)}…), though hako stored one there`,
            `${r.store === 'kernel' ? 'the kernel keyring forgets at reboot; ' : ''}drop the record: hako keychain rm ${r.id} --yes`,
          ),
        );
        continue;
      }
      out.texts.push({ origin: `keychain (${keychain.backend}) ${r.id}`, format: 'words', text, explicit: true });
    } catch (err) {
      if (err instanceof HakoError) out.problems.push(err);
      else throw err;
    }
  }
  return out;
}
