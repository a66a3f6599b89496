// The keychain key source without a keychain: asking for one that is not usable fails before
// anything changes, a missing binding says so, ordinary commands never load the binding, and a
// key recorded in the keychain that cannot be read is an error, never a fall-through.
// (The keychain itself, Secret Service and kernel keyring, is tested in test/integration/.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { HAKO_BIN, Project, REPO_ROOT, tempDir, type RunResult } from './helpers.js';

const linuxOnly = process.platform === 'linux' ? false : 'the no-keychain cases assume Linux (elsewhere the OS keychain is usually there)';

/** No Secret Service: a session bus address that leads nowhere. */
const NO_BUS = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/hako-test-bus' };

function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

function failsWith(r: RunResult, re: RegExp, what: string): void {
  assert.equal(r.code, 1, `${what}: exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, /^hako: error: /m, what);
  assert.match(r.stderr, /^hako: hint: /m, what);
  assert.match(r.stderr, re, what);
}

test('--keychain without a usable keychain fails before changing anything', { skip: linuxOnly }, () => {
  const p = new Project();
  try {
    p.set('A', 'value-a-1234', 'staging');
    const bundle = p.ok(['key', 'export', '--env', 'staging']).stdout;
    const before = p.file();
    const home = tree(p.home);
    const cases: [string, string[], string?][] = [
      ['env add', ['env', 'add', 'production', '--keychain']],
      ['env add (Secret Service named)', ['env', 'add', 'production', '--keychain-store', 'secret-service']],
      ['key import', ['key', 'import', '--keychain'], bundle],
      ['key rotate', ['key', 'rotate', '--env', 'staging', '--keychain']],
      ['keygen', ['keygen', '--keychain']],
    ];
    for (const [what, args, input] of cases) {
      const r = p.run(args, { env: NO_BUS, ...(input ? { input } : {}) });
      failsWith(r, /Secret Service/, what);
      assert.equal(p.file(), before, `${what}: secrets.json unchanged`);
      assert.deepEqual(tree(p.home), home, `${what}: nothing new in HAKO_HOME`);
      assert.ok(!existsSync(join(p.home, '.config', 'sops')), `${what}: no identity file instead`);
    }
    assert.equal(p.get('A', 'staging'), 'value-a-1234');
  } finally {
    p.cleanup();
  }
});

test('an unknown --keychain-store is a usage error', () => {
  const p = new Project();
  try {
    const r = p.run(['env', 'add', 'production', '--keychain-store', 'floppy']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown --keychain-store "floppy"/);
    assert.doesNotMatch(p.file(), /production/);
  } finally {
    p.cleanup();
  }
});

test('a key recorded in the keychain that cannot be read is an error, not a fall-through', { skip: linuxOnly }, () => {
  const p = new Project();
  try {
    p.set('A', 'value-a-5678', 'staging');
    const keyId = p.json().environments.staging.key_id as string;
    const bundle = p.ok(['key', 'export', '--env', 'staging']).stdout;
    rmSync(join(p.home, 'keys', keyId));
    mkdirSync(join(p.home, 'keychain', 'keys'), { recursive: true, mode: 0o700 });
    writeFileSync(
      join(p.home, 'keychain', 'keys', `${keyId}.json`),
      JSON.stringify({ env: 'staging', key_id: keyId, store: 'secret-service', version: 1 }),
      { mode: 0o600 },
    );
    const r = p.run(['get', 'A', '--env', 'staging'], { env: NO_BUS });
    failsWith(r, /cannot (read from|reach) the Secret Service/, 'get');
    // HAKO_KEY comes first and still answers.
    assert.equal(p.ok(['get', 'A', '--env', 'staging', '-n'], { env: { ...NO_BUS, HAKO_KEY: bundle.trim() } }).stdout, 'value-a-5678');
    // A damaged record is named, not ignored.
    writeFileSync(join(p.home, 'keychain', 'keys', `${keyId}.json`), '{"env":"staging"}', { mode: 0o600 });
    const d = p.run(['get', 'A', '--env', 'staging'], { env: NO_BUS });
    assert.equal(d.code, 5, d.stderr);
    assert.match(d.stderr, /keychain record .* is damaged/);
  } finally {
    p.cleanup();
  }
});

/**
 * The built CLI beside a node_modules that lacks @napi-rs/keyring, as where npm could not
 * install the optional binding: every other dependency is a link to the real one.
 */
function cliWithoutBinding(): { bin: string; dir: string } {
  const dir = tempDir('hako-nobinding-');
  mkdirSync(join(dir, 'build', 'cli'), { recursive: true });
  for (const f of readdirSync(join(REPO_ROOT, 'build', 'cli')))
    copyFileSync(join(REPO_ROOT, 'build', 'cli', f), join(dir, 'build', 'cli', f));
  mkdirSync(join(dir, 'node_modules'));
  for (const name of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (name === '@napi-rs' || name.startsWith('.')) continue;
    symlinkSync(join(REPO_ROOT, 'node_modules', name), join(dir, 'node_modules', name));
  }
  return { bin: join(dir, 'build', 'cli', 'hako.cjs'), dir };
}

test('without the keychain binding: --keychain says so, everything else works', () => {
  const cli = cliWithoutBinding();
  const p = new Project();
  try {
    assert.ok(existsSync(HAKO_BIN));
    const run = (args: string[], input = '') => {
      const r = spawnSync(process.execPath, [cli.bin, ...args], { cwd: p.dir, env: p.env, input, encoding: 'utf8' });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const before = p.file();
    const r = run(['env', 'add', 'production', '--keychain']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /the keychain binding \(@napi-rs\/keyring\) is not installed for this platform/);
    assert.match(r.stderr, /hint: install it beside hako/);
    assert.equal(p.file(), before);
    // Ordinary commands never load it.
    assert.equal(run(['env', 'add', 'dev']).code, 0);
    assert.equal(run(['set', 'A', '--env', 'dev'], 'plain-value-1\n').code, 0);
    assert.equal(run(['get', 'A', '--env', 'dev', '-n']).stdout, 'plain-value-1');
    assert.equal(run(['env', 'ls']).code, 0);
  } finally {
    p.cleanup();
    rmSync(cli.dir, { recursive: true, force: true });
  }
});
