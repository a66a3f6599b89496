/**
 * Environment keys kept in the OS keychain. Only key ids that hako recorded as stored
 * there (in $HAKO_HOME/keychain/keys/) are looked up, in the store recorded for them, so
 * for every other key this source answers "not mine" without loading the keychain binding.
 *
 * A recorded key that cannot be read (the keychain is locked or unreachable, the entry was
 * deleted outside hako, a kernel-keyring entry lost at reboot) is "mine, but broken": an
 * error that says which store and why, never a quiet fall-through to another source.
 */
import { HakoError } from '../errors.js';
import { decodeBase64Strict } from '../crypto/base64.js';
import { KEY_BYTES } from '../crypto/random.js';
import { openKeychain } from '../keychain/keychain.js';
import { KEY_SERVICE, readKeyRecord } from '../keychain/records.js';
import type { KeyAnswer, KeyContext, KeySource, KeyTarget } from './key-source.js';

export class KeychainSource implements KeySource {
  readonly kind = 'keychain' as const;

  constructor(private readonly ctx: KeyContext) {}

  async find(target: KeyTarget): Promise<KeyAnswer> {
    const record = readKeyRecord(this.ctx.env, target.keyId);
    if (!record) return { missed: '' }; // never stored there: not worth a line in "tried"
    const keychain = await openKeychain(record.store);
    const text = await keychain.get(KEY_SERVICE, target.keyId);
    if (text === null) {
      throw new HakoError(
        'E_KEYCHAIN',
        `the ${keychain.backend} holds no key for key id ${target.keyId} ('${record.env}'), though hako stored one there`,
        record.store === 'kernel'
          ? `the kernel keyring forgets keys at reboot: import the key again (hako key import --keychain), or drop the record: hako keychain rm ${target.keyId} --yes`
          : `it was removed outside hako: import the key again (hako key import --keychain), or drop the record: hako keychain rm ${target.keyId} --yes`,
      );
    }
    const key = decodeBase64Strict(text.trim());
    if (!key || key.length !== KEY_BYTES) {
      throw new HakoError(
        'E_FORMAT',
        `the ${keychain.backend} entry for key id ${target.keyId} is damaged`,
        'import the key again with hako key import --keychain',
      );
    }
    return { key, label: `keychain (${keychain.backend})` };
  }
}
