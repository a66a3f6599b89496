/**
 * What hako hands to the processes it starts, and how it ends when they do: no core file
 * holding keys or values, no key material in any child's environment, no wait for
 * grandchildren, no plaintext files left behind by a killed run.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { HAKO_BIN, REPO_ROOT, spawnHako } from './helpers.js';
import { projectWith, scratchDir, waitForOutput } from './run-helpers.js';
import { needTools } from './tools.js';
import { inMemory } from '../src/launcher/private-dir.js';
import { isKeyMaterialVar } from '../src/core/keys/key-material.js';

/** Core-dumping signals (signal(7), action "Core") that a child may die of. */
const CORE_SIGNALS = ['SIGQUIT', 'SIGABRT', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP', 'SIGSYS', 'SIGXCPU', 'SIGXFSZ'] as const;

test('a child dying of a core-dumping signal: hako exits 128+n and leaves no core file (ulimit -c unlimited)', (t) => {
  const p = projectWith({ API_TOKEN: 'tok-core-8c1f2e9d4b' });
  t.after(() => p.cleanup());
  for (const signal of CORE_SIGNALS) {
    // bash raises the core limit for hako; the child lowers its own, so a core file in the
    // project folder (core_pattern "core") could only be hako's.
    const script = `ulimit -c unlimited; exec "$0" "$1" run -- /bin/sh -c 'ulimit -c 0; kill -${signal.slice(3)} $$'`;
    const r = spawnSync('/bin/bash', ['-c', script, process.execPath, HAKO_BIN], { cwd: p.dir, env: p.env, encoding: 'utf8' });
    assert.equal(r.signal, null, `${signal}: hako itself died of ${r.signal}`);
    assert.equal(r.status, 128 + constants.signals[signal], `${signal}: exit code`);
    const cores = readdirSync(p.dir).filter((f) => f.startsWith('core'));
    assert.deepEqual(cores, [], `${signal}: a core file was written`);
  }
});

test('a child dying of SIGTERM or SIGHUP: hako still dies of the same signal (no core involved)', (t) => {
  const p = projectWith({ API_TOKEN: 'tok-core-8c1f2e9d4b' });
  t.after(() => p.cleanup());
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    const r = spawnSync(process.execPath, [HAKO_BIN, 'run', '--', '/bin/sh', '-c', `kill -${signal.slice(3)} $$`], {
      cwd: p.dir,
      env: p.env,
      encoding: 'utf8',
    });
    assert.equal(r.signal, signal);
  }
});

/** Key-carrying HAKO_* names, today's and those later features add (packages, keychain). */
const KEY_NAMES = [
  'HAKO_KEY',
  'HAKO_PASSPHRASE',
  'HAKO_PASSPHRASE_PRODUCTION',
  'HAKO_NEW_PASSPHRASE',
  'HAKO_AGE_KEY',
  'HAKO_PACKAGE_PASSWORD',
  'HAKO_PACKAGE_PASSPHRASE',
  'HAKO_KEYCHAIN_PASSWORD',
  'HAKO_SEAL_KEY',
  'HAKO_AGENT_TOKEN',
  'HAKO_IDENTITY',
  'HAKO_KEY_FILE',
  'SOPS_AGE_KEY',
  'SOPS_AGE_KEY_FILE',
  'SOPS_AGE_KEY_CMD',
  'SOPS_AGE_SSH_PRIVATE_KEY_FILE',
];

test('key material by pattern: every HAKO_* name with a key, passphrase, password, token or identity word; pointers stay', () => {
  for (const name of KEY_NAMES) assert.equal(isKeyMaterialVar(name), true, name);
  for (const name of ['HAKO_SECRETS_FD', 'HAKO_SECRETS_DIR', 'HAKO_ENV', 'HAKO_HOME', 'HAKO_TRUST_PRODUCTION', 'HAKO_DEBUG', 'KEYBOARD'])
    assert.equal(isKeyMaterialVar(name), false, name);
});

test('hako run: no key-carrying HAKO_* variable reaches the child in any mode; HAKO_SECRETS_FD/DIR and HAKO_ENV do', (t) => {
  const p = projectWith({ API_TOKEN: 'tok-keyvars-61b0d2' });
  t.after(() => p.cleanup());
  // Values hako ignores for this environment (it has a key file and no passphrase block).
  const planted = Object.fromEntries(
    KEY_NAMES.filter((n) => !['HAKO_KEY', 'HAKO_AGE_KEY', 'SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD'].includes(n)).map((n) => [
      n,
      `planted-${n.toLowerCase()}-value`,
    ]),
  );
  const show = `process.stdout.write(JSON.stringify(Object.keys(process.env).filter((k) => /^(HAKO|SOPS)_/.test(k)).sort()))`;
  for (const via of ['env', 'fd3', 'files']) {
    const r = p.run(['run', '--via', via, '--', process.execPath, '-e', show], { env: { ...planted, HAKO_ENV: 'development' } });
    assert.equal(r.code, 0, r.stderr);
    const names = JSON.parse(r.stdout) as string[];
    const leaked = names.filter((n) => n in planted);
    assert.deepEqual(leaked, [], `--via ${via}`);
    assert.ok(names.includes('HAKO_ENV') && names.includes('HAKO_HOME'), `--via ${via}: ${names.join(' ')}`);
    if (via === 'fd3') assert.ok(names.includes('HAKO_SECRETS_FD'));
    if (via === 'files') assert.ok(names.includes('HAKO_SECRETS_DIR'));
  }
});

