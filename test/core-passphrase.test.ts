// Issue 2, acceptance 5: the passphrase path matches DESIGN §3, checked with Debian's argon2 CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Project, tempDir, assertNoSecretIn, hakoInProcessByDefault } from './helpers.js';
import { specOpen } from './spec-check.js';
import { needTools } from './tools.js';

hakoInProcessByDefault();

const PASSPHRASE = 'cafe\u0301 correct horse battery'; // NFD on input: hako must NFC it

function argon2Cli(passphrase: string, salt: string, m: number, t: number, p: number): Buffer {
  const log2m = Math.log2(m);
  assert.ok(Number.isInteger(log2m), 'the argon2 CLI takes memory as a power of two');
  const r = spawnSync('argon2', [salt, '-id', '-v', '13', '-m', String(log2m), '-t', String(t), '-p', String(p), '-l', '32', '-r'], {
    input: passphrase,
  });
  assert.equal(r.status, 0, `argon2 CLI failed (is Debian's argon2 installed?): ${r.stderr}`);
  return Buffer.from(r.stdout.toString().trim(), 'hex');
}

test('a passphrase environment opens with a key derived by the argon2 CLI, outside hako', async (t) => {
  if (!needTools(t, 'argon2')) return;
  const p = new Project();
  t.after(() => p.cleanup());
  p.ok(['env', 'add', 'production', '--passphrase'], { env: { HAKO_PASSPHRASE: PASSPHRASE } });
  p.set('API_TOKEN', 'tok_live_123', 'production');
  const env = p.json().environments.production;
  assert.deepEqual(env.passphrase, { kdf: 'argon2id', m: 65536, p: 4, t: 3 });
  assert.match(p.file(), /"passphrase": \{ "kdf": "argon2id", "m": 65536, "p": 4, "t": 3 \},/);

  const key = argon2Cli(PASSPHRASE.normalize('NFC'), `hako:v1:${env.key_id}`, env.passphrase.m, env.passphrase.t, env.passphrase.p);
  assert.equal(specOpen(key, 'production', env.key_id, '', env.check).toString(), 'hako');
  assert.equal(specOpen(key, 'production', env.key_id, 'API_TOKEN', env.secrets.API_TOKEN).toString(), 'tok_live_123');
  assert.throws(
    () => specOpen(argon2Cli(PASSPHRASE, `hako:v1:${env.key_id}`, 65536, 3, 4), 'production', env.key_id, '', env.check),
    'the NFD spelling derives another key',
  );
});

test('teammates import with the passphrase; a wrong one is refused with nothing written', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.ok(['env', 'add', 'staging', '--passphrase'], { input: 'team passphrase for staging\n' });
  p.set('A', 'value-of-a', 'staging');

  const bob = tempDir('hako-home-bob-');
  const wrong = p.run(['key', 'import', '--passphrase', '--env', 'staging'], { env: { HAKO_HOME: bob }, input: 'not the passphrase\n' });
  assert.equal(wrong.code, 4);
  assert.match(wrong.stderr, /wrong passphrase for environment 'staging'/);
  assert.ok(!existsSync(join(bob, 'keys')) || readdirSync(join(bob, 'keys')).length === 0, 'nothing written');
  assertNoSecretIn([wrong.stderr], ['not the passphrase', 'team passphrase for staging']);

  const ok = p.run(['key', 'import', '--passphrase', '--env', 'staging'], {
    env: { HAKO_HOME: bob },
    input: 'team passphrase for staging\n',
  });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(p.ok(['get', 'A', '--env', 'staging', '-n'], { env: { HAKO_HOME: bob } }).stdout, 'value-of-a');
});

test('CI opens a passphrase environment with HAKO_PASSPHRASE_<ENV> alone', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.ok(['env', 'add', 'pre-prod', '--passphrase'], { env: { HAKO_PASSPHRASE_PRE_PROD: 'pre prod passphrase' } });
  p.set('A', 'value-a', 'pre-prod');
  const ci = { HAKO_HOME: tempDir('hako-home-ci-') };
  assert.equal(
    p.ok(['get', 'A', '--env', 'pre-prod', '-n'], { env: { ...ci, HAKO_PASSPHRASE_PRE_PROD: 'pre prod passphrase' } }).stdout,
    'value-a',
  );
  const wrong = p.run(['get', 'A', '--env', 'pre-prod'], { env: { ...ci, HAKO_PASSPHRASE: 'wrong one' } });
  assert.equal(wrong.code, 4);
  assert.match(wrong.stderr, /wrong passphrase for environment 'pre-prod' \(from HAKO_PASSPHRASE\)/);
  assert.doesNotMatch(wrong.stderr, /wrong one/);
  const none = p.run(['get', 'A', '--env', 'pre-prod'], { env: ci });
  assert.equal(none.code, 3);
  assert.match(none.stderr, /HAKO_PASSPHRASE_PRE_PROD/);
});

test('two environments with the same passphrase get different keys', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  for (const e of ['one', 'two']) p.ok(['env', 'add', e, '--passphrase'], { env: { HAKO_PASSPHRASE: 'shared passphrase here' } });
  const home = p.home;
  const [a, b] = ['one', 'two'].map((e) => p.json().environments[e].key_id);
  const { readFileSync } = await import('node:fs');
  assert.notEqual(readFileSync(join(home, 'keys', a)).toString(), readFileSync(join(home, 'keys', b)).toString());
});
