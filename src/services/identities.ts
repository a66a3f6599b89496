/**
 * This machine's age identities: make one (`keygen`), show their recipients (`pubkey`), and
 * say where each came from and which environments of the project it opens (`whoami`).
 * Listing never throws for a broken identity source: it reports it, so a person can fix it.
 */
import { resolve } from 'node:path';
import type { SecretsFile } from '../core/formats/secrets-file.js';
import { HakoError, isHakoError } from '../core/errors.js';
import { EnvironmentCipher } from '../core/crypto/environment-cipher.js';
import { writeFileExclusive } from '../core/fs/exclusive-write.js';
import { defaultAgeKeyFile } from '../core/keys/age-identity-discovery.js';
import { entriesByRecipient, gatherAgeIdentities } from '../core/keys/age-identity-source.js';
import type { IdentitySet } from '../core/keys/age-identities.js';
import type { RecipientKind } from '../core/keys/age-recipient.js';
import { unwrapKey } from '../core/keys/recipient-wrap.js';
import { findProject, loadSecretsFile } from './project.js';
import type { ServiceContext } from './context.js';
import type { KeychainRequest } from '../core/keychain/keychain.js';
import { keychainHome, storeIdentityInKeychain } from './keychain.js';

export interface NewIdentity {
  path: string;
  recipient: string;
  kind: RecipientKind;
}

/**
 * Writes a new identity in age-keygen's format (so sops and age read it) to `out`, else to
 * the user's sops keys file. Never overwrites; the file is 0600 in a 0700 folder. With a
 * keychain request the identity goes to the OS keychain instead (probed first: when none is
 * usable nothing is made), and hako finds it there like an identity file.
 */
export async function generateIdentity(
  ctx: ServiceContext,
  opts: { out?: string; pq?: boolean; keychain?: KeychainRequest } = {},
): Promise<NewIdentity> {
  if (opts.keychain && opts.out !== undefined)
    throw new HakoError('E_USAGE', '--out and --keychain exclude each other', 'give one of them');
  const home = opts.keychain ? await keychainHome(ctx, opts.keychain) : null;
  const age = await import('age-encryption');
  const identity = opts.pq ? await age.generateHybridIdentity() : await age.generateX25519Identity();
  const recipient = await age.identityToRecipient(identity);
  const kind: RecipientKind = opts.pq ? 'pq-hybrid' : 'x25519';
  if (home?.kind === 'keychain') {
    await storeIdentityInKeychain(ctx, home.keychain, identity, recipient, kind);
    return { path: `keychain (${home.keychain.backend})`, recipient, kind };
  }
  const path = opts.out !== undefined ? resolve(ctx.cwd, opts.out) : defaultAgeKeyFile(ctx.env);
  const created = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  writeFileExclusive(path, `# created: ${created}\n# public key: ${recipient}\n${identity}\n`, { mode: 0o600, dirMode: 0o700 });
  return { path, recipient, kind };
}

export function machineIdentities(ctx: ServiceContext): Promise<IdentitySet> {
  return gatherAgeIdentities(ctx.env);
}

export interface IdentityReport {
  recipient: string;
  kind: RecipientKind;
  origin: string;
  /** Environments whose entry for this identity opens and passes the check. */
  opens: string[];
  /** Environments with an entry for this identity that does not open, and why. */
  broken: { env: string; reason: string }[];
}

export interface WhoAmI {
  identities: IdentityReport[];
  locked: { recipient: string; origin: string; recipientOf: string[] }[];
  skipped: { origin: string; reason: string }[];
  problems: { message: string; hint?: string }[];
  looked: string[];
  /** False outside a hako project: then no environment is listed. */
  inProject: boolean;
}

/** `given.file`: the project file already read (null: none), instead of finding it here. */
export async function whoAmI(ctx: ServiceContext, given?: { file: SecretsFile | null }): Promise<WhoAmI> {
  const set = await gatherAgeIdentities(ctx.env);
  let file: SecretsFile | null = given ? given.file : null;
  if (!given) {
    try {
      file = loadSecretsFile(findProject(ctx));
    } catch (err) {
      if (!isHakoError(err) || err.code !== 'E_NO_PROJECT') throw err;
    }
  }
  const envs = file ? [...file.environments].sort(([a], [b]) => (a < b ? -1 : 1)) : [];
  const identities: IdentityReport[] = [];
  for (const id of set.identities) {
    const report: IdentityReport = { recipient: id.recipient, kind: id.kind, origin: id.origin, opens: [], broken: [] };
    for (const [env, record] of envs) {
      const entry = entriesByRecipient(record.recipients).get(id.recipient);
      if (entry === undefined) continue;
      try {
        const key = await unwrapKey(entry, id.identity, `the entry of '${env}'`);
        if (new EnvironmentCipher(env, record.keyId, key).opensCheck(record.check)) report.opens.push(env);
        else report.broken.push({ env, reason: 'the wrapped key does not open the environment (a stale or forged entry)' });
      } catch (err) {
        if (!isHakoError(err)) throw err;
        report.broken.push({ env, reason: err.message });
      }
    }
    identities.push(report);
  }
  const locked = set.locked.map((l) => ({
    ...l,
    recipientOf: envs.filter(([, r]) => entriesByRecipient(r.recipients).has(l.recipient)).map(([e]) => e),
  }));
  const problems = set.problems.map((p) => (p.hint ? { message: p.message, hint: p.hint } : { message: p.message }));
  return { identities, locked, skipped: set.skipped, problems, looked: set.looked, inProject: file !== null };
}

/** The recipients of this machine's identities; an error when there are none. */
export async function publicKeys(ctx: ServiceContext): Promise<IdentitySet> {
  const set = await gatherAgeIdentities(ctx.env);
  if (set.identities.length === 0 && set.locked.length === 0) {
    if (set.problems.length > 0) throw set.problems[0]!;
    throw new HakoError('E_NO_KEY', 'no age identity on this machine', `make one: hako keygen (writes ${defaultAgeKeyFile(ctx.env)})`);
  }
  return set;
}
