/**
 * The secrets file and the key store under pressure from the outside: a lock file that was
 * committed or comes from another machine, and passphrase environments whose Argon2 cost
 * is chosen by whoever wrote the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { git, Project, runHako, tempDir } from './helpers.js';

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
    git(p.dir, 'add', '-A');
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
