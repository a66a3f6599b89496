// The keychain key source against real keyrings, with the real CLI: GNOME Keyring's Secret
// Service in a private D-Bus session (secret-tool sees what hako wrote), and the kernel
// keyring (keyctl). Store, find, use and delete an environment key and an age identity.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAKO_BIN, Project, tempDir, type RunResult } from '../helpers.js';
import { skipUnless, toolPath } from '../tools.js';
import { hakoInKernelSession, SECRET_SERVICE_TOOLS, SecretServiceSession } from './keyring.js';

const NO_BUS = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/hako-test-bus' };

function bundleKey(bundle: string): string {
  const json = JSON.parse(Buffer.from(bundle.trim().slice('hako-key:1:'.length), 'base64url').toString('utf8'));
  return json.key as string;
}

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  return r;
}

/** A project with no environment and no key file yet (hako init makes development with a key file). */
function emptyProject(): Project {
  const p = new Project();
  p.ok(['env', 'rm', 'development', '--yes']);
  rmSync(join(p.home, 'keys'), { recursive: true, force: true });
  return p;
}

/** Every file under `dir` with its bytes and mode, to show that nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path, `${rel}${name}/`);
      else out[`${rel}${name}`] = `${(st.mode & 0o777).toString(8)}:${readFileSync(path).toString('base64')}`;
    }
  };
  walk(dir, '');
  return out;
}

/**
 * hako as a process with a time limit, so a keychain that waits on an unlock prompt fails the
 * test instead of hanging it.
 */
function hakoWithin(p: Project, args: string[], env: NodeJS.ProcessEnv, input = ''): RunResult {
  const r = spawnSync(process.execPath, [HAKO_BIN, ...args], {
    cwd: p.dir,
    env: { ...p.env, ...env },
    input,
    timeout: 90_000,
    killSignal: 'SIGKILL',
  });
  assert.equal(r.signal, null, `hako ${args.join(' ')} did not finish within 90 s (an unlock prompt waiting?)`);
  return { code: r.status, signal: r.signal, stdout: r.stdout.toString(), stderr: r.stderr.toString(), stdoutBytes: r.stdout };
}

