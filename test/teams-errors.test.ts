// Issue 4, "what bad input gets": a clear error and hint, the right exit code, nothing written,
// no key material in any message; an identity that matches no recipient is "not mine".
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project, assertNoSecretIn, type RunResult, hakoInProcessByDefault } from './helpers.js';
import { ageKeygen, keyFilesOf, machine, sshKeygen } from './teams-helpers.js';
import { needTools } from './tools.js';

hakoInProcessByDefault();

function snapshot(p: Project): string {
  const doc = join(p.dir, '.hako', 'recipients.md');
  return p.file() + '\n---\n' + (existsSync(doc) ? readFileSync(doc, 'utf8') : '(none)');
}

function failsCleanly(r: RunResult, code: number, message: RegExp, what: string): void {
  assert.equal(r.code, code, `${what}: exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, /^hako: error: /m, what);
  assert.match(r.stderr, /^hako: hint: /m, what);
  assert.match(r.stderr, message, what);
}

function identityLine(path: string): string {
  return readFileSync(path, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
}

test('recipients add: bad recipients, duplicates and a closed environment change nothing', async (t) => {
  if (!needTools(t, 'age-keygen', 'ssh-keygen')) return;
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('API_TOKEN', 'tok-a81f', 'production');
  const m = machine(t, 'dup');
  const rec = ageKeygen(join(m.home, 'k.txt'));
  const ssh = sshKeygen(join(m.home, 'id'));
  p.ok(['recipients', 'add', rec, '--env', 'production', '--name', 'Ravi']);
  p.ok(['recipients', 'add', readFileSync(`${ssh}.pub`, 'utf8'), '--env', 'production']);
  const before = snapshot(p);
  const secretKey = identityLine(join(m.home, 'k.txt'));
  const sshPub = readFileSync(`${ssh}.pub`, 'utf8').trim();
  const cases: [string, string[], number, RegExp][] = [
    ['unknown format', ['recipients', 'add', 'pgp:0xDEADBEEF', '--env', 'production'], 1, /not a recipient hako understands/],
    [
      'bad checksum',
      ['recipients', 'add', rec.slice(0, -1) + (rec.endsWith('q') ? 'p' : 'q'), '--env', 'production'],
      1,
      /malformed x25519 recipient/,
    ],
    ['truncated', ['recipients', 'add', rec.slice(0, 40), '--env', 'production'], 1, /not a recipient hako understands/],
    ['a private key', ['recipients', 'add', secretKey, '--env', 'production'], 1, /that is a private key, not a recipient/],
    [
      'ssh-rsa',
      ['recipients', 'add', 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 me@host', '--env', 'production'],
      1,
      /unsupported SSH key type "ssh-rsa"/,
    ],
    [
      'ssh damaged',
      ['recipients', 'add', sshPub.replace('AAAAC3', 'AAAAC4'), '--env', 'production'],
      1,
      /malformed ssh-ed25519 public key/,
    ],
    [
      'a plugin recipient',
      ['recipients', 'add', 'age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t', '--env', 'production'],
      1,
      /unsupported age recipient type "age1yubikey1"/,
    ],
    ['added twice', ['recipients', 'add', rec.toUpperCase(), '--env', 'production'], 1, /already has access to environment 'production'/],
    [
      'ssh added twice (other comment)',
      ['recipients', 'add', sshPub.replace(/ \S+$/, ' other@comment'), '--env', 'production'],
      1,
      /already has access/,
    ],
    ['no such environment', ['recipients', 'add', rec, '--env', 'staging'], 1, /no environment 'staging'/],
    ['no --env', ['recipients', 'add', rec], 2, /give the environment with --env/],
    [
      'a name on two lines',
      ['recipients', 'add', ageKeygen(join(m.home, 'k2.txt')), '--env', 'production', '--name', 'a\nb'],
      2,
      /one line/,
    ],
  ];
  for (const [what, args, code, message] of cases) {
    const r = p.run(args);
    failsCleanly(r, code, message, what);
    assert.equal(snapshot(p), before, `${what}: nothing written`);
    assertNoSecretIn([r.stdout, r.stderr], [secretKey, secretKey.slice(16, 60)]);
  }
  // Adding needs the environment open here: a teammate without its key cannot add anyone.
  const r = p.run(['recipients', 'add', ageKeygen(join(m.home, 'k3.txt')), '--env', 'production'], { env: machine(t, 'nokey').env });
  failsCleanly(r, 3, /adding a recipient needs the key of 'production' on this machine/, 'closed environment');
  assert.equal(snapshot(p), before);
  // A damaged recipients.md stops an add before secrets.json is touched.
  const docPath = join(p.dir, '.hako', 'recipients.md');
  writeFileSync(docPath, readFileSync(docPath, 'utf8').replace('| --- |', '| -- |'));
  const damaged = snapshot(p);
  failsCleanly(
    p.run(['recipients', 'add', ageKeygen(join(m.home, 'k4.txt')), '--env', 'production']),
    5,
    /recipients\.md: line \d+: the table header rule is missing/,
    'damaged recipients.md',
  );
  assert.equal(snapshot(p), damaged);
});

test('recipients rm: the last way in needs --force; unknown recipients and passphrase environments are refused', async (t) => {
  if (!needTools(t, 'age-keygen')) return;
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-a-91', 'production');
  const m = machine(t, 'last');
  const rec = ageKeygen(join(m.home, 'k.txt'));
  p.ok(['recipients', 'add', rec, '--env', 'production']);
  const before = snapshot(p);
  failsCleanly(
    p.run(['recipients', 'rm', rec, '--env', 'production']),
    2,
    /removing the last recipient of 'production' would leave no way in/,
    'last recipient',
  );
  assert.equal(snapshot(p), before);
  failsCleanly(
    p.run(['recipients', 'rm', ageKeygen(join(m.home, 'x.txt')), '--env', 'production']),
    1,
    /that recipient has no access to environment 'production'/,
    'not a recipient',
  );
  assert.equal(snapshot(p), before);

  const r = p.ok(['recipients', 'rm', rec, '--env', 'production', '--force', '--json']);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.rotate, ['A']);
  assert.equal(out.recipients, 0);
  assert.ok(out.key_file && existsSync(out.key_file), 'with nobody left, this machine keeps the new key');
  assert.equal(p.get('A', 'production'), 'value-a-91');
  assert.equal(p.json().environments.production.recipients, undefined);
  assert.match(readFileSync(join(p.dir, '.hako', 'recipients.md'), 'utf8'), /\| --- \|\n$/, 'the table is empty');

  // A passphrase environment: removing replaces the key, so a new passphrase (or --random) is needed.
  const pass = { HAKO_PASSPHRASE: 'correct horse battery staple' };
  p.ok(['env', 'add', 'staging', '--passphrase'], { env: pass });
  p.ok(['recipients', 'add', rec, '--env', 'staging'], { env: pass });
  p.ok(['recipients', 'add', ageKeygen(join(m.home, 'y.txt')), '--env', 'staging'], { env: pass });
  const s = snapshot(p);
  failsCleanly(p.run(['recipients', 'rm', rec, '--env', 'staging'], { env: pass }), 2, /uses a passphrase/, 'passphrase env');
  assert.equal(snapshot(p), s);
  const rot = JSON.parse(
    p.ok(['recipients', 'rm', rec, '--env', 'staging', '--passphrase', '--json'], {
      env: { ...pass, HAKO_NEW_PASSPHRASE: 'a new and long passphrase' },
    }).stdout,
  );
  assert.equal(rot.recipients, 1);
  assert.ok(p.json().environments.staging.passphrase, 'still a passphrase environment');
  const fresh = machine(t, 'fresh');
  assert.equal(
    p.run(['export', '--env', 'staging'], { env: { ...fresh.env, HAKO_PASSPHRASE: 'a new and long passphrase' } }).code,
    0,
    'the new passphrase opens it',
  );
});

test('broken identity sources are errors; an identity that is no recipient is "not mine"', async (t) => {
  if (!needTools(t, 'age-keygen')) return;
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('DB', 'db-secret-77', 'production');
  const m = machine(t, 'broken');
  const keysDir = join(m.home, '.config', 'sops', 'age');
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const keys = join(keysDir, 'keys.txt');
  const rec = ageKeygen(keys);
  const id = identityLine(keys);
  p.ok(['recipients', 'add', rec, '--env', 'production']);
  assert.equal(p.ok(['get', 'DB', '--env', 'production', '-n'], { env: m.env }).stdout, 'db-secret-77');

  const good = readFileSync(keys, 'utf8');
  const cases: [string, () => NodeJS.ProcessEnv, number, RegExp][] = [
    ['loose permissions', () => (chmodSync(keys, 0o644), m.env), 4, /keys\.txt is readable by others \(mode 644\)/],
    [
      'truncated identity',
      () => (writeFileSync(keys, good.replace(id, id.slice(0, 50))), m.env),
      1,
      /keys\.txt, line 3: not a valid age identity/,
    ],
    [
      'flipped character',
      () => (writeFileSync(keys, good.replace(id, id.slice(0, 30) + (id[30] === 'Q' ? 'P' : 'Q') + id.slice(31))), m.env),
      1,
      /not a valid age identity/,
    ],
    ['garbage line', () => (writeFileSync(keys, good + 'hello\n'), m.env), 1, /keys\.txt, line 4: not a valid age identity/],
    ['failing SOPS_AGE_KEY_CMD', () => ({ ...m.env, SOPS_AGE_KEY_CMD: 'false' }), 1, /SOPS_AGE_KEY_CMD: false exited with code 1/],
    [
      'missing SOPS_AGE_KEY_CMD program',
      () => ({ ...m.env, SOPS_AGE_KEY_CMD: 'no-such-program-hako --x' }),
      1,
      /SOPS_AGE_KEY_CMD: cannot run no-such-program-hako \(ENOENT\)/,
    ],
    [
      'SOPS_AGE_KEY_FILE missing',
      () => ({ ...m.env, SOPS_AGE_KEY_FILE: join(m.home, 'nope.txt') }),
      1,
      /SOPS_AGE_KEY_FILE names .*nope\.txt, which does not exist/,
    ],
    [
      'HAKO_AGE_KEY malformed',
      () => ({ ...m.env, HAKO_AGE_KEY: 'AGE-SECRET-KEY-1NOTREALLY' }),
      1,
      /HAKO_AGE_KEY: not a valid age identity/,
    ],
  ];
  for (const [what, setup, code, message] of cases) {
    writeFileSync(keys, good);
    chmodSync(keys, 0o600);
    const env = setup();
    const r = p.run(['get', 'DB', '--env', 'production'], { env });
    failsCleanly(r, code, message, what);
    assertNoSecretIn([r.stdout, r.stderr], [id, id.slice(20, 50), 'db-secret-77']);
    assert.deepEqual(keyFilesOf(m), [], `${what}: nothing written`);
    const w = p.run(['whoami'], { env });
    assert.equal(w.code, 1, `${what}: whoami reports it`);
    assert.match(w.stderr, message, `${what}: whoami`);
  }
  writeFileSync(keys, good);
  chmodSync(keys, 0o600);

  // Not mine: an identity that is no recipient, and environments without recipients.
  const stranger = machine(t, 'stranger');
  const strangerKeys = join(stranger.home, 'k.txt');
  ageKeygen(strangerKeys);
  const r = p.run(['get', 'DB', '--env', 'production'], { env: { ...stranger.env, SOPS_AGE_KEY_FILE: strangerKeys } });
  failsCleanly(r, 3, /none of this machine's 1 age identity is a recipient of 'production'/, 'not a recipient');
  assert.match(r.stderr, /hako pubkey/);

  // A recipients entry that was tampered with is an integrity error, not "not mine".
  const file = p.json();
  const entry: string = file.environments.production.recipients[rec];
  const bytes = Buffer.from(entry, 'base64');
  bytes[bytes.length - 5]! ^= 0x40;
  file.environments.production.recipients[rec] = bytes.toString('base64');
  writeFileSync(join(p.dir, '.hako', 'secrets.json'), JSON.stringify(file, null, 2) + '\n');
  failsCleanly(
    p.run(['get', 'DB', '--env', 'production'], { env: m.env }),
    4,
    /the recipients entry of environment 'production' for age1.* does not open/,
    'tampered entry',
  );
});

test('ssh keys: a passphrase-protected key is an error only when it is the one needed', async (t) => {
  if (!needTools(t, 'age-keygen', 'ssh-keygen')) return;
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('DB', 'db-secret-88', 'production');
  p.set('OTHER', 'other-1', 'staging');
  const m = machine(t, 'locked');
  mkdirSync(join(m.home, '.ssh'), { mode: 0o700 });
  const key = sshKeygen(join(m.home, '.ssh', 'id_ed25519'), 'ssh key passphrase');
  p.ok(['recipients', 'add', readFileSync(`${key}.pub`, 'utf8'), '--env', 'production']);
  p.ok(['recipients', 'add', ageKeygen(join(m.home, 'someone-else.txt')), '--env', 'staging']);
  failsCleanly(
    p.run(['get', 'DB', '--env', 'production'], { env: m.env }),
    1,
    /id_ed25519 opens environment 'production' but is passphrase-protected/,
    'locked and needed',
  );
  failsCleanly(
    p.run(['get', 'OTHER', '--env', 'staging'], { env: m.env }),
    3,
    /no key opens environment 'staging'/,
    'locked, not needed: not mine',
  );
  assert.equal(p.ok(['pubkey'], { env: m.env }).stdout.trim(), readFileSync(`${key}.pub`, 'utf8').trim().replace(/ \S+$/, ''));
  // An unsupported key type named by SOPS_AGE_SSH_PRIVATE_KEY_FILE is an error.
  const rsa = join(m.home, 'id_rsa');
  assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]).status, 0);
  failsCleanly(
    p.run(['get', 'DB', '--env', 'production'], { env: { ...m.env, SOPS_AGE_SSH_PRIVATE_KEY_FILE: rsa } }),
    1,
    /ssh-rsa keys are not supported/,
    'rsa',
  );
});
