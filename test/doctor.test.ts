/**
 * `hako doctor`: a healthy checkout, a broken one (conflict markers, a loose key file, a
 * relative HAKO_HOME, an environment with no key here), the single-way-in warning, --json,
 * and that it never asks anyone anything (the service is called with a prompt that fails).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { runDoctor } from '../src/services/doctor.js';
import { assertNoSecretIn, hakoInProcessByDefault, Project, tempDir } from './helpers.js';

hakoInProcessByDefault();

test('a healthy checkout: every environment opens, by which source; exit 0', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('DATABASE_URL', 'postgres://u:doctor-pw-1@db/app');
  p.set('API_TOKEN', 'tok-doctor-prod-2', 'production');
  const identity = await generateX25519Identity();
  p.ok(['recipients', 'add', await identityToRecipient(identity), '--env', 'production', '--name', 'Ops']);
  p.ok(['recipients', 'add', await identityToRecipient(await generateX25519Identity()), '--env', 'development', '--name', 'Dev']);
  const r = p.run(['doctor'], { env: { HAKO_AGE_KEY: identity } });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^hako \d+\.\d+\.\d+ \(node v/);
  assert.match(r.stdout, new RegExp(`project +${p.dir}/\\.hako/secrets\\.json \\(2 environments\\)`));
  assert.match(r.stdout, /variables +HAKO_AGE_KEY/);
  assert.match(r.stdout, /^ {2}development +[0-9a-f]{16} +random +1 +1 +yes \(key file .*\)$/m);
  assert.match(r.stdout, /^ {2}production +[0-9a-f]{16} +random +1 +1 +yes \(key file .*\)$/m);
  assert.match(r.stdout, /identities +age1\S+ \(x25519, HAKO_AGE_KEY\): opens production/);
  assert.match(r.stdout, /\nno problems found\n$/);
  assertNoSecretIn([r.stdout, r.stderr], ['postgres://u:doctor-pw-1@db/app', 'tok-doctor-prod-2', identity.slice(16)]);

  const j = JSON.parse(p.ok(['doctor', '--json'], { env: { HAKO_AGE_KEY: identity } }).stdout);
  assert.deepEqual(
    j.environments.map((e: any) => [e.env, e.opens, e.via]),
    [
      ['development', true, 'key-file'],
      ['production', true, 'key-file'],
    ],
  );
  assert.deepEqual(j.findings, []);
  assert.deepEqual(j.variables, ['HAKO_AGE_KEY']);
});

test('a single way in (random key, no recipients, no passphrase) is a warning with a fix', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.ok(['env', 'add', 'team', '--passphrase'], { env: { HAKO_PASSPHRASE: 'a team passphrase for doctor' } });
  const r = p.run(['doctor']);
  assert.equal(r.code, 0, 'warnings do not fail');
  assert.match(r.stdout, /warning: 'development' has a single way in: its random key \(no recipients, no passphrase\)/);
  assert.match(r.stdout, /fix: give a second person or machine access: hako recipients add age1… --env development/);
  assert.doesNotMatch(r.stdout, /'team' has a single way in/, 'a passphrase is a second way in');
  assert.match(r.stdout, /\n0 problems, 1 warning\n$/);
});

test('a broken checkout: each problem is named with its fix; exit 1', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-a');
  p.set('B', 'value-b', 'staging');
  // A damaged key file for staging, a loose one for development.
  const keys = join(p.home, 'keys');
  const staging = p.json().environments.staging.key_id;
  const dev = p.json().environments.development.key_id;
  writeFileSync(join(keys, staging), ''); // damaged
  chmodSync(join(keys, dev), 0o644);
  const r = p.run(['doctor']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, new RegExp(`problem: key file ${keys}/${dev} is readable by others\\n +fix: chmod 600 ${keys}/${dev}`));
  assert.match(r.stdout, /problem: 'staging' does not open: key file .* is damaged\n +fix: import the key again/);
  assert.match(r.stdout, /\n2 problems, \d warnings?\n$/);

  // Conflict markers: the file cannot be read, said as such.
  const file = join(p.dir, '.hako', 'secrets.json');
  writeFileSync(file, `<<<<<<< HEAD\n${p.file()}=======\n{}\n>>>>>>> other\n`);
  const c = p.run(['doctor']);
  assert.equal(c.code, 1);
  assert.match(c.stdout, /project +.*secrets\.json \(unreadable\)/);
  assert.match(c.stdout, /problem: \.hako\/secrets\.json has unresolved merge conflict markers \(from git merge\)/);

  // A relative HAKO_HOME: a problem, and outside a project doctor still reports the machine.
  const elsewhere = tempDir('hako-doctor-out-');
  t.after(() => rmSync(elsewhere, { recursive: true, force: true }));
  const h = p.run(['doctor'], { cwd: elsewhere, env: { HAKO_HOME: 'keys' } });
  assert.equal(h.code, 1);
  assert.match(h.stdout, /project +none found here or above/);
  assert.match(h.stdout, /problem: HAKO_HOME must be an absolute path/);
});

test('an environment with no key here is information with the way to get one', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-a', 'production');
  const other = tempDir('hako-doctor-other-');
  t.after(() => rmSync(other, { recursive: true, force: true }));
  const r = p.run(['doctor', '--json'], { env: { HAKO_HOME: other } });
  assert.equal(r.code, 0);
  const j = JSON.parse(r.stdout);
  const f = j.findings.find((x: any) => x.message.startsWith("'production' does not open"));
  assert.equal(f.severity, 'info');
  assert.match(f.fix, /hako key import/);
  assert.equal(j.environments.find((e: any) => e.env === 'production').opens, false);
});

test('doctor never prompts, even for a passphrase environment on a terminal', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.ok(['env', 'add', 'team', '--passphrase'], { env: { HAKO_PASSPHRASE: 'a team passphrase for doctor' } });
  const other = tempDir('hako-doctor-tty-');
  t.after(() => rmSync(other, { recursive: true, force: true }));
  let asked = 0;
  const report = await runDoctor({
    cwd: p.dir,
    env: { ...p.env, HAKO_HOME: other },
    notice: () => {},
    promptSecret: async () => {
      asked++;
      return 'x';
    },
  });
  assert.equal(asked, 0);
  assert.equal(report.facts.environments.find((e) => e.env === 'team')!.access.opens, false);
});

test('the key lookup order, and which keychain answers here (none or the kernel keyring without a session bus)', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  // A process, so the keychain binding sees this environment: a D-Bus address where nothing listens.
  const noBus = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/hako-doctor-bus' };
  const r = p.run(['doctor'], { env: noBus, process: true });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^ {2}key lookup {3}HAKO_KEY → key file → keychain → age identities → passphrase$/m);
  assert.match(
    r.stdout,
    /^ {2}keychain {5}(none usable here \(cannot reach the Secret Service: .+\)|kernel keyring only \(memory only, gone at reboot; --keychain needs --keychain-store kernel\))$/m,
  );
  const j = JSON.parse(p.ok(['doctor', '--json'], { env: noBus, process: true }).stdout);
  assert.deepEqual(j.key_lookup, ['HAKO_KEY', 'key file', 'keychain', 'age identities', 'passphrase']);
  assert.deepEqual(Object.keys(j.keychain).sort(), ['backend', 'durable', 'reason', 'store', 'usable']);
  if (j.keychain.usable) assert.deepEqual([j.keychain.backend, j.keychain.store, j.keychain.durable], ['kernel keyring', 'kernel', false]);
  else assert.deepEqual([j.keychain.backend, j.keychain.store], [null, null]);
  assert.match(j.keychain.reason, /cannot reach the Secret Service/);
});
