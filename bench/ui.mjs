#!/usr/bin/env node
/**
 * `npm run bench:ui`: how long the dashboard's server takes to answer its pages for a large
 * store: 1,000 names × 5 environments (target: the Secrets page in ≤ 300 ms server time).
 *
 * The fixture is written with the library in build/src (same cipher, chain and canonical
 * encoder as `hako set`) and committed to a git repository, so trust and recipient history
 * run git as they would in a real checkout. Each environment misses every 7th name (offset
 * by environment), every 50th name expires soon, and 20 names are declared required.
 * Server time is measured in process: the hono app's answer to a request (session cookie
 * and Host as a browser sends them), from the request to the full body, which includes
 * reading and parsing the file, probing each environment's key, trust from pins, and
 * rendering. ROUNDS (default 15) timed requests per page after 2 warm-ups; the median is the
 * figure. Results go to stdout and bench/results/ui-latest.json. Nothing is asserted.
 * BENCH_KEEP=1 keeps the fixture (and prints where) for profiling; BENCH_NAMES changes its size.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from './lib/tools.mjs';

const lib = (p) => import(pathToFileURL(join(REPO_ROOT, 'build', 'src', p)).href);
const { EnvironmentCipher } = await lib('core/crypto/environment-cipher.js');
const { emptySecretsFile, encodeSecretsFile, newEnvironmentRecord } = await lib('core/formats/secrets-file.js');
const { metaText } = await lib('core/formats/secret-meta.js');
const { genesisLink } = await lib('core/trust/key-chain.js');
const { writeKeyFile } = await lib('core/keys/key-file-source.js');
const { newEnvironmentKey, newKeyId } = await lib('core/crypto/random.js');
const { createUiApp } = await lib('ui/app.js');
const { SESSION_COOKIE } = await lib('ui/security.js');

const NAMES = Number(process.env.BENCH_NAMES ?? 1000);
const ENVS = ['development', 'preview', 'production', 'qa', 'staging'];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const TARGET_MS = 300;

const root = mkdtempSync(join(tmpdir(), 'hako-bench-ui-'));
const dir = join(root, 'proj');
const home = join(root, 'home');
const env = { PATH: process.env.PATH, LANG: 'C.UTF-8', HOME: home, HAKO_HOME: home, HAKO_TODAY: '2026-11-30' };
const git = (...args) => {
  const r = spawnSync('git', args, {
    cwd: dir,
    env: { ...env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@example.com', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@example.com' },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

try {
  mkdirSync(join(dir, '.hako'), { recursive: true });
  git('init', '-q');
  const file = emptySecretsFile();
  const names = Array.from({ length: NAMES }, (_, i) => `SECRET_${String(i).padStart(5, '0')}`);
  ENVS.forEach((e, ei) => {
    const keyId = newKeyId();
    const key = newEnvironmentKey();
    writeKeyFile(keyId, key, { HAKO_HOME: home });
    const cipher = new EnvironmentCipher(e, keyId, key);
    const record = newEnvironmentRecord(keyId, cipher.makeCheck(), [genesisLink(e, keyId, key)]);
    names.forEach((name, i) => {
      if ((i + ei) % 7 === 0) return;
      const meta = i % 50 === 0 ? { expires: '2026-12-15', rotateEvery: '90d' } : undefined;
      if (meta) record.meta.set(name, meta);
      record.secrets.set(name, cipher.seal(name, `value-${e}-${i}-${'x'.repeat(24)}`, metaText(meta)));
    });
    file.environments.set(e, record);
  });
  for (let i = 0; i < 20; i++) file.schema.set(names[i * 37], { required: true });
  writeFileSync(join(dir, '.hako', 'secrets.json'), encodeSecretsFile(file));
  git('add', '-A');
  git('commit', '-qm', 'fixture');

  const token = 'bench-token';
  const app = createUiApp({ ctx: { cwd: dir, env, notice: () => {} }, token, port: () => 4000 });
  const host = { host: '127.0.0.1:4000' };
  const login = await app.request(`/login?token=${token}`, { headers: host });
  const cookie = /hako_ui_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')[1];
  const headers = { ...host, cookie: `${SESSION_COOKIE}=${cookie}` };

  const results = {};
  for (const path of ['/secrets', '/secrets?show=problems', '/recipients']) {
    const times = [];
    let bytes = 0;
    for (let i = 0; i < ROUNDS + 2; i++) {
      const t0 = performance.now();
      const res = await app.request(path, { headers });
      const body = await res.text();
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      bytes = Buffer.byteLength(body);
      if (i >= 2) times.push(ms);
    }
    results[path] = {
      median_ms: +median(times).toFixed(1),
      min_ms: +Math.min(...times).toFixed(1),
      max_ms: +Math.max(...times).toFixed(1),
      bytes,
      rounds: ROUNDS,
    };
  }
  const secrets = results['/secrets'];
  const verdict = secrets.median_ms <= TARGET_MS ? 'PASS' : 'FAIL';
  console.log(`hako ui page server time, ${NAMES} names × ${ENVS.length} environments (${ROUNDS} rounds, median)`);
  for (const [path, r] of Object.entries(results)) {
    console.log(
      `  ${path.padEnd(24)} ${String(r.median_ms).padStart(7)} ms  (min ${r.min_ms}, max ${r.max_ms}; ${(r.bytes / 1024).toFixed(0)} KiB)`,
    );
  }
  console.log(`  target: /secrets ≤ ${TARGET_MS} ms → ${verdict}`);
  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(REPO_ROOT, 'bench', 'results', 'ui-latest.json'),
    JSON.stringify({ names: NAMES, environments: ENVS.length, target_ms: TARGET_MS, verdict, results, node: process.version }, null, 2) +
      '\n',
  );
  if (process.env.BENCH_KEEP) {
    console.log('kept', dir, home);
    process.exit(0);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
