/**
 * Crash safety (issue 5; issue 2 acceptance 7): `hako set` killed with SIGKILL at random
 * moments, 200 times in the deep run. After every kill the file parses, every other value in
 * every environment is intact, and the value being set is the old one or the new one. Locks
 * left by a killed writer are broken by the next one, which says so.
 *
 * Kill moments: half uniform over the whole life of a run, half over its last 40 %, where
 * the lock is taken and the file replaced, so that enough kills land inside the write.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseSecretsFile } from '../../src/core/formats/secrets-file.js';
import { finished, Project, spawnHako } from '../helpers.js';
import { hakoInProcess } from './in-process.js';
import { cases, recordArea } from './depth.js';

const OTHERS: Record<string, Record<string, string>> = {
  development: { DATABASE_URL: 'postgres://dev:crash-a1@db/app', API_TOKEN: 'tok-crash-b2', EMPTY: '', MULTI: 'line one\nline two\n' },
  production: { DATABASE_URL: 'postgres://prod:crash-c3@db/app', STRIPE_KEY: 'sk_live_crash_d4' },
};
const TARGET = 'ROTATING';

describe('crash safety: hako set killed with SIGKILL at random moments', () => {
  let p: Project;
  let hakoDir: string;
  before(() => {
    p = new Project();
    for (const [env, values] of Object.entries(OTHERS)) for (const [k, v] of Object.entries(values)) p.set(k, v, env);
    p.set(TARGET, 'v0', 'development');
    hakoDir = join(p.dir, '.hako');
  });
  after(() => p.cleanup());

  const lockText = (): string | null => {
    try {
      return readFileSync(join(hakoDir, 'secrets.json.lock'), 'utf8');
    } catch {
      return null;
    }
  };

  /** Everything but TARGET reads back exactly; TARGET is one of `allowed`. Returns its value. */
  async function verify(allowed: string[], label: string): Promise<string> {
    const text = readFileSync(join(hakoDir, 'secrets.json'), 'utf8');
    assert.doesNotThrow(() => parseSecretsFile(text), `${label}: the file no longer parses`);
    for (const [env, values] of Object.entries(OTHERS)) {
      const r = await hakoInProcess(['export', '--env', env, '--format', 'json'], { cwd: p.dir, env: p.env });
      assert.equal(r.code, 0, `${label}: export ${env} failed: ${r.stderr}`);
      const got = JSON.parse(r.stdout) as Record<string, string>;
      const target = got[TARGET];
      delete got[TARGET];
      assert.deepEqual(got, values, `${label}: another value of ${env} changed`);
      if (env === 'development') {
        assert.ok(target !== undefined && allowed.includes(target), `${label}: ${TARGET} is neither the old nor the new value`);
        return target;
      }
    }
    throw new Error('unreachable');
  }

  test(`${cases(20, 200)} runs: the file always parses and holds the old or the new value`, async () => {
    // How long one run lives here (the shortest of three), to spread the kill moments over it.
    let life = Infinity;
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      const probe = spawnHako(['set', TARGET], { cwd: p.dir, env: p.env });
      probe.stdin!.end('v0');
      await finished(probe);
      life = Math.min(life, performance.now() - t0);
    }
    life = Math.max(30, life);

    const runs = cases(20, 200);
    let current = 'v0';
    const tally = { killed: 0, completed: 0, newValueWhenKilled: 0, locksLeft: 0, staleNotices: 0, tempFilesLeft: 0 };
    let lockPending = false;
    let failures = 0;
    try {
      for (let i = 1; i <= runs; i++) {
        const value = `v${i}-${Math.random().toString(36).slice(2, 8)}`;
        const lockBefore = lockText();
        const child = spawnHako(['set', TARGET], { cwd: p.dir, env: p.env });
        child.stdin!.end(value);
        const done = finished(child);
        const at = i % 2 ? Math.random() * life * 1.2 : life * (0.6 + Math.random() * 0.45);
        await Promise.race([sleep(at), done]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        const r = await done;
        if (r.signal === 'SIGKILL') tally.killed++;
        else {
          assert.equal(r.code, 0, `run ${i} failed without being killed: ${r.stderr}`);
          tally.completed++;
          if (lockPending) {
            assert.match(r.stderr, /removed a stale lock left by a hako that died/, `run ${i} broke a stale lock without saying so`);
            tally.staleNotices++;
          }
        }
        try {
          current = await verify([current, value], `run ${i}`);
        } catch (err) {
          failures++;
          throw err;
        }
        if (r.signal === 'SIGKILL' && current === value) tally.newValueWhenKilled++;
        const lockAfter = lockText();
        lockPending = lockAfter !== null;
        if (lockAfter !== null && lockAfter !== lockBefore) tally.locksLeft++; // this run's own lock
      }
      // A last, unhurried writer: whatever the kills left, it gets through (and names a stale lock).
      const last = spawnHako(['set', TARGET], { cwd: p.dir, env: p.env });
      last.stdin!.end('final');
      const r = await finished(last);
      assert.equal(r.code, 0, r.stderr);
      if (lockPending) {
        assert.match(r.stderr, /removed a stale lock/);
        tally.staleNotices++;
      }
      assert.equal(await verify(['final'], 'final run'), 'final');
      tally.tempFilesLeft = readdirSync(hakoDir).filter((f) => f.endsWith('.tmp')).length;
    } finally {
      recordArea({
        area: 'crash:sigkill-set',
        tried: tally.killed + tally.completed,
        failures,
        note: `${tally.killed} killed (${tally.newValueWhenKilled} after the rename), ${tally.completed} finished first; ${tally.locksLeft} stale locks left, ${tally.staleNotices} broken with a notice; ${tally.tempFilesLeft} temp files left`,
      });
    }
    assert.equal(tally.tempFilesLeft, 0, 'a killed writer left its temp file in .hako/');
  });
});
