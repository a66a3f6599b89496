/**
 * Generators for the age and ssh parsers: a pool of real identities made by age-encryption
 * (X25519 and post-quantum hybrid) with their recipients, ssh-ed25519 public key lines built
 * from the SSH wire format, the real OpenSSH private keys in test/vectors/ssh/keys with their
 * decoded body mutated byte by byte, and recipients.md tables.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { generateHybridIdentity, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { UNSAFE_CELL, type RecipientRow } from '../../src/core/formats/recipients-doc.js';
import { REPO_ROOT } from '../helpers.js';
import { anyString } from './arbitraries.js';

export const PEM_BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
export const PEM_END = '-----END OPENSSH PRIVATE KEY-----';

async function pool() {
  const identities: string[] = [];
  for (let i = 0; i < 24; i++) identities.push(await generateX25519Identity());
  for (let i = 0; i < 3; i++) identities.push(await generateHybridIdentity());
  const recipientOf = new Map<string, string>();
  for (const id of identities) recipientOf.set(id, await identityToRecipient(id));
  return { identities, recipientOf };
}

/** Real identities and their recipients, made once per run. */
export const TEAM = await pool();

function sshString(b: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** `ssh-ed25519 <base64 wire key>` for a random 32-byte key (not checked as a curve point here). */
const sshLine = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((k) => `ssh-ed25519 ${Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(k)]).toString('base64')}`);

/** Canonical recipients: what `recipients` keys and recipients.md rows hold. */
export const recipientModel = fc.oneof(fc.constantFrom(...TEAM.recipientOf.values()), sshLine);

/** Recipients as people paste them: surrounding blanks, upper case, ssh comments. */
export const recipientText = fc.oneof(
  recipientModel,
  recipientModel.map((r) => `  ${r}\t`),
  sshLine.map((l) => `${l} someone@laptop`),
  fc.constantFrom(...TEAM.recipientOf.values()).map((r) => r.toUpperCase()),
);

/** An identity file as age-keygen writes it, with comments, blank lines and CRLF now and then. */
export const identityFile = fc
  .tuple(fc.array(fc.constantFrom(...TEAM.identities), { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([ids, crlf]) => {
    const text = [
      '# created: 2024-01-01T00:00:00Z',
      ...ids.flatMap((id) => [`# public key: ${TEAM.recipientOf.get(id)}`, id, '']),
      '',
    ].join('\n');
    return crlf ? text.replace(/\n/g, '\r\n') : text;
  });

export const SSH_KEYS = ['id_a', 'id_b'].map((f) => readFileSync(join(REPO_ROOT, 'test', 'vectors', 'ssh', 'keys', f), 'utf8'));

/** A real OpenSSH key whose decoded body is edited (bytes set, inserted, removed, cut) and re-armoured. */
export const sshKeyBodyMutated = fc
  .tuple(
    fc.constantFrom(...SSH_KEYS),
    fc.array(fc.record({ kind: fc.integer({ min: 0, max: 3 }), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), {
      minLength: 1,
      maxLength: 3,
    }),
  )
  .map(([pem, edits]) => {
    let body = Buffer.from(
      pem
        .split('\n')
        .filter((l) => l && !l.startsWith('-----'))
        .join(''),
      'base64',
    );
    for (const e of edits) {
      const at = e.at % (body.length + 1);
      if (e.kind === 0 && at < body.length) body[at] = e.byte;
      else if (e.kind === 1) body = Buffer.concat([body.subarray(0, at), Buffer.from([e.byte]), body.subarray(at)]);
      else if (e.kind === 2) body = Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
      else body = body.subarray(0, at);
    }
    const b64 = body.toString('base64');
    return [PEM_BEGIN, ...(b64.match(/.{1,70}/g) ?? []), PEM_END, ''].join('\n');
  });

/** A Name or Role as `hako recipients add` stores it: trimmed, no control or bidi characters. */
const asLabel = (s: string) => s.replace(new RegExp(UNSAFE_CELL.source, 'g'), '').trim();

/** recipients.md rows as `hako recipients add` makes them (Environments is derived, so empty here). */
export const recipientRows: fc.Arbitrary<RecipientRow[]> = fc
  .uniqueArray(
    fc.record({
      recipient: recipientModel,
      name: fc.oneof(fc.constantFrom('Alice', 'Bob Smith', 'ops | oncall', 'back\\slash', ''), anyString(16).map(asLabel)),
      role: fc.oneof(fc.constantFrom('dev', 'CI', 'admin|ops', ''), anyString(10).map(asLabel)),
      added: fc.oneof(
        fc.constant(''),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      ),
    }),
    { selector: (r) => r.recipient, maxLength: 5 },
  )
  .map((rows) =>
    rows
      .map((r) => ({ ...r, environments: [] as string[] }))
      .sort((a, b) => (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0)),
  );
