/**
 * The order in which an environment key is looked for: HAKO_KEY bundles, the key file, the OS
 * keychain (only for key ids hako recorded as stored there), age identities, the passphrase.
 * The first source that has a key wins; a key that does not open the environment is an error,
 * never a fall-through to the next source.
 */
import { BundleEnvSource } from './bundle-env-source.js';
import { KeyFileSource } from './key-file-source.js';
import { KeychainSource } from './keychain-source.js';
import { AgeIdentitySource } from './age-identity-source.js';
import { PassphraseSource } from './passphrase-source.js';
import type { KeyContext, KeySource } from './key-source.js';

export function defaultKeySources(ctx: KeyContext): KeySource[] {
  return [new BundleEnvSource(ctx), new KeyFileSource(ctx), new KeychainSource(ctx), new AgeIdentitySource(ctx), new PassphraseSource(ctx)];
}
