// Makes test/vectors/ssh: age files for the ssh-ed25519 stanza, written by the real `age` CLI
// with keys from the real `ssh-keygen`, plus copies with one defect each (a header edit).
// The C2SP age testkit has no ssh vectors; these use its file format (README.md there).
// Run: node scripts/make-ssh-vectors.mjs   (needs age and ssh-keygen on PATH)
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = 'test/vectors/ssh';
rmSync(dir, { recursive: true, force: true });
mkdirSync(join(dir, 'keys'), { recursive: true });

const key = (name) => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `hako-vector-${name}`, '-f', join(dir, 'keys', name)]);
  return join(dir, 'keys', name);
};
const a = key('id_a');
const b = key('id_b');
const x25519 = execFileSync('age-keygen', { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
const x25519Recipient = /public key: (age1\S+)/.exec(x25519)[1];

const payload = Buffer.from('hako ssh-ed25519 vector: the environment key would be here\n');
const sha = (b) => createHash('sha256').update(b).digest('hex');
const encrypt = (...args) => execFileSync('age', args, { input: payload });

/** Splits an age file into its header lines (up to and including the MAC line) and the rest. */
function split(file) {
  const end = file.indexOf('\n', file.indexOf('\n--- ') + 1) + 1;
  return {
    lines: file
      .subarray(0, end - 1)
      .toString('latin1')
      .split('\n'),
    rest: file.subarray(end),
  };
}
function join_(lines, rest) {
  return Buffer.concat([Buffer.from(lines.join('\n') + '\n', 'latin1'), rest]);
}
/** Applies `edit` to the args of the first ssh-ed25519 stanza line. */
function editStanza(file, edit) {
  const { lines, rest } = split(file);
  const i = lines.findIndex((l) => l.startsWith('-> ssh-ed25519 '));
  const args = lines[i].slice(3).split(' ');
  lines[i] = '-> ' + edit(args).join(' ');
  return join_(lines, rest);
}
function editBody(file) {
  const { lines, rest } = split(file);
  const i = lines.findIndex((l) => l.startsWith('-> ssh-ed25519 ')) + 1;
  const body = Buffer.from(lines[i], 'base64');
  body[0] ^= 0x01;
  lines[i] = body.toString('base64').replace(/=+$/, '');
  return join_(lines, rest);
}
function editMac(file) {
  const { lines, rest } = split(file);
  const mac = Buffer.from(lines[lines.length - 1].slice(4), 'base64');
  mac[0] ^= 0x01;
  lines[lines.length - 1] = '--- ' + mac.toString('base64').replace(/=+$/, '');
  return join_(lines, rest);
}

const good = encrypt('-R', `${a}.pub`);
const vectors = [
  ['ssh_ed25519', 'success', good, 'encrypted by age -R to id_a.pub'],
  [
    'ssh_ed25519_and_x25519',
    'success',
    encrypt('-r', x25519Recipient, '-R', `${a}.pub`),
    'an X25519 stanza for a key we do not hold, then ours',
  ],
  ['ssh_ed25519_armored', 'success', encrypt('-a', '-R', `${a}.pub`), 'ASCII armored (armored: yes)', true],
  ['ssh_ed25519_other_key', 'no match', encrypt('-R', `${b}.pub`), 'encrypted to id_b; the tag does not match id_a'],
  ['ssh_ed25519_tag_changed', 'no match', editStanza(good, (x) => [x[0], 'AAAAAA', x[2]]), 'our stanza with another tag is not ours'],
  ['ssh_ed25519_body_flipped', 'header failure', editBody(good), 'our tag, but the wrapped file key does not open'],
  [
    'ssh_ed25519_share_short',
    'header failure',
    editStanza(good, (x) => [x[0], x[1], Buffer.from(x[2], 'base64').subarray(0, 31).toString('base64').replace(/=+$/, '')]),
    'the ephemeral share is 31 bytes',
  ],
  [
    'ssh_ed25519_share_padded',
    'header failure',
    editStanza(good, (x) => [x[0], x[1], x[2] + '=']),
    'the share is padded base64 (age uses unpadded, canonical)',
  ],
  [
    'ssh_ed25519_share_low_order',
    'header failure',
    editStanza(good, (x) => [x[0], x[1], 'A'.repeat(43)]),
    'the share is the all-zero (low-order) point',
  ],
  ['ssh_ed25519_missing_share', 'header failure', editStanza(good, (x) => [x[0], x[1]]), 'one argument instead of two'],
  ['ssh_ed25519_extra_arg', 'header failure', editStanza(good, (x) => [...x, 'AAAA']), 'three arguments instead of two'],
  ['ssh_ed25519_bad_mac', 'HMAC failure', editMac(good), 'the header MAC was changed'],
  [
    'ssh_ed25519_truncated_payload',
    'payload failure',
    good.subarray(0, good.length - 1),
    'the last byte of the payload is missing; nothing is released',
  ],
];

for (const [name, expect, file, comment, armored] of vectors) {
  const head = [`expect: ${expect}`];
  if (expect === 'success') head.push(`payload: ${sha(payload)}`);
  if (expect === 'payload failure') head.push(`payload: ${sha(Buffer.alloc(0))}`);
  head.push('ssh identity: keys/id_a');
  if (armored) head.push('armored: yes');
  head.push(`comment: ${comment}`);
  writeFileSync(join(dir, name), Buffer.concat([Buffer.from(head.join('\n') + '\n\n'), file]));
}
const age = execFileSync('age', ['--version']).toString().trim();
const sshv = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim();
writeFileSync(
  join(dir, 'README.md'),
  `# ssh-ed25519 age vectors\n\nThe C2SP age testkit (shared vectors, \`age-testkit/\`) has no ssh-ed25519 vectors, so these\n` +
    `were made with the real tools: keys by \`ssh-keygen -t ed25519\` (${sshv}), files by \`age -R\` (age ${age}),\n` +
    `and copies with one defect each, by scripts/make-ssh-vectors.mjs.\n\n` +
    `Same file format as the testkit: \`key: value\` lines, an empty line, the age file. \`expect\` and\n` +
    `\`payload\` as there; \`ssh identity\` names the OpenSSH private key (in keys/, unencrypted, test-only) to\n` +
    `decrypt with. test/teams-vectors.test.ts checks every vector against hako's ssh-ed25519 code and\n` +
    `against the age CLI itself.\n\nThe private keys here are test data and open nothing else.\n`,
);
console.log(`wrote ${vectors.length} vectors to ${dir}`);
