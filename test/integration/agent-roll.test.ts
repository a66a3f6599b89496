/**
 * The agent with real processes and real HTTP (acceptance of `hako agent`):
 * - two instances of examples/agent-app behind the agent's proxy, under load from a real
 *   autocannon process: a secret change rolls both, 0 failed or non-2xx of ≥ 20,000, and
 *   the new value is served afterwards;
 * - a change that fails the health check: the roll stops, the old instances keep serving
 *   (0 failed under load), the store holds the previous version, the reason is reported;
 * - no plaintext value in any file of the state directory (database and WAL included), nor
 *   in /proc/<pid>/environ of an fd3 instance;
 * - SIGKILL the agent mid-roll and start it again: exactly one generation serves, nothing
 *   of the old process groups is left, the store opens.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { AgentDir, AGENT_APP, projectFor, startAgent, type RunningAgent } from '../agent-helpers.js';
import { finished, HAKO_BIN, REPO_ROOT, runHako, type Project } from '../helpers.js';
import { freePort } from '../../src/agent/instance.js';
import { groupMembers } from '../../src/agent/process-info.js';
import { skipUnless } from '../tools.js';

const AUTOCANNON = join(REPO_ROOT, 'node_modules', 'autocannon', 'autocannon.js');
const greetingOf = (v: string) => createHash('sha256').update(v).digest('hex').slice(0, 16);

interface LoadResult {
  total: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** Runs autocannon as its own process against `url`; resolves with its JSON summary. */
