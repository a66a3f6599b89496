/**
 * Keys a person supplied for one environment on purpose: a HAKO_KEY bundle labelled with the
 * environment, or its passphrase variable (HAKO_PASSPHRASE_<ENV>).
 *
 * Such a key is a statement: "production is opened with this key". When the entry names
 * another key, falling through to the next source (an age identity that a forged entry
 * was wrapped to) would silently trade the person's key for whoever wrote the file. So:
 * a supplied key for the entry's key id is used; one that is an older link of the entry's
 * chain (a CI secret not updated since a rotation) anchors the chain but cannot open it;
 * anything else is an error.
 */
import { HakoError } from '../core/errors.js';
import type { EnvironmentRecord } from '../core/formats/secrets-file.js';
import { parseKeyBundleList, type KeyBundle } from '../core/formats/key-bundle.js';
import { passphraseVarName } from '../core/keys/passphrase-source.js';
import { keyMatchesLink, verifyChain } from '../core/trust/key-chain.js';
import type { ServiceContext } from './context.js';

export interface ExplicitKeys {
  /** Index of the chain link that a supplied (older) key vouches for, or null. */
  staleAnchor: number | null;
}

export function explicitKeysFor(ctx: ServiceContext, env: string, record: EnvironmentRecord): ExplicitKeys {
  const result: ExplicitKeys = { staleAnchor: null };
  const raw = ctx.env['HAKO_KEY'];
  if (raw && raw.trim() !== '') {
    let bundles: KeyBundle[];
    try {
      bundles = parseKeyBundleList(raw);
    } catch {
      bundles = []; // the key source reports a damaged HAKO_KEY with its own message
    }
    const mine = bundles.filter((b) => b.env === env);
    if (mine.length > 0 && !mine.some((b) => b.keyId === record.keyId)) {
      const v = record.chain.length ? verifyChain(env, record.chain) : null;
      const links = v && 'links' in v ? v.links : [];
      for (const b of mine) {
        const at = links.findIndex((l) => l.keyId === b.keyId);
        if (at >= 0 && keyMatchesLink(b.key, links[at]!)) result.staleAnchor = Math.max(result.staleAnchor ?? -1, at);
      }
      if (result.staleAnchor === null) {
        throw new HakoError(
          'E_KEY_MISMATCH',
          `HAKO_KEY holds a key for environment '${env}' (key id ${mine.map((b) => b.keyId).join(', ')}), but the file's '${env}' uses key ${record.keyId}, which that key never handed over to`,
          `the entry may have been replaced by someone without the key: check it with hako trust --env ${env}; if the key was really changed, update HAKO_KEY (hako key export --env ${env})`,
        );
      }
    }
  }
  const passVar = passphraseVarName(env);
  if (ctx.env[passVar] && !record.passphrase) {
    throw new HakoError(
      'E_KEY_MISMATCH',
      `${passVar} is set, but environment '${env}' no longer uses a passphrase (key id ${record.keyId})`,
      `the entry may have been replaced by someone without the passphrase: check it with hako trust --env ${env}; if it was changed on purpose, unset ${passVar}`,
    );
  }
  return result;
}
