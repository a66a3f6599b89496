#!/usr/bin/env node
/**
 * `npm run bench:agent`: what the hako agent costs and how fast it rolls, on this machine.
 *
 * 1. Proxy throughput: examples/agent-app (each request waits DELAY_MS = 5 ms, like an app
 *    that awaits a database) with one instance, loaded by autocannon at a fixed request rate
 *    (-R) once directly on the instance's loopback port and once through the agent's proxy,
 *    alternating, ROUNDS times each. The figure is the median of proxy/direct requests per
 *    second (target ≥ 0.9), with the latency percentiles of both.
 * 2. Idle memory: the agent's RSS (/proc/<pid>/status VmRSS) after it started two instances
 *    and sat idle for 5 s (target ≤ 60 MB); after the throughput load; and idle again after
 *    the rolls (the agent as the systemd unit starts it, --max-semi-space-size=1).
 * 3. Roll time: from sending a changed environment to the last new instance serving (the
 *    push returns when the roll is done), two instances, ROLLS times; the app starts in
 *    ~50 ms, so this is mostly health checks, draining and SIGTERM.
 * 4. Front-door gap: SIGKILL the agent and start it again at once (as systemd's
 *    Restart=always with RestartSec=0 would): the time from the kill until a request through
 *    the public port is answered again.
 * Figures go to stdout and to bench/results/agent-latest.json. Nothing is asserted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, HAKO_BIN } from './lib/tools.mjs';

const AUTOCANNON = join(REPO_ROOT, 'node_modules', 'autocannon', 'autocannon.js');
const APP = join(REPO_ROOT, 'build', 'examples', 'agent-app', 'server.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROLLS = Number(process.env.BENCH_ROLLS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 32;

const root = mkdtempSync(join(tmpdir(), 'hako-bench-agent-'));
const base = { PATH: process.env.PATH, LANG: process.env.LANG ?? 'C.UTF-8' };
const home = join(root, 'home');
const proj = join(root, 'proj');
const stateDir = join(root, 'state');
const projEnv = { ...base, HOME: home, HAKO_HOME: home, HAKO_AGENT_DIR: stateDir };
const log = (m) => process.stderr.write(`bench:agent: ${m}\n`);

function hako(args, opts = {}) {
  const r = spawnSync(process.execPath, [HAKO_BIN, ...args], { cwd: proj, env: projEnv, encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`hako ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** As the systemd unit of `hako agent unit` starts it (with its V8 flag). */
