// The parsers under the teams feature, on real inputs: OpenSSH keys from ssh-keygen,
// recipients as people paste them, SOPS_AGE_KEY_CMD command lines, recipients.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';
import { sshKeygen } from './teams-helpers.js';
import { parseOpenSshPrivateKey, parseSshPublicKeyLine } from '../src/core/formats/openssh-key.js';
import { parseRecipient } from '../src/core/keys/age-recipient.js';
import { splitShellWords } from '../src/core/formats/shell-words.js';
import { encodeRecipientsDoc, parseRecipientsDoc } from '../src/core/formats/recipients-doc.js';
import { SshEd25519Identity } from '../src/core/keys/ssh-ed25519.js';
import { isHakoError } from '../src/core/errors.js';
import { needTools } from './tools.js';

function hakoError(code: string, message: RegExp) {
  return (err: unknown) => isHakoError(err) && err.code === code && message.test(err.message);
}

test('OpenSSH keys: ssh-keygen output parses; encrypted keys show their public key; damage is refused', (t) => {
  if (!needTools(t, 'ssh-keygen')) return;
  const dir = tempDir('hako-ssh-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const plain = sshKeygen(join(dir, 'plain'));
  const locked = sshKeygen(join(dir, 'locked'), 'a passphrase');
  const pubLine = readFileSync(`${plain}.pub`, 'utf8');
  const k = parseOpenSshPrivateKey(readFileSync(plain, 'utf8'), 'plain');
  assert.equal(k.kind, 'ed25519');
  if (k.kind !== 'ed25519') return;
  assert.equal(k.publicKey.line, pubLine.trim().replace(/ \S+$/, ''));
  assert.deepEqual(parseSshPublicKeyLine(pubLine), k.publicKey);
  assert.equal(new SshEd25519Identity(k.seed, k.publicKey).publicKey.line, k.publicKey.line);
  assert.throws(() => new SshEd25519Identity(new Uint8Array(32).fill(9), k.publicKey), /does not match/);

  const l = parseOpenSshPrivateKey(readFileSync(locked, 'utf8'), 'locked');
  assert.equal(l.kind, 'encrypted');
  assert.equal(l.kind === 'encrypted' && l.publicKey?.line, readFileSync(`${locked}.pub`, 'utf8').trim().replace(/ \S+$/, ''));

  const text = readFileSync(plain, 'utf8');
  const lines = text.trim().split('\n');
  const body = Buffer.from(lines.slice(1, -1).join(''), 'base64');
  const rewrap = (b: Buffer) => [lines[0], ...(b.toString('base64').match(/.{1,70}/g) ?? []), lines[lines.length - 1]].join('\n') + '\n';
  // magic (15) ‖ "none" (8) ‖ "none" (8) ‖ "" (4) ‖ 1 key (4) ‖ public key (4 + 51) ‖ section length (4): the first check integer
  const flipCheck = Buffer.from(body);
  flipCheck[15 + 8 + 8 + 4 + 4 + 55 + 4]! ^= 1;
  const broken: [string, string][] = [
    ['truncated', lines.slice(0, 3).join('\n') + '\n' + lines[lines.length - 1]],
    ['no footer', lines.slice(0, -1).join('\n')],
    ['check integers differ', rewrap(flipCheck)],
    ['not base64', text.replace(lines[2]!, lines[2]!.replace(/[A-Za-z]/, '*'))],
  ];
  for (const [what, t] of broken)
    assert.throws(() => parseOpenSshPrivateKey(t, 'k'), hakoError('E_AGE', /malformed OpenSSH private key/), what);
  assert.throws(() => parseSshPublicKeyLine('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA=='), hakoError('E_AGE', /malformed/));
  assert.throws(
    () => parseSshPublicKeyLine(pubLine.replace('ssh-ed25519', 'ssh-rsa')),
    hakoError('E_AGE', /unsupported SSH key type "ssh-rsa"/),
  );
});

test('recipients: one canonical spelling per key', () => {
  const x = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
  assert.deepEqual(parseRecipient(`  ${x}\n`), { kind: 'x25519', canonical: x });
  assert.deepEqual(parseRecipient(x.toUpperCase()), { kind: 'x25519', canonical: x });
  assert.throws(() => parseRecipient(x.slice(0, 10) + x.slice(10).toUpperCase()), hakoError('E_AGE', /not a recipient/)); // mixed case is not Bech32
  const ssh = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA24nyzX70v8SXpkdE/G8GdT81eBS0CWhN26RgoFEB9L';
  assert.deepEqual(parseRecipient(`${ssh} someone@laptop`), { kind: 'ssh-ed25519', canonical: ssh });
  assert.deepEqual(parseRecipient(`${ssh}\tother comment with spaces`), { kind: 'ssh-ed25519', canonical: ssh });
  assert.throws(() => parseRecipient('AGE-SECRET-KEY-1QQQ'), hakoError('E_AGE', /private key, not a recipient/));
  assert.throws(() => parseRecipient('-----BEGIN OPENSSH PRIVATE KEY-----'), hakoError('E_AGE', /private key/));
  assert.throws(() => parseRecipient('age1tag1qqqq'), hakoError('E_AGE', /unsupported age recipient type "age1tag1"/));
  assert.throws(() => parseRecipient('ecdsa-sha2-nistp256 AAAAE2VjZHNh'), hakoError('E_AGE', /unsupported SSH key type/));
  assert.throws(() => parseRecipient(''), hakoError('E_AGE', /not a recipient/));
});

test('SOPS_AGE_KEY_CMD is split like a shell would, without one', () => {
  assert.deepEqual(splitShellWords(`op read "op://vault/age key/credential"`, 'x'), ['op', 'read', 'op://vault/age key/credential']);
  assert.deepEqual(splitShellWords(`cat '/path with spaces/keys.txt'`, 'x'), ['cat', '/path with spaces/keys.txt']);
  assert.deepEqual(splitShellWords(`a\\ b "c\\"d" 'e\\f' g"h"i`, 'x'), ['a b', 'c"d', 'e\\f', 'ghi']);
  assert.deepEqual(splitShellWords('  pass  show  age  ', 'x'), ['pass', 'show', 'age']);
  assert.deepEqual(splitShellWords(`echo '' x`, 'x'), ['echo', '', 'x']);
  assert.deepEqual(splitShellWords('a | b', 'x'), ['a', '|', 'b'], 'no pipes: a word like any other');
  for (const bad of [`"open`, `'open`, 'trailing\\'])
    assert.throws(() => splitShellWords(bad, 'SOPS_AGE_KEY_CMD'), hakoError('E_USAGE', /SOPS_AGE_KEY_CMD: unterminated/));
});

test('recipients.md: deterministic encoding, labels survive a round trip, damage is refused', () => {
  const rows = [
    {
      recipient: 'ssh-ed25519 AAAAC3Nza',
      name: 'Carol | ops \\ team',
      role: 'sre',
      environments: ['staging', 'production'],
      added: '2026-01-02',
    },
    { recipient: 'age1abc', name: '', role: '', environments: ['production'], added: '' },
  ];
  const text = encodeRecipientsDoc(rows);
  assert.equal(text, encodeRecipientsDoc([...rows].reverse()), 'order of input does not matter');
  const table = text.split('\n').filter((l) => l.startsWith('|'));
  assert.deepEqual(table, [
    '| Recipient | Name | Role | Environments | Added |',
    '| --- | --- | --- | --- | --- |',
    '| `age1abc` | | | production | |',
    '| `ssh-ed25519 AAAAC3Nza` | Carol \\| ops \\\\ team | sre | production, staging | 2026-01-02 |',
  ]);
  const back = parseRecipientsDoc(text);
  assert.deepEqual(back.get('ssh-ed25519 AAAAC3Nza'), { name: 'Carol | ops \\ team', role: 'sre', added: '2026-01-02' });
  assert.deepEqual(back.get('age1abc'), { name: '', role: '', added: '' });
  const damaged: [string, string][] = [
    ['no header', text.replace('| Recipient |', '| Who |')],
    ['a short row', text.replace(' | sre |', ' |')],
    ['recipient without backquotes', text.replace('`age1abc`', 'age1abc')],
    ['a bad date', text.replace('2026-01-02', 'yesterday')],
    ['listed twice', text + '| `age1abc` | | | production | |\n'],
  ];
  for (const [what, t] of damaged) assert.throws(() => parseRecipientsDoc(t), hakoError('E_FORMAT', /recipients\.md: line \d+/), what);
});