test('SOPS_AGE_KEY_CMD and the editor get no key-carrying HAKO_* variable (HAKO_NEW_PASSPHRASE included)', (t) => {
  const p = projectWith({ API_TOKEN: 'tok-keyvars-61b0d2' });
  t.after(() => p.cleanup());
  const dir = scratchDir();
  const planted = { HAKO_NEW_PASSPHRASE: 'planted-new-passphrase', HAKO_PACKAGE_PASSWORD: 'planted-package-password' };
  const dump = (file: string) => `#!/bin/sh\ntr '\\0' '\\n' < /proc/$$/environ > '${join(dir, file)}'\n`;
  writeFileSync(join(dir, 'keycmd.sh'), dump('keycmd.env'), { mode: 0o700 });
  writeFileSync(join(dir, 'editor.sh'), dump('editor.env'), { mode: 0o700 });
  p.run(['whoami'], { env: { ...planted, SOPS_AGE_KEY_CMD: join(dir, 'keycmd.sh') } });
  p.run(['edit'], { env: { ...planted, EDITOR: join(dir, 'editor.sh') } });
  for (const file of ['keycmd.env', 'editor.env']) {
    assert.ok(existsSync(join(dir, file)), `${file}: the program ran`);
    const environ = readFileSync(join(dir, file), 'utf8');
    assert.doesNotMatch(environ, /^HAKO_(NEW_PASSPHRASE|PACKAGE_PASSWORD)=/m, file);
    assert.doesNotMatch(environ, /planted-/, file);
  }
});

test('hako run --via fd3 exits when its child does, while a grandchild keeps fd 3 open without reading', async (t) => {
  // An envelope larger than any socket buffer: hako's write is still pending when the child exits.
  const p = projectWith({ BIG: 'v'.repeat(2 * 1024 * 1024), API_TOKEN: 'tok-fd3-grandchild-7d' });
  t.after(() => p.cleanup());
  const child = spawnHako(['run', '--via', 'fd3', '--', '/bin/sh', '-c', 'sleep 300 & echo "$!"; exit 0'], { cwd: p.dir, env: p.env });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const gaveUp = new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 60_000).unref());
  const ended = await Promise.race([exited, gaveUp]);
  const grandchild = Number(out.trim());
  t.after(() => {
    try {
      if (grandchild > 0) process.kill(grandchild, 'SIGKILL');
    } catch {
      /* gone */
    }
    child.kill('SIGKILL');
  });
  assert.notEqual(ended, 'waiting', 'hako was still waiting for the grandchild that holds fd 3');
  assert.equal(ended, 0);
  assert.ok(grandchild > 0, `the child printed the grandchild's pid: ${JSON.stringify(out)}`);
  assert.doesNotThrow(() => process.kill(grandchild, 0), 'the grandchild still runs: hako did not wait for it');
});

