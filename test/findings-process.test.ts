/**
 * What hako hands to the processes it starts, and how it ends when they do: no core file
 * holding keys or values, no key material in any child's environment, no wait for
 * grandchildren, no plaintext files left behind by a killed run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { HAKO_BIN } from './helpers.js';
import { projectWith, scratchDir } from './run-helpers.js';
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
