/**
 * Turns the identity texts found on this machine into usable age identities, each with its
 * recipient (what it is called in `recipients`) and where it came from.
 *
 * Formats: native identities (`AGE-SECRET-KEY-1…` X25519, `AGE-SECRET-KEY-PQ-1…` hybrid),
 * one per line with `#` comments and blank lines (identity files, command output), or
 * separated by blanks and commas (the variables); and unencrypted OpenSSH ed25519 private
 * keys. An identity that is malformed or truncated is a problem (never quoted). Plugin
 * identities and other SSH key types are skipped with a reason. A passphrase-protected SSH
 * key is kept as "locked" with its public key: it is only an error when it is the one an
 * environment needs. Loaded lazily: it pulls in age-encryption and the curves.
 */
import { displayText } from '../display.js';
import { identityToRecipient, type Identity } from 'age-encryption';
import { HakoError } from '../errors.js';
import { looksLikeOpenSshPrivateKey, parseOpenSshPrivateKey } from '../formats/openssh-key.js';
import type { Discovery, IdentityText } from './age-identity-discovery.js';
import type { RecipientKind } from './age-recipient.js';
import { SshEd25519Identity } from './ssh-ed25519.js';

export interface AgeIdentity {
  /** Canonical recipient: the key of this identity's entry in `recipients`. */
  recipient: string;
  kind: RecipientKind;
  /** Where it came from: a variable, a path, with the line for multi-identity files. */
  origin: string;
  /** For typage's Decrypter: a native identity string, or the ssh-ed25519 Identity. */
  identity: string | Identity;
}

export interface IdentitySet {
  identities: AgeIdentity[];
  /** Passphrase-protected SSH keys: their recipient, and where they are. */
  locked: { recipient: string; origin: string }[];
  skipped: { origin: string; reason: string }[];
  problems: HakoError[];
  looked: string[];
}

export async function loadIdentities(found: Discovery): Promise<IdentitySet> {
  const set: IdentitySet = { identities: [], locked: [], skipped: [], problems: [...found.problems], looked: found.looked };
  const seen = new Set<string>();
  const add = (id: AgeIdentity) => {
    if (seen.has(id.recipient)) return; // the same identity in two places: the first one names it
    seen.add(id.recipient);
    set.identities.push(id);
  };
  for (const t of found.texts) {
    try {
      if (t.format === 'ssh' || looksLikeOpenSshPrivateKey(t.text)) loadSsh(t, set, add);
      else for (const id of await loadNative(t, set)) add(id);
    } catch (err) {
      if (err instanceof HakoError) set.problems.push(err);
      else throw err;
    }
  }
  return set;
}

async function loadNative(t: IdentityText, set: IdentitySet): Promise<AgeIdentity[]> {
  const out: AgeIdentity[] = [];
  const lines = t.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = t.format === 'words' ? line.split(/[\s,]+/).filter(Boolean) : [line];
    const where = lines.length > 1 ? `${t.origin}, line ${i + 1}` : t.origin;
    for (const word of words) {
      if (word.startsWith('AGE-PLUGIN-')) {
        set.skipped.push({ origin: where, reason: 'age plugin identities are not supported by hako' });
        continue;
      }
      const kind: RecipientKind | null = word.startsWith('AGE-SECRET-KEY-PQ-1')
        ? 'pq-hybrid'
        : word.startsWith('AGE-SECRET-KEY-1')
          ? 'x25519'
          : null;
      let recipient: string | null = null;
      if (kind) {
        try {
          recipient = await identityToRecipient(word);
        } catch {
          recipient = null;
        }
      }
      if (!kind || !recipient) {
        throw new HakoError(
          'E_AGE',
          `${where}: not a valid age identity (malformed or truncated)`,
          'each identity is one AGE-SECRET-KEY-1… line as age-keygen or `hako keygen` writes it; comments start with #',
        );
      }
      out.push({ recipient, kind, origin: where, identity: word });
    }
  }
  return out;
}

function loadSsh(t: IdentityText, set: IdentitySet, add: (id: AgeIdentity) => void): void {
  const key = parseOpenSshPrivateKey(t.text, t.origin);
  if (key.kind === 'encrypted') {
    if (key.publicKey) set.locked.push({ recipient: key.publicKey.line, origin: t.origin });
    else
      set.skipped.push({
        origin: t.origin,
        reason: `a passphrase-protected ${displayText(key.keyType)} key (only ssh-ed25519 keys are supported)`,
      });
    return;
  }
  if (key.kind === 'unsupported') {
    if (t.explicit)
      throw new HakoError(
        'E_AGE',
        `${t.origin}: ${displayText(key.keyType)} keys are not supported`,
        'use an ssh-ed25519 key (ssh-keygen -t ed25519) or an age identity (hako keygen)',
      );
    set.skipped.push({ origin: t.origin, reason: `a ${displayText(key.keyType)} key (only ssh-ed25519 keys are supported)` });
    return;
  }
  let identity: SshEd25519Identity;
  try {
    identity = new SshEd25519Identity(key.seed, key.publicKey);
  } catch {
    throw new HakoError(
      'E_AGE',
      `${t.origin}: the private key does not match its public key`,
      'the file is damaged; restore it or make a new key',
    );
  }
  add({ recipient: identity.publicKey.line, kind: 'ssh-ed25519', origin: t.origin, identity });
}