/** A folder on disk (not tmpfs), for XDG_RUNTIME_DIR that is not in memory. */
function diskDir(t: TestContext): string {
  const dir = mkdtempSync(join(REPO_ROOT, 'build', 'disk-xdg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o700);
  return dir;
}

test('--via files: an XDG_RUNTIME_DIR on disk is passed over for a folder in memory, with a notice', (t) => {
  if (!inMemory('/dev/shm')) return t.skip('needs /dev/shm on tmpfs');
  const p = projectWith({ API_TOKEN: 'tok-files-disk-3e9a' });
  t.after(() => p.cleanup());
  const xdg = diskDir(t);
  assert.equal(inMemory(xdg), false, 'the test folder is on disk');
  const r = p.run(['run', '--via', 'files', '--', process.execPath, '-e', 'process.stdout.write(process.env.HAKO_SECRETS_DIR)'], {
    env: { XDG_RUNTIME_DIR: xdg },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.startsWith(xdg), `the files went to ${r.stdout}, on disk`);
  assert.ok(r.stdout.startsWith('/dev/shm/'), r.stdout);
  assert.match(r.stderr, /XDG_RUNTIME_DIR \(.*\) is on disk, not in memory; using \/dev\/shm/);
  assert.deepEqual(readdirSync(xdg), []);
});

/** Runs `hako ARGS` where /dev/shm is a folder on disk (a private mount namespace), or skips. */
function withoutShm(
  t: TestContext,
  p: { dir: string; env: NodeJS.ProcessEnv },
  disk: string,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
) {
  const script = 'mount --bind "$1" /dev/shm && shift && exec "$@"';
  for (const unshare of [['-m'], ['-r', '-m']]) {
    const probe = spawnSync('unshare', [...unshare, '/bin/sh', '-c', 'mount --bind / /mnt'], { stdio: 'ignore' });
    if (probe.status !== 0) continue;
    return spawnSync('unshare', [...unshare, '/bin/sh', '-c', script, 'sh', disk, process.execPath, HAKO_BIN, ...args], {
      cwd: p.dir,
      env: { ...p.env, ...extraEnv },
      encoding: 'utf8',
    });
  }
  t.skip('needs a private mount namespace (unshare -m as root, or unshare -r -m) to take /dev/shm away');
  return null;
}

test('with no memory-backed folder, --via files and hako edit refuse before opening a value, unless --allow-disk', (t) => {
  if (!needTools(t, 'unshare')) return;
  const p = projectWith({ API_TOKEN: 'tok-no-tmpfs-51c7' });
  t.after(() => p.cleanup());
  const shm = diskDir(t);
  const xdg = diskDir(t);
  const fresh = scratchDir(); // a machine without the key: the refusal must come first
  const env = { XDG_RUNTIME_DIR: xdg, EDITOR: 'true' };
  const show = ['--', process.execPath, '-e', 'process.stdout.write(process.env.HAKO_SECRETS_DIR)'];
  for (const args of [['run', '--via', 'files', ...show], ['edit']]) {
    for (const home of [p.home, fresh]) {
      const r = withoutShm(t, p, shm, args, { ...env, HAKO_HOME: home });
      if (!r) return;
      assert.equal(r.status, 1, `${args[0]}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /hako: error: no memory-backed folder for plaintext files: .*XDG_RUNTIME_DIR .* on disk.*\/dev\/shm .* on disk/,
      );
      assert.match(r.stderr, /hako: hint: .*--allow-disk/);
      assert.equal(r.stdout, '');
    }
    assert.deepEqual([readdirSync(shm), readdirSync(xdg)], [[], []], `${args[0]} wrote something`);
  }
  const ok = withoutShm(t, p, shm, ['run', '--via', 'files', '--allow-disk', ...show], env);
  assert.equal(ok?.status, 0, ok?.stderr);
  assert.match(ok!.stderr, /--allow-disk: no memory-backed folder here; the files are on disk/);
  const edited = withoutShm(t, p, shm, ['edit', '--allow-disk'], env);
  assert.equal(edited?.status, 0, edited?.stderr);
});

test('hako edit without $VISUAL/$EDITOR and without a terminal refuses before opening any value', (t) => {
  const p = projectWith({ API_TOKEN: 'tok-edit-noterm-0b4f' });
  t.after(() => p.cleanup());
  for (const home of [p.home, scratchDir()]) {
    const r = p.run(['edit'], { env: { HAKO_HOME: home } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /hako: error: no editor: \$VISUAL and \$EDITOR are not set, and there is no terminal/);
    assert.equal(r.stdout, '');
  }
});

test('--via files: leftovers of a SIGKILLed hako are swept by the next run; live, foreign and other folders stay', async (t) => {
  const base = mkdtempSync('/dev/shm/hako-test-base-');
  t.after(() => rmSync(base, { recursive: true, force: true }));
  if (!inMemory(base)) return t.skip('needs /dev/shm on tmpfs');
  const p = projectWith({ API_TOKEN: 'tok-leftover-9a2c4e' });
  t.after(() => p.cleanup());
  const env = { ...p.env, XDG_RUNTIME_DIR: base };
  const run = spawnHako(
    [
      'run',
      '--via',
      'files',
      '--',
      process.execPath,
      '-e',
      'console.log(process.pid, process.env.HAKO_SECRETS_DIR); setInterval(() => {}, 1000)',
    ],
    {
      cwd: p.dir,
      env,
    },
  );
  const [childPid, dir] = (await waitForOutput(run, '\n')).trim().split(' ') as [string, string];
  // A SIGKILLed hako cannot stop its program: the test does, so no process outlives it.
  t.after(() => {
    try {
      process.kill(Number(childPid), 'SIGKILL');
    } catch {
      /* already gone */
    }
  });
  assert.ok(dir.startsWith(base) && existsSync(join(dir, 'API_TOKEN')), dir);
  run.kill('SIGKILL');
  await new Promise((r) => run.once('exit', r));
  assert.ok(existsSync(join(dir, 'API_TOKEN')), 'SIGKILL left the plaintext behind (the case to sweep)');
  // Not ours to sweep: a live process's folder, another user's, and a look-alike that is a file.
  const live = join(base, `hako-run-${process.pid}.0-Abc123`);
  const foreign = join(base, 'hako-run-999999.1-Xyz789');
  const other = join(base, 'hako-run-999998.1-File00');
  for (const d of [live, foreign]) mkdirSync(d, { mode: 0o700 });
  writeFileSync(join(foreign, 'KEEP'), 'x');
  writeFileSync(other, 'not a folder');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(foreign, 65534, 65534);
  const r = p.run(['run', '--via', 'files', '--', 'true'], { env: { XDG_RUNTIME_DIR: base } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(dir), false, 'the leftover folder is still there');
  assert.match(r.stderr, /removed 1 private folder\(s\) left in .* by a hako that was killed/);
  assert.ok(existsSync(live) && existsSync(other));
  if (asRoot) assert.ok(existsSync(join(foreign, 'KEEP')), "another user's folder was removed");
});
