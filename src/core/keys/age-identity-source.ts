/**
 * Age identities against an environment's `recipients` (asked after HAKO_KEY and the key file,
 * before the passphrase).
 *
 * An environment without recipients is "not mine" at once: nothing is read or loaded. Else
 * the identities of this machine are gathered (once per process environment), each is
 * matched to an entry by its canonical recipient, and the first match is opened. An identity
 * that matches no entry is "not mine"; a matching entry that does not open, a broken identity
 * source (loose permissions, a failing SOPS_AGE_KEY_CMD, a malformed key) or a matching SSH
 * key that is passphrase-protected is "mine, but broken": an error.
 */
import { HakoError } from '../errors.js';
import { discoverIdentityTexts } from './age-identity-discovery.js';
import { keychainIdentityTexts } from '../keychain/identities.js';
import type { IdentitySet } from './age-identities.js';
import { canonicalRecipient, shortRecipient } from './age-recipient.js';
import { unwrapKey } from './recipient-wrap.js';
import type { KeyAnswer, KeyContext, KeySource, KeyTarget } from './key-source.js';

const gathered = new WeakMap<NodeJS.ProcessEnv, Promise<IdentitySet>>();

/**
 * This machine's identities for the process environment `env`, gathered once (a key command
 * runs once per hako invocation, however many environments are opened). age-encryption is
 * loaded only when some identity text was found.
 */
export function gatherAgeIdentities(env: NodeJS.ProcessEnv): Promise<IdentitySet> {
  let p = gathered.get(env);
  if (!p) {
    p = (async () => {
      const found = discoverIdentityTexts(env);
      const fromKeychain = await keychainIdentityTexts(env);
      if (fromKeychain.texts.length > 0) {
        // After the identity files, before SSH keys.
        const at = found.texts.findIndex((t) => t.format === 'ssh');
        found.texts.splice(at < 0 ? found.texts.length : at, 0, ...fromKeychain.texts);
      }
      found.problems.push(...fromKeychain.problems);
      if (found.texts.length === 0) return { identities: [], locked: [], skipped: [], problems: found.problems, looked: found.looked };
      const { loadIdentities } = await import('./age-identities.js');
      return loadIdentities(found);
    })();
    gathered.set(env, p);
  }
  return p;
}

/** Entry of `recipients` by canonical recipient (entries hako cannot read are left out). */
export function entriesByRecipient(recipients: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [r, wrapped] of recipients) {
    const c = canonicalRecipient(r);
    if (c !== null && !out.has(c)) out.set(c, wrapped);
  }
  return out;
}

export class AgeIdentitySource implements KeySource {
  readonly kind = 'age-identity' as const;

  constructor(private readonly ctx: KeyContext) {}

  async find(target: KeyTarget): Promise<KeyAnswer> {
    if (target.recipients.size === 0) return { missed: 'the environment has no age recipients' };
    const set = await gatherAgeIdentities(this.ctx.env);
    if (set.problems.length > 0) throw set.problems[0]!;
    if (set.identities.length === 0 && set.locked.length === 0)
      return { missed: 'no age identity on this machine (hako whoami shows where hako looks)' };

    const entries = entriesByRecipient(target.recipients);
    for (const id of set.identities) {
      const entry = entries.get(id.recipient);
      if (entry === undefined) continue;
      const key = await unwrapKey(
        entry,
        id.identity,
        `the recipients entry of environment '${target.env}' for ${shortRecipient(id.recipient)} (identity from ${id.origin})`,
      );
      return { key, label: `age identity from ${id.origin}` };
    }
    for (const l of set.locked) {
      if (entries.has(l.recipient)) {
        throw new HakoError(
          'E_AGE',
          `the SSH key ${l.origin} opens environment '${target.env}' but is passphrase-protected, which hako does not support`,
          'make an age identity (hako keygen) and have a teammate add its recipient, or point SOPS_AGE_SSH_PRIVATE_KEY_FILE at an unencrypted copy kept private',
        );
      }
    }
    const n = set.identities.length;
    return { missed: `none of this machine's ${n} age identit${n === 1 ? 'y is a recipient' : 'ies is a recipient'} of '${target.env}'` };
  }
}