function load(url: string, amount: number, connections: number) {
  const child = spawn(process.execPath, [AUTOCANNON, '-a', String(amount), '-c', String(connections), '-t', '20', '--json', url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = finished(child).then((r): LoadResult => {
    if (r.code !== 0) throw new Error(`autocannon exited ${r.code}: ${r.stderr}`);
    const j = JSON.parse(r.stdout);
    return { total: j.requests.total, ok2xx: j['2xx'], non2xx: j.non2xx, errors: j.errors, timeouts: j.timeouts };
  });
  return { child, done };
}

async function getJson(port: number): Promise<{ greeting: string; pid: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(res.status, 200);
  return (await res.json()) as { greeting: string; pid: number };
}

function hako(agent: AgentDir, project: Project, args: string[]) {
  return runHako(args, { cwd: project.dir, env: { ...project.env, ...agent.env() } });
}

function appStatus(agent: AgentDir): any {
  const r = runHako(['agent', 'app', 'status', 'demo', '--json'], { env: agent.env() });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Live processes whose command line holds `marker` (zombies excluded), with their parent and group. */
function marked(marker: string): { pid: number; ppid: number; pgid: number }[] {
  const out: { pid: number; ppid: number; pgid: number }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(marker)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z') continue;
      out.push({ pid: Number(name), ppid: Number(f[1]), pgid: Number(f[2]) });
    } catch {
      /* gone */
    }
  }
  return out;
}

describe('hako agent: rolling restarts under load', { skip: skipUnless(AUTOCANNON) }, () => {
  let agent: AgentDir;
  let project: Project;
  let running: RunningAgent | null = null;
  let port: number;
  const marker = `mark-${randomBytes(6).toString('hex')}`;
  const values: string[] = [];
  const setGreeting = (v: string) => {
    values.push(v);
    project.set('GREETING', v, 'production');
  };

  before(async () => {
    agent = new AgentDir();
    const first = `first-value-${randomBytes(8).toString('hex')}`;
    values.push(first);
    project = projectFor(agent, 'production', { GREETING: first });
    running = await startAgent(agent);
    port = await freePort();
    const add = hako(agent, project, [
      'agent',
      'app',
      'add',
      'demo',
      '--env',
      'production',
      '--port',
      String(port),
      '--instances',
      '2',
      '--health',
      '/health',
      '--health-timeout',
      '5',
      '--drain-timeout',
      '10',
      '--grace',
      '2',
      '--',
      process.execPath,
      AGENT_APP,
      marker,
    ]);
    assert.equal(add.code, 0, add.stderr);
    const push = hako(agent, project, ['agent', 'push', '--env', 'production']);
    assert.equal(push.code, 0, push.stderr + running.log());
    assert.equal((await getJson(port)).greeting, greetingOf(first));
  });

  after(async () => {
    await running?.stop();
    for (const p of marked(marker)) {
      try {
        process.kill(-p.pgid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    project?.cleanup();
    agent?.cleanup();
  });

  test('a secret change rolls both instances with 0 failed of ≥ 20,000 requests', async () => {
    const before = appStatus(agent);
    const oldPids = before.instances.map((i: any) => i.pid);
    const run = load(`http://127.0.0.1:${port}/`, 24_000, 32);
    await sleep(700);
    const next = `second-value-${randomBytes(8).toString('hex')}`;
    setGreeting(next);
    const push = hako(agent, project, ['agent', 'push', '--env', 'production', '--json']);
    assert.equal(push.code, 0, push.stderr);
    const rolledWhileLoaded = run.child.exitCode === null;
    const r = await run.done;
    assert.ok(rolledWhileLoaded, 'the roll finished while the load was still running');
    assert.ok(r.total >= 20_000, `total ${r.total}`);
    assert.deepEqual({ non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts }, { non2xx: 0, errors: 0, timeouts: 0 });
    assert.equal(r.ok2xx, r.total);
    const pushed = JSON.parse(push.stdout);
    assert.equal(pushed.apps[0].ok, true);
    const after = appStatus(agent);
    assert.equal(after.state, 'running');
    assert.ok(
      after.instances.every((i: any) => !oldPids.includes(i.pid) && i.version === pushed.version),
      'both instances replaced',
    );
    for (let i = 0; i < 6; i++) assert.equal((await getJson(port)).greeting, greetingOf(next));
    for (const pid of oldPids) assert.equal(groupMembers(pid).length, 0, `old group ${pid} is gone`);
  });

  test('a change that fails its health check is rolled back; the old instances keep serving', async () => {
    const before = appStatus(agent);
    const good = (await getJson(port)).greeting;
    const statusBefore = JSON.parse(runHako(['agent', 'status', '--json'], { env: agent.env() }).stdout);
    const run = load(`http://127.0.0.1:${port}/`, 12_000, 16);
    await sleep(300);
    setGreeting(`broken-value-${randomBytes(8).toString('hex')}`);
    const push = hako(agent, project, ['agent', 'push', '--env', 'production']);
    const r = await run.done;
    assert.notEqual(push.code, 0);
    assert.match(push.stdout, /FAILED, rolled back: instance 0: not healthy within 5 s \(last check: GET \/health answered 500\)/);
    assert.match(push.stderr, /rolled back/);
    assert.deepEqual({ non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts }, { non2xx: 0, errors: 0, timeouts: 0 });
    assert.ok(r.total >= 12_000);
    const after = appStatus(agent);
    assert.deepEqual(
      after.instances.map((i: any) => i.pid),
      before.instances.map((i: any) => i.pid),
      'the same old instances serve',
    );
    assert.match(after.lastError, /rolled back: instance 0: .*answered 500/);
    const statusAfter = JSON.parse(runHako(['agent', 'status', '--json'], { env: agent.env() }).stdout);
    const envBefore = statusBefore.environments.find((e: any) => e.env === 'production');
    const envAfter = statusAfter.environments.find((e: any) => e.env === 'production');
    assert.equal(envAfter.version, envBefore.version, 'the store holds the previous version again');
    assert.equal(envAfter.hash, envBefore.hash);
    assert.equal((await getJson(port)).greeting, good);
  });

  test('no plaintext value in the state directory or in an fd3 instance environment', async () => {
    const files = agent.files();
    assert.ok(
      files.some((f) => f.name === 'agent.db-wal'),
      'the WAL is there to scan',
    );
    for (const { name, bytes } of files) {
      for (const v of values) {
        assert.equal(bytes.includes(Buffer.from(v)), false, `${name} holds a value`);
        assert.equal(bytes.includes(Buffer.from(v, 'utf16le')), false, `${name} holds a value (UTF-16)`);
      }
    }
    for (const inst of appStatus(agent).instances) {
      const environ = readFileSync(`/proc/${inst.pid}/environ`);
      for (const v of values) assert.equal(environ.includes(Buffer.from(v)), false, `instance ${inst.pid} environment holds a value`);
      assert.ok(environ.includes(Buffer.from('HAKO_SECRETS_FD=3\0')), 'fd3 delivery');
    }
    const logs = runHako(['agent', 'app', 'logs', 'demo', '-n', '1000'], { env: agent.env() }).stdout + running!.log();
    for (const v of values) assert.equal(logs.includes(v), false, 'logs hold a value');
  });

  test('SIGKILL mid-roll, restart: one generation serves, no orphan, the store opens', async () => {
    // Slow starts make the roll long enough to be interrupted in the middle.
    await running!.stop();
    running = await startAgentWith(agent, { START_DELAY_MS: '1500' });
    const agentPid = running.child.pid!;
    await waitFor(() => appStatus(agent).state === 'running', 20_000, 'app running after restart');
    const beforeKill = marked(marker);
    assert.equal(beforeKill.length, 2);
    const next = `third-value-${randomBytes(8).toString('hex')}`;
    setGreeting(next);
    const push = spawn(process.execPath, [HAKO_BIN, 'agent', 'push', '--env', 'production'], {
      cwd: project.dir,
      env: { ...project.env, ...agent.env() },
      stdio: 'ignore',
    });
    const pushed = new Promise((resolve) => push.once('exit', resolve));
    // Mid-roll: the first new instance exists next to the two old ones.
    await waitFor(() => marked(marker).filter((p) => p.ppid === agentPid).length >= 3, 20_000, 'a new instance during the roll');
    process.kill(agentPid, 'SIGKILL');
    await pushed;
    const left = marked(marker);
    assert.ok(left.length >= 3, 'the killed agent left its instances running');
    const oldGroups = [...new Set(left.map((p) => p.pgid))];

    running = await startAgentWith(agent, {});
    const newPid = running.child.pid!;
    await waitFor(() => appStatus(agent).state === 'running', 15_000, 'one health-check period after restart');
    for (const g of oldGroups) assert.equal(groupMembers(g).length, 0, `group ${g} of the killed agent is gone`);
    const live = marked(marker);
    assert.equal(live.length, 2, 'exactly the new instances run');
    assert.ok(
      live.every((p) => p.ppid === newPid),
      'all are children of the new agent',
    );
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add((await getJson(port)).greeting);
    assert.equal(seen.size, 1, 'one generation serves');
    const status = JSON.parse(runHako(['agent', 'status', '--json'], { env: agent.env() }).stdout);
    assert.equal(status.apps[0].deployedVersion, status.environments[0].version);
    assert.match(running.log(), /stopped \d+ instance group\(s\) a previous agent left/);
    assert.ok(existsSync(join(agent.dir, 'agent.db')));
  });
});

async function startAgentWith(agent: AgentDir, extra: NodeJS.ProcessEnv): Promise<RunningAgent> {
  const original = agent.env.bind(agent);
  agent.env = (more: NodeJS.ProcessEnv = {}) => original({ ...extra, ...more });
  try {
    return await startAgent(agent);
  } finally {
    agent.env = original;
  }
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}
