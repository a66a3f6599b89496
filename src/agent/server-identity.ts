/**
 * The server's own age identity: environments are wrapped to its recipient like to any
 * teammate, so what reaches the agent is the repository's ciphertext and the agent opens it
 * itself. The identity file is age-keygen's format, 0600, in the state directory; the same
 * honesty applies as for the device key: whoever reads the state directory can read it.
 */
import { HakoError } from '../core/errors.js';
import { writeFileExclusive } from '../core/fs/exclusive-write.js';
import { readPrivateFile } from '../core/fs/private-file.js';
import { entriesByRecipient } from '../core/keys/age-identity-source.js';
import type { KeyAnswer, KeySource, KeyTarget } from '../core/keys/key-source.js';
import { unwrapKey } from '../core/keys/recipient-wrap.js';

export interface ServerIdentity {
  identity: string;
  recipient: string;
}

export async function createServerIdentity(path: string): Promise<ServerIdentity> {
  const age = await import('age-encryption');
  const identity = await age.generateX25519Identity();
  const recipient = await age.identityToRecipient(identity);
  const created = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  writeFileExclusive(path, `# hako agent identity, created: ${created}\n# public key: ${recipient}\n${identity}\n`, {
    mode: 0o600,
    dirMode: 0o700,
  });
  return { identity, recipient };
}

export async function readServerIdentity(path: string): Promise<ServerIdentity> {
  const bytes = readPrivateFile(path);
  if (bytes === null) throw new HakoError('E_AGENT', `no server identity at ${path}`, 'set up the agent directory with `hako agent init`');
  const line = bytes
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith('AGE-SECRET-KEY-'));
  if (!line) throw new HakoError('E_FORMAT', `${path} holds no age identity`, 'restore it from a backup, or set up a new agent directory');
  const age = await import('age-encryption');
  try {
    return { identity: line, recipient: await age.identityToRecipient(line) };
  } catch {
    throw new HakoError('E_FORMAT', `${path} holds a malformed age identity`, 'restore it from a backup, or set up a new agent directory');
  }
}

/** A key source that answers only with this server's identity: the one way the agent opens an entry. */
export class ServerIdentitySource implements KeySource {
  readonly kind = 'age-identity' as const;

  constructor(private readonly id: ServerIdentity) {}

  async find(target: KeyTarget): Promise<KeyAnswer> {
    const entry = entriesByRecipient(target.recipients).get(this.id.recipient);
    if (entry === undefined) return { missed: `this server (${this.id.recipient}) is not a recipient of '${target.env}'` };
    const key = await unwrapKey(entry, this.id.identity, `the recipients entry of environment '${target.env}' for this server`);
    return { key, label: 'the agent identity' };
  }
}