function keyFiles(p: Project): string[] {
  const dir = join(p.home, 'keys');
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('Secret Service (gnome-keyring in a private D-Bus session)', { skip: skipUnless(...SECRET_SERVICE_TOOLS) }, () => {
  test('an environment key and an age identity: store, find, use, delete', async (t) => {
    const ss = await SecretServiceSession.start();
    const p = emptyProject();
    t.after(async () => {
      p.cleanup();
      await ss.stop();
    });
    p.env = { ...p.env, ...ss.env };

    // Store: the key goes to the Secret Service, no key file is written.
    const add = p.ok(['env', 'add', 'staging', '--keychain']);
    assert.match(add.stderr, /key in the keychain \(Secret Service\)/);
    const keyId = p.json().environments.staging.key_id as string;
    assert.deepEqual(keyFiles(p), []);
    assert.deepEqual(ss.accounts('hako-key'), [keyId], 'secret-tool sees the key hako wrote');

    // doctor names the backend that answers, and the lookup order.
    const doctor = p.run(['doctor']);
    assert.match(doctor.stdout, /^ {2}keychain {5}Secret Service answers$/m, doctor.stdout + doctor.stderr);
    assert.match(doctor.stdout, /^ {2}key lookup {3}HAKO_KEY → key file → keychain → age identities → passphrase$/m);
    const doctorJson = JSON.parse(p.run(['doctor', '--json']).stdout);
    assert.deepEqual(doctorJson.keychain, {
      usable: true,
      backend: 'Secret Service',
      store: 'secret-service',
      durable: true,
      reason: null,
    });
    assert.deepEqual(ss.accounts('hako-probe'), [], 'doctor leaves nothing in the keychain');

    // Use it.
    p.set('API_TOKEN', 'tok-ss-7f3e91', 'staging');
    assert.equal(p.get('API_TOKEN', 'staging'), 'tok-ss-7f3e91');
    const run = p.ok(['run', '--env', 'staging', '--', 'sh', '-c', 'test "$API_TOKEN" = tok-ss-7f3e91 && echo same']);
    assert.equal(run.stdout, 'same\n');
    const ls = JSON.parse(p.ok(['key', 'ls', '--json']).stdout);
    assert.equal(ls.environments[0].via, 'keychain');
    assert.equal(ls.environments[0].source, 'keychain (Secret Service)');

    // What secret-tool reads is the key itself (base64, as in a key file or bundle).
    const bundle = p.ok(['key', 'export', '--env', 'staging']).stdout;
    const looked = ss.secretTool('lookup', 'service', 'hako-key', 'username', keyId);
    assert.equal(looked.stdout.trim(), bundleKey(bundle));

    // The record under $HAKO_HOME/keychain/ names the key, never holds it.
    const recordText = readFileSync(join(p.home, 'keychain', 'keys', `${keyId}.json`), 'utf8');
    assert.deepEqual(Object.keys(JSON.parse(recordText)).sort(), ['env', 'key_id', 'store', 'version']);
    const raw = Buffer.from(bundleKey(bundle), 'base64');
    for (const form of [raw.toString('base64'), raw.toString('base64url'), raw.toString('hex'), raw.toString('base64').slice(0, 16)])
      assert.ok(!recordText.includes(form), 'no key bytes in the keychain record');

    // A key file with the same key id comes first in the lookup order, and hako says so.
    mkdirSync(join(p.home, 'keys'), { recursive: true, mode: 0o700 });
    writeFileSync(join(p.home, 'keys', keyId), `${bundleKey(bundle)}\n`, { mode: 0o600 });
    chmodSync(join(p.home, 'keys', keyId), 0o600);
    const pinned = JSON.parse(p.ok(['key', 'ls', '--json']).stdout);
    assert.equal(pinned.environments[0].via, 'key-file');
    assert.equal(pinned.environments[0].source, join(p.home, 'keys', keyId));
    const again = p.ok(['key', 'import', '--keychain'], { input: bundle });
    assert.match(
      again.stderr,
      /note: the key file .* holds this key too and is looked at first; remove it to keep the key only in the keychain/,
    );
    rmSync(join(p.home, 'keys'), { recursive: true, force: true });
    assert.equal(JSON.parse(p.ok(['key', 'ls', '--json']).stdout).environments[0].via, 'keychain');

    // An age identity in the keychain, found like an identity file.
    const recipient = p.ok(['keygen', '--keychain']).stdout.trim();
    assert.match(recipient, /^age1[0-9a-z]+$/);
    assert.ok(!existsSync(join(p.home, '.config', 'sops', 'age', 'keys.txt')), 'no identity file');
    const [identityId] = ss.accounts('hako-age-identity');
    assert.match(identityId ?? '', /^[0-9a-f]{16}$/);
    const secretKey = ss.secretTool('lookup', 'service', 'hako-age-identity', 'username', identityId!).stdout.trim();
    assert.match(secretKey, /^AGE-SECRET-KEY-1[0-9A-Z]+$/);
    if (toolPath('age-keygen')) {
      const pub = spawnSync('age-keygen', ['-y'], { input: `${secretKey}\n`, encoding: 'utf8' });
      assert.equal(pub.stdout.trim(), recipient, 'the identity in the keychain is the one whose recipient was printed');
    }
    assert.equal(p.ok(['pubkey']).stdout.trim(), recipient);
    p.ok(['recipients', 'add', recipient, '--env', 'staging']);

    // Delete the key: secret-tool no longer sees it; the identity still opens staging.
    p.ok(['keychain', 'rm', keyId, '--yes']);
    assert.deepEqual(ss.accounts('hako-key'), []);
    assert.equal(p.get('API_TOKEN', 'staging'), 'tok-ss-7f3e91');
    const who = JSON.parse(p.ok(['whoami', '--json']).stdout);
    assert.equal(who.identities[0].recipient, recipient);
    assert.match(who.identities[0].from, /^keychain \(Secret Service\)/);
    assert.deepEqual(who.identities[0].opens, ['staging']);

    // Delete the identity: nothing on this machine opens staging any more.
    p.ok(['keychain', 'rm', recipient, '--yes']);
    assert.deepEqual(ss.accounts('hako-age-identity'), []);
    const closed = p.run(['get', 'API_TOKEN', '--env', 'staging']);
    assert.equal(closed.code, 3, closed.stderr);
    assert.match(closed.stderr, /no key opens environment 'staging'/);

    // Import the bundle into the keychain again; a rotation keeps the new key there too.
    const imported = p.ok(['key', 'import', '--keychain', '--json'], { input: bundle });
    assert.equal(JSON.parse(imported.stdout).keychain, 'Secret Service');
    const rotated = JSON.parse(p.ok(['key', 'rotate', '--env', 'staging', '--json']).stdout);
    assert.equal(rotated.saved_to, 'keychain (Secret Service)');
    assert.deepEqual(ss.accounts('hako-key'), [keyId, rotated.new_key_id].sort());
    assert.deepEqual(keyFiles(p), [], 'still no key file');
    assert.equal(p.get('API_TOKEN', 'staging'), 'tok-ss-7f3e91');
    const listed = JSON.parse(p.ok(['keychain', 'ls', '--json']).stdout);
    assert.deepEqual(
      listed.map((e: { id: string; present: boolean; backend: string }) => [e.id, e.present, e.backend]),
      [keyId, rotated.new_key_id].sort().map((id) => [id, true, 'Secret Service']),
    );
  });

  test('a locked or absent keychain is an error that names it; HAKO_KEY still comes first', async (t) => {
    const ss = await SecretServiceSession.start();
    const p = emptyProject();
    t.after(async () => {
      p.cleanup();
      await ss.stop();
    });
    p.env = { ...p.env, ...ss.env };
    p.ok(['env', 'add', 'staging', '--keychain']);
    p.set('A', 'value-a-0192', 'staging');
    const bundle = p.ok(['key', 'export', '--env', 'staging']).stdout.trim();
    const keyId = p.json().environments.staging.key_id as string;
    // Deleted behind hako's back.
    assert.equal(ss.secretTool('clear', 'service', 'hako-key', 'username', keyId).code, 0);
    const gone = p.run(['get', 'A', '--env', 'staging']);
    assert.equal(gone.code, 1, gone.stderr);
    assert.match(gone.stderr, /the Secret Service holds no key for key id [0-9a-f]{16} \('staging'\), though hako stored one there/);
    // Unreachable (no session bus).
    const away = p.run(['get', 'A', '--env', 'staging'], { env: NO_BUS });
    assert.equal(away.code, 1, away.stderr);
    assert.match(away.stderr, /cannot (read from|reach) the Secret Service/);
    assert.equal(p.ok(['get', 'A', '--env', 'staging', '-n'], { env: { HAKO_KEY: bundle } }).stdout, 'value-a-0192');
  });

  test('a locked keyring: env add --keychain and keygen --keychain fail, say why, and change nothing', async (t) => {
    const ss = await SecretServiceSession.start({ locked: true });
    const p = emptyProject();
    t.after(async () => {
      p.cleanup();
      await ss.stop();
    });
    // The collection really is locked: secret-tool cannot store in it either.
    const st = spawnSync(toolPath('secret-tool')!, ['store', '--label=x', 'service', 'hako-test', 'username', 'u'], {
      env: { PATH: process.env['PATH'], DBUS_SESSION_BUS_ADDRESS: ss.bus },
      input: 'v\n',
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.notEqual(st.status, 0, 'secret-tool stored into a keyring that should be locked');

    const file = p.file();
    const home = snapshot(p.home);
    for (const args of [
      ['env', 'add', 'staging', '--keychain'],
      ['keygen', '--keychain'],
    ]) {
      const r = hakoWithin(p, args, ss.env);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^hako: error: no keychain is usable here: cannot write to the Secret Service: .*(unlock|locked)/m);
      assert.match(r.stderr, /^hako: hint: .*an unlocked keyring/m);
      assert.equal(r.stdout, '');
      assert.equal(p.file(), file, `${args.join(' ')} left .hako/secrets.json as it was`);
      assert.deepEqual(snapshot(p.home), home, `${args.join(' ')} left HAKO_HOME as it was`);
    }
    assert.deepEqual(ss.accounts('hako-key'), []);
    assert.deepEqual(ss.accounts('hako-age-identity'), []);
    // doctor still names the Secret Service (a lookup of nothing answers without unlocking).
    const doctor = hakoWithin(p, ['doctor', '--json'], ss.env);
    assert.equal(JSON.parse(doctor.stdout).keychain.backend, 'Secret Service');
  });

  test('key import --keychain refuses a key off the chain this machine pinned (fork, rollback) and stores nothing', async (t) => {
    const ss = await SecretServiceSession.start();
    const p = emptyProject();
    const other = tempDir('hako-home-other-');
    t.after(async () => {
      p.cleanup();
      rmSync(other, { recursive: true, force: true });
      await ss.stop();
    });
    p.env = { ...p.env, ...ss.env };
    p.ok(['env', 'add', 'staging']); // a key file: this machine pins the chain [A]
    p.set('A', 'value-a-fork-31', 'staging');
    const fileA = p.file();
    const bundleA = p.ok(['key', 'export', '--env', 'staging']).stdout;
    p.ok(['key', 'rotate', '--env', 'staging']); // pinned: [A, B]
    const fileB = p.file();

    // Another machine, from the older file, rotates A to C: the chain [A, C] forks from [A, B].
    const elsewhere = { HAKO_HOME: other, HOME: other };
    writeFileSync(join(p.dir, '.hako', 'secrets.json'), fileA);
    p.ok(['key', 'import'], { input: bundleA, env: elsewhere });
    p.ok(['key', 'rotate', '--env', 'staging'], { env: elsewhere });
    const forked = p.file();
    const keyC = p.json().environments.staging.key_id as string;
    const bundleC = p.ok(['key', 'export', '--env', 'staging'], { env: elsewhere }).stdout;

    const home = snapshot(p.home);
    for (const [what, file, bundle, keyId] of [
      ['fork', forked, bundleC, keyC],
      ['rollback', fileA, bundleA, JSON.parse(fileA).environments.staging.key_id as string],
    ] as const) {
      writeFileSync(join(p.dir, '.hako', 'secrets.json'), file);
      const r = p.run(['key', 'import', '--keychain'], { input: bundle });
      assert.equal(r.code, 7, `${what}: ${r.stderr}`);
      assert.match(r.stderr, /^hako: error: .*environment 'staging'/m);
      assert.deepEqual(ss.accounts('hako-key'), [], `${what}: no keychain entry`);
      assert.ok(!existsSync(join(p.home, 'keychain', 'keys', `${keyId}.json`)), `${what}: no keychain record`);
      assert.deepEqual(snapshot(p.home), home, `${what}: HAKO_HOME unchanged (pins included)`);
      assert.equal(p.file(), file);
    }
    writeFileSync(join(p.dir, '.hako', 'secrets.json'), fileB);
    assert.equal(p.get('A', 'staging'), 'value-a-fork-31');
  });
});

describe('kernel keyring (keyctl session)', { skip: skipUnless('keyctl') }, () => {
  test('only when asked by name; store, find, use, delete a key and an identity', (t) => {
    const p = emptyProject();
    const h = (args: string[], input?: string) =>
      hakoInKernelSession(args, { cwd: p.dir, env: { ...p.env, ...NO_BUS }, ...(input !== undefined ? { input } : {}) });
    const stored: string[] = [];
    t.after(() => {
      for (const id of stored) h(['keychain', 'rm', id, '--yes']); // the kernel keyring is shared by this user: leave nothing
      p.cleanup();
    });
    const probe = spawnSync('keyctl', ['session', '-', 'keyctl', 'show', '@s'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      if (process.env['HAKO_REQUIRE_TOOLS'] === '1') assert.fail(`keyctl session does not work here: ${probe.stderr}`);
      return t.skip(`keyctl session does not work here (a container without keyring syscalls?): ${probe.stderr.trim()}`);
    }

    // No Secret Service, only the kernel keyring: refused unless named, and nothing changes.
    const before = p.file();
    const refused = h(['env', 'add', 'staging', '--keychain']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /only the kernel keyring is usable here, and it forgets keys at reboot/);
    assert.match(refused.stderr, /--keychain-store kernel/);
    assert.equal(p.file(), before);
    assert.ok(!existsSync(join(p.home, 'keychain')) && keyFiles(p).length === 0);

    const add = ok(h(['env', 'add', 'staging', '--keychain-store', 'kernel']), 'env add');
    assert.match(add.stderr, /warning: the kernel keyring is memory only/);
    assert.match(add.stderr, /key in the keychain \(kernel keyring\)/);
    const keyId = p.json().environments.staging.key_id as string;
    stored.push(keyId);
    assert.deepEqual(keyFiles(p), []);
    // keyctl sees the entry in this user's persistent keyring.
    const seen = spawnSync(
      'keyctl',
      ['session', '-', 'sh', '-c', `keyctl search "$(keyctl get_persistent @s)" user "keyring:${keyId}@hako-key"`],
      { encoding: 'utf8' },
    );
    assert.equal(seen.status, 0, seen.stderr);

    ok(h(['set', 'API_TOKEN', '--env', 'staging'], 'tok-kernel-55aa21\n'), 'set');
    assert.equal(ok(h(['get', 'API_TOKEN', '--env', 'staging', '-n']), 'get').stdout, 'tok-kernel-55aa21');
    const run = ok(h(['run', '--env', 'staging', '--', 'sh', '-c', 'test "$API_TOKEN" = tok-kernel-55aa21 && echo same']), 'run');
    assert.equal(run.stdout, 'same\n');

    const recipient = ok(h(['keygen', '--keychain-store', 'kernel']), 'keygen').stdout.trim();
    const identity = JSON.parse(ok(h(['keychain', 'ls', '--json']), 'ls').stdout).find((e: { kind: string }) => e.kind === 'identity');
    assert.equal(identity.recipient, recipient);
    assert.equal(identity.backend, 'kernel keyring');
    stored.push(identity.id);
    ok(h(['recipients', 'add', recipient, '--env', 'staging']), 'recipients add');

    ok(h(['keychain', 'rm', keyId, '--yes']), 'rm key');
    assert.equal(ok(h(['get', 'API_TOKEN', '--env', 'staging', '-n']), 'get via identity').stdout, 'tok-kernel-55aa21');
    ok(h(['keychain', 'rm', identity.id, '--yes']), 'rm identity');
    const closed = h(['get', 'API_TOKEN', '--env', 'staging']);
    assert.equal(closed.code, 3, closed.stderr);
    const after = spawnSync(
      'keyctl',
      ['session', '-', 'sh', '-c', `keyctl search "$(keyctl get_persistent @s)" user "keyring:${keyId}@hako-key"`],
      { encoding: 'utf8' },
    );
    assert.notEqual(after.status, 0, 'the key is gone from the kernel keyring');
    assert.deepEqual(JSON.parse(ok(h(['keychain', 'ls', '--json']), 'ls').stdout), []);
  });
});
