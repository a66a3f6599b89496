/**
 * Finds the key of an environment: asks each source in order, first answer wins, and a
 * wrong answer is an error (never a fall-through to the next source, never a guess).
 */
import { HakoError } from '../errors.js';
import { EnvironmentCipher } from '../crypto/environment-cipher.js';
import type { KeySource, KeySourceKind, KeyTarget } from './key-source.js';

export interface OpenedEnvironment {
  cipher: EnvironmentCipher;
  /** The environment key itself, for commands that export, save or wrap it. */
  key: Buffer;
  kind: KeySourceKind;
  /** Where the key came from: a variable name, a path, an identity file. Never the key. */
  label: string;
}

export async function resolveKey(target: KeyTarget, sources: readonly KeySource[]): Promise<OpenedEnvironment> {
  const tried: string[] = [];
  for (const source of sources) {
    const answer = await source.find(target);
    if ('missed' in answer) {
      if (answer.missed) tried.push(answer.missed); // an empty reason: a source that was never set up here
      continue;
    }
    const cipher = new EnvironmentCipher(target.env, target.keyId, answer.key);
    if (!cipher.opensCheck(target.check)) throw wrongKey(target, source.kind, answer.label);
    return { cipher, key: answer.key, kind: source.kind, label: answer.label };
  }
  throw new HakoError(
    'E_NO_KEY',
    `no key opens environment '${target.env}' (key id ${target.keyId}); tried: ${tried.join('; ')}`,
    `import its key bundle (hako key import), set HAKO_KEY in CI${target.passphrase ? `, or give its passphrase (hako key import --passphrase --env ${target.env})` : ''}${target.recipients.size > 0 ? ', or send your age recipient (hako pubkey) to someone who can open it (hako recipients add)' : ''}`,
  );
}

function wrongKey(target: KeyTarget, kind: KeySourceKind, label: string): HakoError {
  if (kind === 'passphrase') {
    return new HakoError(
      'E_WRONG_KEY',
      `wrong passphrase for environment '${target.env}' (from ${label})`,
      'check the passphrase with your team; nothing was changed',
    );
  }
  return new HakoError(
    'E_WRONG_KEY',
    `the key from ${label} does not open environment '${target.env}' (key id ${target.keyId}): the key is wrong or the check was changed`,
    kind === 'key-file'
      ? `remove or replace ${label} (hako key import), or restore .hako/secrets.json from git`
      : kind === 'keychain'
        ? `replace it (hako key import --keychain) or drop it (hako keychain rm ${target.keyId} --yes), or restore .hako/secrets.json from git`
        : 'check you have the right key for this project and environment',
  );
}
