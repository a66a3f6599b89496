/**
 * The recipients hako can wrap an environment key for, and their one canonical spelling:
 * - `age1…`      X25519 (lower-case Bech32, 32-byte key);
 * - `age1pq1…`   ML-KEM-768 + X25519 hybrid, post-quantum (lower-case Bech32);
 * - `ssh-ed25519 AAAA…` an SSH key, stored without its comment.
 * The canonical spelling is the key of the `recipients` entry, so one person is one entry
 * however they pasted their key. Parsing here is syntactic and cheap; the Bech32 checksum and
 * the curve point are verified when a recipient is built for wrapping (age-encryption and
 * the ssh stanza are loaded only then).
 */
import { displayText } from '../display.js';
import type { Recipient } from 'age-encryption';
import { HakoError } from '../errors.js';
import { parseSshPublicKeyLine, SSH_ED25519 } from '../formats/openssh-key.js';

export type RecipientKind = 'x25519' | 'pq-hybrid' | 'ssh-ed25519';

export interface RecipientSpec {
  kind: RecipientKind;
  canonical: string;
}

const X25519 = /^age1[02-9ac-hj-np-z]{58}$/;
const HYBRID = /^age1pq1[02-9ac-hj-np-z]{1952}$/; // 1216-byte key + checksum

/** Parses a recipient as a person types or pastes it; throws E_AGE with a hint. */
export function parseRecipient(text: string): RecipientSpec {
  const t = text.trim();
  if (/^AGE-SECRET-KEY-|^AGE-PLUGIN-|PRIVATE KEY-----/i.test(t)) {
    throw new HakoError(
      'E_AGE',
      'that is a private key, not a recipient',
      'never paste or share it; give the public recipient instead (hako pubkey prints yours)',
    );
  }
  if (t.startsWith(`${SSH_ED25519} `) || t.startsWith(`${SSH_ED25519}\t`)) {
    return { kind: 'ssh-ed25519', canonical: parseSshPublicKeyLine(t).line };
  }
  if (/^(ssh|ecdsa|sk)-[a-z0-9@.-]+\s/.test(t)) parseSshPublicKeyLine(t); // throws: unsupported type, by name
  const lower = t === t.toUpperCase() ? t.toLowerCase() : t; // Bech32 is all lower or all upper case
  if (X25519.test(lower)) return { kind: 'x25519', canonical: lower };
  if (HYBRID.test(lower)) return { kind: 'pq-hybrid', canonical: lower };
  if (/^age1[a-z0-9]+1/.test(lower)) {
    throw new HakoError(
      'E_AGE',
      `unsupported age recipient type "${displayText(lower.slice(0, lower.indexOf('1', 4) + 1), 24)}"…`,
      'hako takes age1… (X25519), age1pq1… (post-quantum) and ssh-ed25519 recipients; plugin and tag recipients are not supported',
    );
  }
  throw new HakoError(
    'E_AGE',
    `not a recipient hako understands: "${displayText(t, 24)}"`,
    'give an age recipient (age1…, from `hako pubkey` or age-keygen -y), an age1pq1… recipient, or an "ssh-ed25519 AAAA…" line',
  );
}

/** The canonical spelling of a stored recipient, or null when hako cannot read it. */
export function canonicalRecipient(text: string): string | null {
  try {
    return parseRecipient(text).canonical;
  } catch {
    return null;
  }
}

/** A short form for tables and messages: long recipients keep their head and tail. */
export function shortRecipient(recipient: string): string {
  return recipient.length <= 80 ? recipient : `${recipient.slice(0, 24)}…${recipient.slice(-8)}`;
}

/** What typage's Encrypter takes for this recipient (verifies the checksum or curve point). */
export async function ageRecipientFor(spec: RecipientSpec): Promise<string | Recipient> {
  if (spec.kind !== 'ssh-ed25519') return spec.canonical;
  const { SshEd25519Recipient } = await import('./ssh-ed25519.js');
  return new SshEd25519Recipient(parseSshPublicKeyLine(spec.canonical));
}
