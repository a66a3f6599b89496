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
import { decodeBase64Strict } from '../core/crypto/base64.js';
import { openAgeX25519 } from './age-x25519.js';
import { x25519Recipient } from './x25519-identity.js';

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
  const recipient = x25519Recipient(line);
  if (!recipient)
    throw new HakoError('E_FORMAT', `${path} holds a malformed age identity`, 'restore it from a backup, or set up a new agent directory');
  return { identity: line, recipient };
}

/** A key source that answers only with this server's identity: the one way the agent opens an entry. */
export class ServerIdentitySource implements KeySource {
  readonly kind = 'age-identity' as const;

  constructor(private readonly id: ServerIdentity) {}

  async find(target: KeyTarget): Promise<KeyAnswer> {
    const entry = entriesByRecipient(target.recipients).get(this.id.recipient);
    if (entry === undefined) return { missed: `this server (${this.id.recipient}) is not a recipient of '${target.env}'` };
    const bytes = decodeBase64Strict(entry);
    const key = bytes ? openAgeX25519(Buffer.from(bytes), this.id.identity) : null;
    if (!key || key.length !== 32) {
      throw new HakoError(
        'E_TAMPERED',
        `the recipients entry of environment '${target.env}' for this server does not open`,
        'the entry was damaged or replaced: push the environment again as the repository holds it',
      );
    }
    return { key, label: 'the agent identity' };
  }
}
