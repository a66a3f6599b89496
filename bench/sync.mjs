#!/usr/bin/env node
/**
 * `npm run bench:sync`: what `hako sync` costs against SERVERS (default 10) servers on this
 * machine, each a real sshd + hako agent on 127.0.0.1 (test/sync-helpers.ts, as the
 * acceptance test uses them), the client being the system ssh with a test key.
 *
 * Measured, ROUNDS times each, alternating:
 * 1. the baseline: `ssh host true` (a shell key without forced command), one server alone,
 *    and all servers at once (one ssh each, in parallel);
 * 2. `hako sync` of an unchanged environment: all servers in parallel (--parallel SERVERS)
 *    and one after another (--parallel 1), wall time of the whole command (hako's own start
 *    included) and each server's time from the JSON;
 * 3. `hako sync` of a changed environment (a value set before each round), parallel and
 *    sequential (the agents have no apps, so this is transfer + open + store);
 * 4. unchanged, parallel, with HAKO_SSH_CONTROL_PERSIST=30 after one warm-up sync (the
 *    handshake skipped through each server's ControlMaster socket).
 * Figures go to stdout and bench/results/sync-latest.json. Nothing is asserted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, HAKO_BIN } from './lib/tools.mjs';

const helpers = await import(join(REPO_ROOT, 'build', 'test', 'sync-helpers.js'));
const { Project } = await import(join(REPO_ROOT, 'build', 'test', 'helpers.js'));
const N = Number(process.env.BENCH_SERVERS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const log = (m) => process.stderr.write(`bench:sync: ${m}\n`);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}

function timed(fn) {
  const t = performance.now();
  const r = fn();
  return { ms: Math.round(performance.now() - t), r };
}

function runAsync(cmd, args, opts) {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { ...opts, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => resolve({ code, err }));
  });
}

const client = new helpers.SshClient();
const shellKeyFile = `${client.key}-shell`;
spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', shellKeyFile]);
const shellKey = (await import('node:fs')).readFileSync(`${shellKeyFile}.pub`, 'utf8').trim();
const servers = Array.from({ length: N }, () => new helpers.SshServer(client, shellKey));
const project = new Project();
const results = { servers: N, rounds: ROUNDS, cpus: (await import('node:os')).cpus().length, loadavg: [] };

try {
  log(`starting ${N} sshd + agent pairs`);
  for (const s of servers) await s.start(); // one after another: the machine is shared
  project.env = { ...project.env, HAKO_SSH: client.plainSsh };
  project.set('GREETING', 'bench-value-0', 'production');
  for (const [i, s] of servers.entries()) project.ok(['servers', 'add', `s${i}`, s.target, '--env', 'production']);
  const sync = (parallel, extra = {}) => {
    const { ms, r } = timed(() => project.run(['sync', '--env', 'production', '--json', '--parallel', String(parallel)], { env: extra }));
    if (r.code !== 0) throw new Error(`sync exited ${r.code}: ${r.stderr}`);
    const j = JSON.parse(r.stdout);
    return { wall: ms, perServer: median(j.servers.map((s) => s.ms)), results: [...new Set(j.servers.map((s) => s.result))] };
  };
  log(`first sync: ${JSON.stringify(sync(N))}`);

  const trueArgs = (s) => [
    '-i',
    shellKeyFile,
    '-o',
    'IdentitiesOnly=yes',
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-p',
    String(s.port),
    '--',
    s.target.replace(/:\d+$/, ''),
    'true',
  ];
  const rows = {
    sshTrueOne: [],
    sshTrueAllParallel: [],
    unchangedParallel: [],
    unchangedParallelPerServer: [],
    unchangedSequential: [],
    changedParallel: [],
    changedParallelPerServer: [],
    changedSequential: [],
    unchangedParallelControlMaster: [],
    unchangedParallelControlMasterPerServer: [],
    hakoVersionStart: [],
  };
  let v = 1;
  for (let round = 0; round < ROUNDS; round++) {
    results.loadavg.push((await import('node:os')).loadavg()[0]);
    rows.sshTrueOne.push(timed(() => spawnSync('ssh', trueArgs(servers[round % N]))).ms);
    const t = performance.now();
    await Promise.all(servers.map((s) => runAsync('ssh', trueArgs(s), {})));
    rows.sshTrueAllParallel.push(Math.round(performance.now() - t));
    rows.hakoVersionStart.push(timed(() => spawnSync(process.execPath, [HAKO_BIN, '--version'])).ms);
    const up = sync(N);
    rows.unchangedParallel.push(up.wall);
    rows.unchangedParallelPerServer.push(up.perServer);
    rows.unchangedSequential.push(sync(1).wall);
    project.set('GREETING', `bench-value-${v++}`, 'production');
    const cp = sync(N);
    rows.changedParallel.push(cp.wall);
    rows.changedParallelPerServer.push(cp.perServer);
    project.set('GREETING', `bench-value-${v++}`, 'production');
    rows.changedSequential.push(sync(1).wall);
    const cm = { HAKO_SSH_CONTROL_PERSIST: '30' };
    sync(N, cm); // warm the masters
    const w = sync(N, cm);
    rows.unchangedParallelControlMaster.push(w.wall);
    rows.unchangedParallelControlMasterPerServer.push(w.perServer);
    log(`round ${round + 1}: ${JSON.stringify(Object.fromEntries(Object.entries(rows).map(([k, xs]) => [k, xs.at(-1)])))}`);
  }
  // Stop the ControlMaster processes this bench started.
  const cmDir = join(project.home, 'ssh', 'cm');
  for (const s of servers) {
    spawnSync(
      client.plainSsh,
      ['-o', `ControlPath=${join(cmDir, '%C')}`, '-O', 'exit', '-p', String(s.port), '--', s.target.replace(/:\d+$/, '')],
      {
        stdio: 'ignore',
      },
    );
  }
  try {
    if (readdirSync(cmDir).length) log(`control sockets left: ${readdirSync(cmDir).length}`);
  } catch {
    /* none */
  }
  results.medians = Object.fromEntries(Object.entries(rows).map(([k, xs]) => [k, median(xs)]));
  results.samples = rows;
  const m = results.medians;
  results.ratios = {
    unchangedParallel_vs_sshTrueAllParallel: +(m.unchangedParallel / m.sshTrueAllParallel).toFixed(2),
    unchangedParallelPerServer_vs_sshTrueOne: +(m.unchangedParallelPerServer / m.sshTrueOne).toFixed(2),
    unchangedSequential_vs_parallel: +(m.unchangedSequential / m.unchangedParallel).toFixed(2),
    changedSequential_vs_parallel: +(m.changedSequential / m.changedParallel).toFixed(2),
  };
  console.log(JSON.stringify(results, null, 2));
  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench', 'results', 'sync-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  for (const s of servers) await s.stop();
  for (const s of servers) s.cleanup();
  project.cleanup();
  client.cleanup();
}
