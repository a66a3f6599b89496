/** The order in which an environment key is looked for (DESIGN §3). */
import { BundleEnvSource } from './bundle-env-source.js';
import { KeyFileSource } from './key-file-source.js';
import { AgeIdentitySource } from './age-identity-source.js';
import { PassphraseSource } from './passphrase-source.js';
import type { KeyContext, KeySource } from './key-source.js';

export function defaultKeySources(ctx: KeyContext): KeySource[] {
  return [new BundleEnvSource(ctx), new KeyFileSource(ctx), new AgeIdentitySource(ctx), new PassphraseSource(ctx)];
}
