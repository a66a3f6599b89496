// Issue 4, acceptance 2: interop with the real age CLI (Debian package `age`) and real
// `ssh-keygen` keys, both ways. A `recipients` entry, base64-decoded, is an age file that
// `age -d -i KEY` opens to the 32-byte environment key; and an entry written by `age -r`/`-R`
// opens with hako's identity code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project, hakoInProcessByDefault } from './helpers.js';
import { specOpen } from './spec-check.js';
import { ageKeygen, machine, sshKeygen } from './teams-helpers.js';
import { needTools } from './tools.js';

hakoInProcessByDefault();

function age(args: string[], input?: Buffer): Buffer {
  const r = spawnSync('age', args, { input });
  assert.ok(!r.error, 'the age CLI must be installed (Debian package age)');
  assert.equal(r.status, 0, `age ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The environment key as hako keeps it on the machine that made it: the key file. */
function envKey(p: Project, env: string): Buffer {
  const keyId = p.json().environments[env].key_id;
  return Buffer.from(readFileSync(join(p.home, 'keys', keyId), 'utf8').trim(), 'base64');
}

test('X25519 and ssh-ed25519 entries open with `age -d -i KEY` to the 32-byte environment key', async (t) => {
  if (!needTools(t, 'age', 'age-keygen', 'ssh-keygen')) return;
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('DATABASE_URL', 'postgres://u:interop-pw@db/app', 'production');
  const m = machine(t, 'agecli');
  const ageKey = join(m.home, 'age-key.txt');
  const x = ageKeygen(ageKey);
  const ssh = sshKeygen(join(m.home, 'id_ed25519'));
  p.ok(['recipients', 'add', x, '--env', 'production']);
  p.ok(['recipients', 'add', readFileSync(`${ssh}.pub`, 'utf8'), '--env', 'production']);

  const env = p.json().environments.production;
  const key = envKey(p, 'production');
  assert.equal(key.length, 32);
  const sshRecipient = readFileSync(`${ssh}.pub`, 'utf8').trim().replace(/ \S+$/, '');
  for (const [what, recipient, identity] of [
    ['X25519', x, ageKey],
    ['ssh-ed25519', sshRecipient, ssh],
  ] as const) {
    const entry: string = env.recipients[recipient];
    assert.ok(entry, `${what}: an entry keyed by the canonical recipient`);
    const file = join(m.home, `${what}.age`);
    writeFileSync(file, Buffer.from(entry, 'base64'));
    const out = age(['-d', '-i', identity, file]);
    assert.equal(out.length, 32, `${what}: a 32-byte payload`);
    assert.ok(out.equals(key), `${what}: the environment key`);
    // …and that key opens the values by the format's spec, with nothing from hako.
    assert.equal(
      specOpen(out, 'production', env.key_id, 'DATABASE_URL', env.secrets.DATABASE_URL).toString(),
      'postgres://u:interop-pw@db/app',
    );
  }
  // Nothing else gets in: the ssh entry does not open with the age key, nor the reverse.
  const wrong = spawnSync('age', ['-d', '-i', ageKey, join(m.home, 'ssh-ed25519.age')]);
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stderr.toString(), /no identity matched/);
});

test('entries written by `age -r` / `age -R` open the environment with hako', async (t) => {
  if (!needTools(t, 'age', 'age-keygen', 'ssh-keygen')) return;
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('STRIPE_KEY', 'sk_live_from_age_cli', 'production');
  const key = envKey(p, 'production');

  // Teammate 1: an X25519 identity in the sops keys file. Teammate 2: ~/.ssh/id_ed25519.
  const t1 = machine(t, 'age-r');
  mkdirSync(join(t1.home, '.config', 'sops', 'age'), { recursive: true, mode: 0o700 });
  const r1 = ageKeygen(join(t1.home, '.config', 'sops', 'age', 'keys.txt'));
  const t2 = machine(t, 'age-R');
  mkdirSync(join(t2.home, '.ssh'), { mode: 0o700 });
  const k2 = sshKeygen(join(t2.home, '.ssh', 'id_ed25519'));
  const r2 = readFileSync(`${k2}.pub`, 'utf8').trim().replace(/ \S+$/, '');

  // Wrap the environment key with the real age CLI, and put the entries in by hand.
  const file = p.json();
  file.environments.production.recipients = {
    [r1]: age(['-r', r1], key).toString('base64'),
    [r2]: age(['-R', `${k2}.pub`], key).toString('base64'),
  };
  writeFileSync(join(p.dir, '.hako', 'secrets.json'), JSON.stringify(file, null, 2) + '\n');
  p.ok(['env', 'ls']); // still a valid file

  for (const [who, m] of [
    ['X25519 via age -r', t1],
    ['ssh-ed25519 via age -R', t2],
  ] as const) {
    assert.equal(p.ok(['get', 'STRIPE_KEY', '--env', 'production', '-n'], { env: m.env }).stdout, 'sk_live_from_age_cli', who);
  }
});

test('`hako keygen` writes an identity file the age CLI reads, and never overwrites it', async (t) => {
  if (!needTools(t, 'age', 'age-keygen')) return;
  const m = machine(t, 'keygen');
  const p = new Project();
  t.after(() => p.cleanup());
  const out = join(m.home, 'ci-identity.txt');
  const r = p.ok(['keygen', '--out', out], { env: m.env });
  const recipient = r.stdout.trim();
  const text = readFileSync(out, 'utf8');
  assert.match(text, /^# created: \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\n# public key: age1\S+\nAGE-SECRET-KEY-1[0-9A-Z]+\n$/);
  const y = spawnSync('age-keygen', ['-y', out], { encoding: 'utf8' });
  assert.equal(y.stdout.trim(), recipient, 'age-keygen -y derives the same recipient');
  const sealed = age(['-r', recipient], Buffer.from('round trip'));
  assert.equal(age(['-d', '-i', out], sealed).toString(), 'round trip');

  const again = p.run(['keygen', '--out', out], { env: m.env });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists; hako never overwrites a key file/);
  assert.equal(readFileSync(out, 'utf8'), text, 'unchanged');
  assert.equal(p.run(['keygen'], { env: m.env }).code, 0);
  assert.equal(p.run(['keygen'], { env: m.env }).code, 1, 'the default keys file is not overwritten either');
});
