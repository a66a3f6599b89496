/**
 * The secrets file and the key store under pressure from the outside: a lock file that was
 * committed or comes from another machine, and passphrase environments whose Argon2 cost
 * is chosen by whoever wrote the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { git, HAKO_BIN, Project, runHako, tempDir, hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

const FAST_LOCK = { HAKO_LOCK_TIMEOUT_MS: '1500' };

function lockPath(p: Project): string {
  return join(p.dir, '.hako', 'secrets.json.lock');
}

test('a lock file committed from another machine does not block writes: the next write removes it and says how to clean git', (t) => {
  const p = new Project();
  const clone = tempDir('hako-clone-');
  t.after(() => p.cleanup());
  p.set('A', 'value-a-1234');
  // Written by an older hako (no time in it) and by this one a day ago, each committed.
  for (const owner of [
    { pid: 4242, host: 'alice-laptop', token: 'x' },
    { pid: 4242, host: 'alice-laptop', token: 'y', time: Date.now() - 86_400_000 },
  ]) {
    writeFileSync(lockPath(p), JSON.stringify(owner));
    // Forced past .hako/.gitignore (hako init ignores *.lock): a project from before it, or a git add -f.
    git(p.dir, 'add', '-A');
    git(p.dir, 'add', '-f', '.hako/secrets.json.lock');
    git(p.dir, 'commit', '-qm', 'oops, the lock');
    const r = p.run(['set', 'B'], { input: `value-b-${owner.token}`, env: FAST_LOCK });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /removed a stale lock .*alice-laptop/);
    assert.match(r.stderr, /git rm --cached \.hako\/secrets\.json\.lock/);
    assert.equal(p.get('B'), `value-b-${owner.token}`);
    assert.equal(existsSync(lockPath(p)), false);
  }
  // A fresh clone gets the committed lock with a fresh mtime: still not a live writer.
  git(clone, 'clone', '-q', p.dir, 'c');
  const c = join(clone, 'c');
  assert.ok(existsSync(join(c, '.hako', 'secrets.json.lock')), 'the clone has the committed lock');
  const r = runHako(['set', 'C'], { cwd: c, input: 'value-c-1234', env: { ...p.env, ...FAST_LOCK } });
  assert.equal(r.code, 0, r.stderr);
});

test('a lock from this host but an earlier boot, or from a reused pid, is stale even though the pid is alive', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-a-1234');
  const now = Date.now();
  for (const owner of [
    { pid: process.pid, host: hostname(), boot: '00000000-0000-0000-0000-000000000000', started: 1, time: now, token: 'reboot' },
    { pid: process.pid, host: hostname(), started: 1, time: now, token: 'reused' },
  ]) {
    writeFileSync(lockPath(p), JSON.stringify(owner));
    const r = p.run(['set', 'B'], { input: `value-b-${owner.token}`, env: FAST_LOCK });
    assert.equal(r.code, 0, `${owner.token}: ${r.stderr}`);
    assert.match(r.stderr, /removed a stale lock/);
    assert.equal(p.get('B'), `value-b-${owner.token}`);
  }
});

test('a fresh lock from another machine (a shared folder) is waited for, then E_LOCKED says whose it is and how to clear it', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-a-1234');
  writeFileSync(lockPath(p), JSON.stringify({ pid: 77, host: 'build-server-7', token: 'z', time: Date.now() }));
  const before = readFileSync(join(p.dir, '.hako', 'secrets.json'), 'utf8');
  const r = p.run(['set', 'B'], { input: 'value-b-1234', env: { HAKO_LOCK_TIMEOUT_MS: '300' } });
  assert.equal(r.code, 6, r.stderr);
  assert.match(r.stderr, /locked by another hako \(pid 77 on build-server-7, taken \d+ s ago\)/);
  assert.match(r.stderr, /hint: .*build-server-7.*git rm --cached \.hako\/secrets\.json\.lock/);
  assert.equal(readFileSync(join(p.dir, '.hako', 'secrets.json'), 'utf8'), before);
});

/** A preload that logs every Argon2 derivation hako makes (its salt names the key id). */
function argon2Spy(dir: string): { env: NodeJS.ProcessEnv; derived: () => string[] } {
  const log = join(dir, 'argon2.log');
  const spy = join(dir, 'argon2-spy.cjs');
  writeFileSync(
    spy,
    `const Module = require('module');
const fs = require('fs');
const load = Module._load;
Module._load = function (request) {
  const m = load.apply(this, arguments);
  if (request === 'argon2' && !m.__hakoSpy) {
    const hash = m.hash;
    m.hash = function (pw, opts) {
      fs.appendFileSync(${JSON.stringify(log)}, Buffer.from(opts.salt).toString('utf8') + '\\n');
      return hash.apply(this, arguments);
    };
    m.__hakoSpy = true;
  }
  return m;
};
`,
  );
  writeFileSync(log, '');
  return {
    env: { NODE_OPTIONS: `--require ${spy}` },
    derived: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
  };
}

