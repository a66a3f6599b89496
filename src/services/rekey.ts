/**
 * Replacing the key of an environment: what `key rotate` and `recipients rm` share.
 *
 * A new key id and key (random, or from a passphrase), every value opened with the old key
 * and sealed with the new one, the new key wrapped for each recipient that keeps access. The
 * wrapping (slow, async) happens before the lock; under the lock the environment must still
 * be the one that was opened, with the same recipients, or nothing is written.
 */
import { HakoError } from '../core/errors.js';
import { EnvironmentCipher } from '../core/crypto/environment-cipher.js';
import type { KdfParams } from '../core/crypto/argon2id.js';
import { newEnvironmentRecord, type EnvironmentRecord } from '../core/formats/secrets-file.js';
import { metaText } from '../core/formats/secret-meta.js';
import { genesisLink, successorLink } from '../core/trust/key-chain.js';
import { pinEnvironment } from './continuity.js';
import { wrapKeyForRecipient } from '../core/keys/recipient-wrap.js';
import type { OpenedEnvironment } from '../core/keys/resolve-key.js';
import { requireEnvironment, updateSecretsFile, type Project } from './project.js';
import type { ServiceContext } from './context.js';

export interface NextKey {
  keyId: string;
  key: Buffer;
  /** Present when the key derives from a passphrase. */
  passphrase?: KdfParams;
}

/**
 * Re-encrypts `env` under `next`, wrapped for `recipients`. `before` is the record the caller
 * decided on; if the environment changed since, this fails with nothing written.
 * Returns the names of the secrets (the rotation checklist).
 */
export async function rekeyEnvironment(
  ctx: ServiceContext,
  project: Project,
  env: string,
  old: OpenedEnvironment,
  before: EnvironmentRecord,
  next: NextKey,
  recipients: readonly string[],
): Promise<string[]> {
  const fresh = new EnvironmentCipher(env, next.keyId, next.key);
  const wrapped = new Map<string, string>();
  for (const r of recipients) wrapped.set(r, await wrapKeyForRecipient(next.key, r));
  const { result } = await updateSecretsFile(ctx, project, (file) => {
    const current = requireEnvironment(file, env);
    if (current.keyId !== old.cipher.keyId || !sameRecipients(current, before)) throw changedMeanwhile(env);
    // The new key joins the chain with a link signed by the key it replaces: the proof that
    // lets every machine accept it without having held the old key.
    const chain = current.chain.length ? [...current.chain] : [genesisLink(env, current.keyId, old.key)];
    chain.push(successorLink(env, { keyId: current.keyId, key: old.key }, { keyId: next.keyId, key: next.key }));
    const record = newEnvironmentRecord(next.keyId, fresh.makeCheck(), chain);
    record.recipients = wrapped;
    if (next.passphrase) record.passphrase = { ...next.passphrase };
    for (const [name, token] of current.secrets) {
      const meta = current.meta.get(name);
      record.secrets.set(name, fresh.seal(name, old.cipher.open(name, token, metaText(meta)), metaText(meta)));
      if (meta) record.meta.set(name, { ...meta });
    }
    file.environments.set(env, record);
    return { names: [...current.secrets.keys()].sort(), record };
  });
  await pinEnvironment(ctx, project, env, result.record);
  return result.names;
}

function sameRecipients(a: EnvironmentRecord, b: EnvironmentRecord): boolean {
  return a.recipients.size === b.recipients.size && [...a.recipients.keys()].every((k) => b.recipients.has(k));
}

export function changedMeanwhile(env: string): HakoError {
  return new HakoError(
    'E_LOCKED',
    `environment '${env}' changed while this command ran (another rotation or recipient change)`,
    'nothing was written; run the command again',
  );
}