function startAgent() {
  const child = spawn(process.execPath, ['--max-semi-space-size=1', HAKO_BIN, 'agent', 'run'], {
    env: { ...projEnv, DELAY_MS: '5' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  child.stderr.on('data', (d) => (text += d));
  const ready = (async () => {
    while (!text.includes('listening on')) {
      if (child.exitCode !== null) throw new Error(`agent exited: ${text}`);
      await sleep(10);
    }
  })();
  return { child, ready, log: () => text };
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function autocannon(url) {
  const r = spawnSync(process.execPath, [AUTOCANNON, '-c', String(CONNECTIONS), '-d', String(SECONDS), '-R', String(RATE), '--json', url], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  if (r.status !== 0) throw new Error(`autocannon: ${r.stderr}`);
  const j = JSON.parse(r.stdout);
  return {
    rps: j.requests.average,
    total: j.requests.total,
    failed: j.errors + j.timeouts + j.non2xx,
    p50: j.latency.p50,
    p99: j.latency.p99,
  };
}

function get(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { when: new Date().toISOString(), node: process.version, rate: RATE, seconds: SECONDS, connections: CONNECTIONS };
let agent = null;

try {
  mkdirSync(proj);
  spawnSync('git', ['init', '-q'], { cwd: proj });
  hako(['init']);
  hako(['env', 'add', 'production']);
  hako(['set', 'GREETING', '--env', 'production'], { input: 'bench-greeting-1\n' });
  const recipient = JSON.parse(hako(['agent', 'init', '--json'])).recipient;
  hako(['recipients', 'add', recipient, '--env', 'production']);
  agent = startAgent();
  await agent.ready;

  // 1. Throughput with one instance: direct against proxied.
  const one = await freePort();
  hako(['agent', 'app', 'add', 'one', '--env', 'production', '--port', String(one), '--instances', '1', '--', process.execPath, APP]);
  hako(['agent', 'push', '--env', 'production']);
  const inst = JSON.parse(hako(['agent', 'app', 'status', 'one', '--json'])).instances[0];
  results.throughput = [];
  for (let i = 0; i < ROUNDS; i++) {
    log(`throughput round ${i + 1}/${ROUNDS} (${RATE} req/s for ${SECONDS} s, direct then proxy)`);
    const direct = autocannon(`http://127.0.0.1:${inst.port}/`);
    const proxy = autocannon(`http://127.0.0.1:${one}/`);
    results.throughput.push({ direct, proxy, ratio: proxy.rps / direct.rps });
  }
  results.throughputRatio = median(results.throughput.map((t) => t.ratio));
  results.rssAfterLoadMb = rssMb(agent.child.pid);
  hako(['agent', 'app', 'rm', 'one']);

  // 2. Idle memory with two instances running.
  const two = await freePort();
  hako(['agent', 'app', 'add', 'two', '--env', 'production', '--port', String(two), '--instances', '2', '--', process.execPath, APP]);
  await agent.child.kill('SIGTERM');
  await new Promise((r) => agent.child.once('exit', r));
  agent = startAgent();
  await agent.ready;
  while (JSON.parse(hako(['agent', 'app', 'status', 'two', '--json'])).state !== 'running') await sleep(50);
  await sleep(5000);
  results.idleRssMb = rssMb(agent.child.pid);
  log(`idle RSS ${results.idleRssMb.toFixed(1)} MB`);

  // 3. Roll time.
  results.rollMs = [];
  for (let i = 0; i < ROLLS; i++) {
    hako(['set', 'GREETING', '--env', 'production'], { input: `bench-greeting-roll-${i}\n` });
    const t0 = performance.now();
    const r = JSON.parse(hako(['agent', 'push', '--env', 'production', '--json']));
    results.rollMs.push({ total: Math.round(performance.now() - t0), roll: r.apps[0].ms });
  }
  log(`roll ${results.rollMs.map((r) => r.total).join(', ')} ms`);
  await sleep(5000);
  results.idleAfterRollsRssMb = rssMb(agent.child.pid);

  // 4. Front-door gap after SIGKILL + immediate restart.
  results.gapMs = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    agent.child.kill('SIGKILL');
    await new Promise((r) => agent.child.once('exit', r));
    agent = startAgent();
    while (!(await get(two))) await sleep(5);
    results.gapMs.push(Math.round(performance.now() - t0));
    while (JSON.parse(hako(['agent', 'app', 'status', 'two', '--json'])).state !== 'running') await sleep(50);
  }
  log(`front-door gap ${results.gapMs.join(', ')} ms`);
} finally {
  if (agent && agent.child.exitCode === null) {
    agent.child.kill('SIGTERM');
    await new Promise((r) => agent.child.once('exit', r));
  }
  rmSync(root, { recursive: true, force: true });
}

const t = results.throughput;
const lines = [
  `agent bench (${results.node}, ${RATE} req/s × ${SECONDS} s, ${CONNECTIONS} connections, app waits 5 ms per request)`,
  ...t.map(
    (r, i) =>
      `  round ${i + 1}: direct ${r.direct.rps.toFixed(0)} req/s (p50 ${r.direct.p50} ms, p99 ${r.direct.p99} ms, ${r.direct.failed} failed) · proxy ${r.proxy.rps.toFixed(0)} req/s (p50 ${r.proxy.p50} ms, p99 ${r.proxy.p99} ms, ${r.proxy.failed} failed) · ratio ${r.ratio.toFixed(3)}`,
  ),
  `  proxy/direct (median): ${results.throughputRatio.toFixed(3)}  (target ≥ 0.9: ${results.throughputRatio >= 0.9 ? 'ok' : 'FAIL'})`,
  `  idle RSS: ${results.idleRssMb.toFixed(1)} MB  (target ≤ 60: ${results.idleRssMb <= 60 ? 'ok' : 'FAIL'}); after the throughput load: ${results.rssAfterLoadMb.toFixed(1)} MB; idle after ${ROLLS} rolls: ${results.idleAfterRollsRssMb.toFixed(1)} MB`,
  `  change → last new instance serving (2 instances): ${results.rollMs.map((r) => `${r.total} ms`).join(', ')} (roll alone ${results.rollMs.map((r) => r.roll).join(', ')} ms)`,
  `  front-door gap, SIGKILL + immediate restart: ${results.gapMs.join(', ')} ms`,
];
console.log(lines.join('\n'));
mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(REPO_ROOT, 'bench', 'results', 'agent-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