/** A project with two passphrase environments; returns it and a machine that has only the passphrase. */
function passphraseProject(t: { after: (fn: () => void) => void }) {
  const p = new Project();
  t.after(() => p.cleanup());
  const pass = { HAKO_PASSPHRASE: 'correct horse battery staple 7' };
  for (const env of ['staging', 'production']) {
    p.ok(['env', 'add', env, '--passphrase'], { env: pass });
    p.set('TOKEN', `tok-${env}-5f1e2d`, env);
  }
  const ci = tempDir('hako-ci-home-');
  t.after(() => rmSync(ci, { recursive: true, force: true }));
  return { p, ci: { ...p.env, HAKO_HOME: ci, HOME: ci, ...pass } };
}

test('passphrase keys are derived only for the environments a command needs: none for ls, one for get', (t) => {
  const { p, ci } = passphraseProject(t);
  const keyIds = Object.fromEntries(Object.entries(p.json().environments).map(([env, e]: [string, any]) => [env, e.key_id as string]));
  const spy = argon2Spy(tempDir('hako-spy-'));
  for (const args of [['ls'], ['ls', '--json'], ['env', 'ls'], ['key', 'ls']]) {
    const r = p.run(args, { env: { ...ci, ...spy.env } });
    assert.equal(r.code, 0, r.stderr);
  }
  assert.deepEqual(spy.derived(), [], 'ls / env ls / key ls derived a key');
  const ls = JSON.parse(p.ok(['ls', '--json'], { env: ci }).stdout);
  const staging = ls.environments.find((e: any) => e.env === 'staging');
  assert.deepEqual([staging.opens, staging.via], [null, 'passphrase'], 'a passphrase that is there but not checked');
  assert.match(p.ok(['ls'], { env: ci }).stdout, /passphrase from HAKO_PASSPHRASE, not checked/);
  assert.equal(p.ok(['get', 'TOKEN', '--env', 'staging', '-n'], { env: { ...ci, ...spy.env } }).stdout, 'tok-staging-5f1e2d');
  assert.deepEqual(spy.derived(), [`hako:v1:${keyIds['staging']}`]);
});

test('the Argon2 cost a file asks for is bounded per command: 4 GiB, or 256 MiB × 64 passes, is refused before deriving', (t) => {
  const { p, ci } = passphraseProject(t);
  const secrets = join(p.dir, '.hako', 'secrets.json');
  const original = readFileSync(secrets, 'utf8');
  const cases = [
    { m: 4_194_304, t: 3, p: 4, want: /asks for Argon2id with 4096 MiB/ },
    { m: 262_144, t: 64, p: 4, want: /asks for Argon2id with 256 MiB and 64 passes/ },
  ];
  for (const c of cases) {
    const file = JSON.parse(original);
    file.environments.staging.passphrase = { kdf: 'argon2id', m: c.m, p: c.p, t: c.t };
    writeFileSync(secrets, `${JSON.stringify(file, null, 2)}\n`);
    // Under a memory and CPU cap, so a hako that tried anyway fails fast instead of hogging the machine.
    const r = spawnSync(
      '/bin/bash',
      ['-c', 'ulimit -v 2000000; ulimit -t 20; exec "$0" "$1" get TOKEN --env staging', process.execPath, HAKO_BIN],
      {
        cwd: p.dir,
        env: ci,
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 5, `m=${c.m} t=${c.t}: ${r.signal ?? ''} ${r.stderr}`);
    assert.match(r.stderr, c.want);
    assert.match(r.stderr, /hako: hint: .*git log/);
    assert.equal(r.stdout, '');
  }
  // Beyond what the format allows at all: the message names the limits.
  const file = JSON.parse(original);
  file.environments.staging.passphrase = { kdf: 'argon2id', m: 4_194_304, p: 4, t: 1000 };
  writeFileSync(secrets, `${JSON.stringify(file, null, 2)}\n`);
  const r = p.run(['get', 'TOKEN', '--env', 'staging'], { env: ci });
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /t from 1 to 64/);
});
