/**
 * Receiving an environment: what arrives is the repository's own entry (ciphertext, as
 * committed) and its fingerprint. The agent checks the fingerprint matches the entry, parses
 * the entry with the same strict parser as a secrets file, opens its key with the server's
 * own age identity (the server is a recipient like any teammate), opens every value, and
 * checks key continuity against the chain it pinned. Nothing is stored here: the caller
 * stores the result in one transaction.
 */
import { HakoError } from '../core/errors.js';
import { entryHash, ENTRY_HASH } from '../core/formats/entry-hash.js';
import { parseSecretsFile } from '../core/formats/secrets-file.js';
import { assertEnvName } from '../core/names.js';
import type { ServiceContext } from '../services/context.js';
import { keyTarget } from '../services/project.js';
import { decryptValues } from '../services/secrets.js';
import { resolveKey } from '../core/keys/resolve-key.js';
import { verifyEntryChain } from '../services/continuity.js';
import { acceptKeyChain } from './continuity.js';
import { ServerIdentitySource, type ServerIdentity } from './server-identity.js';

export interface OpenedEntry {
  env: string;
  hash: string;
  keyId: string;
  values: Map<string, string>;
  /** The chain to pin once the version is stored. */
  pin: string[];
}

export async function openReceivedEntry(
  env: string,
  entry: unknown,
  hash: string,
  identity: ServerIdentity,
  pinned: readonly string[] | null,
): Promise<OpenedEntry> {
  assertEnvName(env);
  if (!ENTRY_HASH.test(hash)) throw new HakoError('E_PROTOCOL', 'the entry hash must be "sha256:" and 64 lower-case hex digits');
  if (entryHash(env, entry) !== hash) {
    throw new HakoError(
      'E_PROTOCOL',
      `the hash sent with environment '${env}' is not the hash of its entry`,
      'send the entry exactly as the repository holds it, with entryHash(env, entry)',
    );
  }
  const where = `environment '${env}' as received`;
  const hasChain = typeof entry === 'object' && entry !== null && !Array.isArray(entry) && 'chain' in entry;
  const file = parseSecretsFile(JSON.stringify({ environments: { [env]: entry }, version: hasChain ? 2 : 1 }), where);
  const ctx: ServiceContext = { cwd: '/', env: {}, notice: () => {}, keySources: [new ServerIdentitySource(identity)] };
  const record = file.environments.get(env)!;
  if (record.sops) throw new HakoError('E_PROTOCOL', `environment '${env}' is bound to a SOPS file; send the SOPS file`);
  const opened = await resolveKey(keyTarget(env, record), ctx.keySources!);
  verifyEntryChain(env, record, { key: opened.key, label: opened.label, explicitHead: false });
  const chain = record.chain.length ? record.chain : null;
  const pin = acceptKeyChain(pinned, { env, keyId: record.keyId, chain, key: opened.key });
  const values = decryptValues(record, opened);
  return { env, hash, keyId: record.keyId, values, pin };
}
