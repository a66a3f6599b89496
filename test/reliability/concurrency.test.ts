/**
 * Concurrency and locks (issue 5; issue 2 acceptance 7), all with real processes:
 * - 20 (and 50 in the deep run) concurrent `hako set` of different names (two environments): none is lost,
 *   and the values that were there before are intact;
 * - a lock left by a SIGKILLed holder is broken by the next writer, which says so;
 * - a lock held by a live process makes a writer give up after HAKO_LOCK_TIMEOUT_MS with
 *   E_LOCKED and a hint, writing nothing; a fresh lock from another host is not broken;
 * - an unreadable (empty) lock is waited for while young and broken once old.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finished, Project, spawnHako } from '../helpers.js';
import { hakoInProcess } from './in-process.js';
import { DEEP, recordArea } from './depth.js';

const HOLDER = fileURLToPath(new URL('./lock-holder.js', import.meta.url));

/** Starts a process holding hako's lock on `target`; resolves once it holds it. */
async function holdLock(target: string) {
  const child = spawn(process.execPath, [HOLDER, '--hold', target], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
  return child;
}

async function exportEnv(p: Project, env: string): Promise<Record<string, string>> {
  const r = await hakoInProcess(['export', '--env', env, '--format', 'json'], { cwd: p.dir, env: p.env });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, string>;
}

describe('concurrent writers', () => {
  let p: Project;
  before(() => {
    p = new Project();
    p.set('EXISTING_DEV', 'existing-dev-value', 'development');
    p.set('EXISTING_PROD', 'existing-prod-value', 'production');
  });
  after(() => p.cleanup());

  for (const n of DEEP ? [20, 50] : [20]) {
    test(`${n} concurrent hako set of different names: all ${n} present, nothing else changed`, async () => {
      const writers = Array.from({ length: n }, (_, i) => {
        const env = i % 5 === 4 ? 'production' : 'development';
        const name = `C${n}_${i}`;
        const value = `value ${i} of ${n}: ${'x'.repeat(i)}`;
        const child = spawnHako(['set', name, '--env', env], { cwd: p.dir, env: p.env });
        child.stdin!.end(value);
        return { env, name, value, done: finished(child) };
      });
      const results = await Promise.all(writers.map((w) => w.done));
      const failed = results.filter((r) => r.code !== 0);
      const dev = await exportEnv(p, 'development');
      const prod = await exportEnv(p, 'production');
      const lost = writers.filter((w) => (w.env === 'development' ? dev : prod)[w.name] !== w.value);
      recordArea({ area: `concurrency:${n}-writers`, tried: n, failures: failed.length + lost.length });
      assert.deepEqual(
        failed.map((r) => r.stderr),
        [],
      );
      assert.deepEqual(
        lost.map((w) => w.name),
        [],
      );
      assert.equal(dev['EXISTING_DEV'], 'existing-dev-value');
      assert.equal(prod['EXISTING_PROD'], 'existing-prod-value');
      assert.equal(existsSync(join(p.dir, '.hako', 'secrets.json.lock')), false, 'a lock file was left behind');
    });
  }
});

describe('locks', () => {
  let p: Project;
  let secrets: string;
  let lock: string;
  let tried = 0;
  let failures = 0;
  const check = (ok: boolean) => {
    tried++;
    if (!ok) failures++;
    return ok;
  };
  before(() => {
    p = new Project();
    p.set('A', 'value-a');
    secrets = join(p.dir, '.hako', 'secrets.json');
    lock = `${secrets}.lock`;
  });
  after(() => {
    recordArea({ area: 'locks:stale-and-live', tried, failures });
    p.cleanup();
  });

  test('a lock left by a SIGKILLed holder is detected, broken and reported', async () => {
    const holder = await holdLock(secrets);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    assert.ok(existsSync(lock), 'the killed holder left no lock (the test needs one)');
    const r = p.run(['set', 'B'], { input: 'value-b' });
    assert.ok(check(r.code === 0), r.stderr);
    assert.ok(check(/hako: removed a stale lock left by a hako that died \(pid \d+\)/.test(r.stderr)), r.stderr);
    assert.equal(p.get('B'), 'value-b');
    assert.equal(existsSync(lock), false);
  });

  test('a lock held by a live process: E_LOCKED after HAKO_LOCK_TIMEOUT_MS, with a hint, nothing written', async () => {
    const holder = await holdLock(secrets);
    try {
      const before = readFileSync(secrets, 'utf8');
      const child = spawnHako(['set', 'C'], { cwd: p.dir, env: { ...p.env, HAKO_LOCK_TIMEOUT_MS: '300' } });
      child.stdin!.end('value-c');
      const r = await finished(child);
      assert.ok(check(r.code === 6), `exit ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`hako: error: .*secrets\\.json is locked by another hako \\(pid ${holder.pid}\\)`));
      assert.match(r.stderr, /hako: hint: wait for it to finish and try again; if no hako is running, remove .*secrets\.json\.lock/);
      assert.equal(readFileSync(secrets, 'utf8'), before);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    // The holder is gone now: the next writer breaks its lock and gets through.
    const r = p.run(['set', 'C'], { input: 'value-c' });
    assert.ok(check(r.code === 0 && /removed a stale lock/.test(r.stderr)), r.stderr);
  });

  test('a fresh lock from another host is not broken, even with a dead pid: E_LOCKED naming the host', () => {
    writeFileSync(lock, JSON.stringify({ pid: 999_999_999, host: 'build-server-7', token: 'x', time: Date.now() }));
    try {
      const r = p.run(['set', 'D'], { input: 'value-d', env: { HAKO_LOCK_TIMEOUT_MS: '200' } });
      assert.ok(check(r.code === 6), r.stderr);
      assert.match(r.stderr, /locked by another hako \(pid 999999999 on build-server-7, taken \d+ s ago\)/);
      assert.match(r.stderr, /hako: hint: .*remove .*secrets\.json\.lock/);
    } finally {
      writeFileSync(lock, '');
    }
  });

  test('an empty lock (its writer died before filling it) is waited for while young, broken when old', () => {
    writeFileSync(lock, '');
    const young = p.run(['set', 'E'], { input: 'value-e', env: { HAKO_LOCK_TIMEOUT_MS: '200' } });
    assert.ok(check(young.code === 6), young.stderr);
    assert.match(young.stderr, /pid unknown/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const r = p.run(['set', 'E'], { input: 'value-e' });
    assert.ok(check(r.code === 0), r.stderr);
    assert.match(r.stderr, /hako: removed a stale lock left by a hako that died\n/);
    assert.equal(p.get('E'), 'value-e');
  });
});
