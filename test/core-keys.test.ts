// Issue 2, acceptance 4: keys travel as bundles; bad bundles are refused with nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Project, tempDir, assertNoSecretIn, hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

function keyFiles(home: string): string[] {
  const dir = join(home, 'keys');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

test('a bundle exported from one HAKO_HOME opens the environment in an empty one', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('DATABASE_URL', 'postgres://u:pw@db/app', 'production');
  const bundle = p.ok(['key', 'export', '--env', 'production']).stdout.trim();
  assert.match(bundle, /^hako-key:1:[A-Za-z0-9_-]+$/);

  const bob = tempDir('hako-home-bob-');
  const asBob = { env: { HAKO_HOME: bob } };
  assert.equal(p.run(['get', 'DATABASE_URL', '--env', 'production'], asBob).code, 3, 'no key yet: exit 3');
  const imported = p.ok(['key', 'import'], { ...asBob, input: bundle + '\n' });
  assert.match(imported.stderr, /opens environment 'production'/);
  assert.equal(p.ok(['get', 'DATABASE_URL', '--env', 'production', '-n'], asBob).stdout, 'postgres://u:pw@db/app');
  assert.equal(keyFiles(bob).length, 1);
  const again = p.ok(['key', 'import', '--json'], { ...asBob, input: bundle });
  assert.equal(JSON.parse(again.stdout).already_present, true);
});

test('corrupted, foreign and mismatched bundles are refused and nothing is written', async (t) => {
  const p = new Project();
  const other = new Project();
  t.after(() => {
    p.cleanup();
    other.cleanup();
  });
  p.set('TOKEN', 'tok-project-one', 'production');
  p.set('TOKEN', 'tok-project-one-dev', 'development');
  other.set('TOKEN', 'tok-project-two', 'production');
  const good = p.ok(['key', 'export', '--env', 'production']).stdout.trim();
  const foreign = other.ok(['key', 'export', '--env', 'production']).stdout.trim();

  const empty = tempDir('hako-home-empty-');
  const asEmpty = (input: string) => p.run(['key', 'import'], { env: { HAKO_HOME: empty }, input });

  const flipped = good.slice(0, 30) + (good[30] === 'A' ? 'B' : 'A') + good.slice(31);
  const truncated = good.slice(0, good.length - 5);
  const cases: [string, string, number, RegExp][] = [
    ['flipped character', flipped, 4, /bundle|key/],
    ['truncated', truncated, 4, /not a valid hako key bundle/],
    ['not a bundle', 'hello world', 4, /not a valid hako key bundle/],
    ['another project', foreign, 4, /no environment of this project uses/],
  ];
  for (const [what, input, code, message] of cases) {
    const r = asEmpty(input);
    assert.equal(r.code, code, `${what}: exit code (stderr: ${r.stderr})`);
    assert.match(r.stderr, /^hako: error: /m, what);
    assert.match(r.stderr, /^hako: hint: /m, what);
    assert.match(r.stderr, message, what);
    assert.deepEqual(keyFiles(empty), [], `${what}: nothing written`);
    assertNoSecretIn([r.stderr, r.stdout], [good.slice(11), foreign.slice(11)]);
  }
  const wrongEnv = p.run(['key', 'import', '--env', 'development'], { env: { HAKO_HOME: empty }, input: good });
  assert.equal(wrongEnv.code, 4);
  assert.match(wrongEnv.stderr, /opens environment 'production', not 'development'/);
  assert.deepEqual(keyFiles(empty), []);
});

test('a bundle whose key does not open its environment is refused', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('TOKEN', 'x-value-1', 'production');
  const keyId = p.json().environments.production.key_id;
  const forged =
    'hako-key:1:' +
    Buffer.from(JSON.stringify({ env: 'production', id: keyId, key: Buffer.alloc(32, 7).toString('base64') })).toString('base64url');
  const empty = tempDir('hako-home-empty-');
  const r = p.run(['key', 'import'], { env: { HAKO_HOME: empty }, input: forged });
  assert.equal(r.code, 4);
  assert.match(r.stderr, /does not open environment 'production'/);
  assert.deepEqual(keyFiles(empty), []);
  const viaEnv = p.run(['get', 'TOKEN', '--env', 'production'], { env: { HAKO_HOME: empty, HAKO_KEY: forged } });
  assert.equal(viaEnv.code, 4);
  assert.match(viaEnv.stderr, /the key from HAKO_KEY does not open/);
});

test('with only HAKO_KEY (no key files) get works; several bundles may be given', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-of-a', 'production');
  p.set('B', 'value-of-b', 'staging');
  const bundles = ['production', 'staging'].map((e) => p.ok(['key', 'export', '--env', e]).stdout.trim());
  const ci = { HAKO_HOME: tempDir('hako-home-ci-'), HAKO_KEY: bundles.join(',\n ') };
  assert.equal(p.ok(['get', 'A', '--env', 'production', '-n'], { env: ci }).stdout, 'value-of-a');
  assert.equal(p.ok(['get', 'B', '--env', 'staging', '-n'], { env: ci }).stdout, 'value-of-b');
  assert.deepEqual(keyFiles(ci.HAKO_HOME), [], 'reading never writes key files');
  const ls = JSON.parse(p.ok(['env', 'ls', '--json'], { env: ci }).stdout);
  assert.deepEqual(
    ls.map((e: { env: string; via: string }) => [e.env, e.via]),
    [
      ['development', null],
      ['production', 'bundle-env'],
      ['staging', 'bundle-env'],
    ],
  );
});

test('the missing-key error says which sources were tried', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-a', 'production');
  const r = p.run(['get', 'A', '--env', 'production'], { env: { HAKO_HOME: tempDir() } });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /hako: error: no key opens environment 'production'/);
  assert.match(r.stderr, /HAKO_KEY is not set/);
  assert.match(r.stderr, /no key file/);
  assert.match(r.stderr, /hako: hint: .*hako key import/);
});

test('key rotate: new key id, every value re-encrypted, old key file kept', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-a', 'production');
  p.set('B', 'value-b', 'production');
  const before = p.json().environments.production;
  const r = JSON.parse(p.ok(['key', 'rotate', '--env', 'production', '--json']).stdout);
  const after = p.json().environments.production;
  assert.equal(r.old_key_id, before.key_id);
  assert.equal(r.new_key_id, after.key_id);
  assert.notEqual(after.key_id, before.key_id);
  assert.notEqual(after.secrets.A, before.secrets.A);
  assert.equal(p.get('A', 'production'), 'value-a');
  assert.equal(p.get('B', 'production'), 'value-b');
  assert.ok(keyFiles(p.home).includes(before.key_id), 'old key kept for history');
  assert.ok(keyFiles(p.home).includes(after.key_id));
});

test('a key file readable by others is refused with a chmod hint', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-a');
  const { chmodSync } = await import('node:fs');
  const keyFile = join(p.home, 'keys', p.json().environments.development.key_id);
  chmodSync(keyFile, 0o644);
  const r = p.run(['get', 'A']);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /readable by others/);
  assert.match(r.stderr, /hint: .*chmod 600/);
});
