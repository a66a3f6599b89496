#!/usr/bin/env node
/**
 * `npm run bench`: hako against its peers and the floor, measured side by side in one run.
 *
 *   node bench/run.mjs [startup] [per-secret] [argon2] [redaction] [review]
 *
 * With no names, every case runs. Fixtures go to a temporary folder that is removed at the
 * end; the table is printed and the figures (medians, spreads, every run count) are written
 * to bench/results/latest.json. Benchmarks are not tests: a FAIL row is a finding, and the
 * exit code is 0 unless the bench itself could not run.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { checkPrerequisites, dotenvxEnv, REPO_ROOT } from './lib/tools.mjs';
import { makeDotenvxFile, makeHakoProject, makeSecrets, tempRoot } from './lib/fixtures.mjs';
import { formatTable } from './lib/report.mjs';
import { startup } from './cases/startup.mjs';
import { perSecret } from './cases/per-secret.mjs';
import { argon2 } from './cases/argon2.mjs';
import { redaction } from './cases/redaction.mjs';
import { review } from './cases/review.mjs';
import { sops } from './cases/sops.mjs';

const ALL = ['startup', 'per-secret', 'argon2', 'redaction', 'review', 'sops'];
const PASSPHRASE = 'correct horse battery staple';
/** dotenvx takes about 14 ms a value to encrypt and 11 ms to decrypt: only the start-up sizes. */
const DOTENVX_SIZES = [1, 100, 1000];

const wanted = process.argv.slice(2);
for (const w of wanted) if (!ALL.includes(w)) throw new Error(`unknown case ${w}; cases: ${ALL.join(', ')}`);
const cases = wanted.length ? ALL.filter((c) => wanted.includes(c)) : ALL;
const has = (c) => cases.includes(c);

checkPrerequisites();
const started = Date.now();
const root = tempRoot();
const log = (m) => process.stderr.write(`bench: [${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${m}\n`);

try {
  const fx = await makeFixtures(root);
  const rows = [];
  let startupResult = null;
  if (has('startup')) {
    log('start-up (1, 100, 1,000 secrets; dotenvx at 1,000 takes about two minutes)');
    startupResult = await startup(fx);
    rows.push(...startupResult.rows);
  }
  if (has('per-secret')) {
    log('cost per secret (10 and 10,000 secrets)');
    rows.push(...(await perSecret(fx, startupResult)).rows);
  }
  if (has('argon2')) {
    log('Argon2id against the argon2 CLI');
    rows.push(...(await argon2(fx)).rows);
  }
  if (has('redaction')) {
    log('redaction throughput (100 MB through hako run)');
    rows.push(...(await redaction(fx)).rows);
  }
  if (has('review')) {
    log('review cost (one change in 500 secrets)');
    rows.push(...(await review(fx)).rows);
  }
  if (has('sops')) {
    log('SOPS: decrypt against sops-age, exec-env against hako run (1,000 secrets)');
    rows.push(...(await sops(fx)).rows);
  }

  const seconds = (Date.now() - started) / 1000;
  const table = formatTable(rows);
  process.stdout.write(`\n${table}\n\n`);
  const failed = rows.filter((r) => r.pass === false).map((r) => r.id);
  process.stdout.write(
    `${rows.filter((r) => r.pass === true).length} targets hold, ${failed.length} do not${failed.length ? ` (${failed.join(', ')})` : ''}; ` +
      `${seconds.toFixed(0)} s on ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), node ${process.version}\n`,
  );
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const out = {
    date: new Date().toISOString(),
    seconds,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model.trim() ?? null,
      memory_bytes: totalmem(),
      node: process.version,
      platform: process.platform,
    },
    cases,
    rows,
    table,
  };
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write('figures: bench/results/latest.json\n');
} finally {
  rmSync(root, { recursive: true, force: true });
}

/** Every fixture the chosen cases need; dotenvx files are encrypted concurrently. */
async function makeFixtures(root) {
  const home = join(root, 'hako-home');
  const dxConfig = join(root, 'dotenvx-config');
  mkdirSync(dxConfig, { recursive: true });
  const fx = {
    root,
    home,
    passphrase: PASSPHRASE,
    hako: {},
    dotenvx: {},
    review: {},
    /** The environment every timed command runs in: clean, hako's home, dotenvx's settings. */
    runEnv: (extra = {}) => ({ ...dotenvxEnv(dxConfig), HAKO_HOME: home, ...extra }),
  };
  const sizes = new Set();
  if (has('startup')) DOTENVX_SIZES.forEach((n) => sizes.add(n));
  if (has('sops')) sizes.add(1000);
  if (has('per-secret') || has('argon2')) [10, 10000].forEach((n) => sizes.add(n));
  log(`fixtures in ${root}`);
  const dotenvxJobs = [];
  for (const n of [...sizes].sort((a, b) => a - b)) {
    const secrets = makeSecrets(n);
    fx.hako[n] = await makeHakoProject(join(root, `hako-${n}`), home, secrets);
    if (has('startup') && DOTENVX_SIZES.includes(n))
      dotenvxJobs.push(makeDotenvxFile(join(root, `dotenvx-${n}`), secrets, dxConfig).then((f) => (fx.dotenvx[n] = f)));
  }
  if (has('argon2'))
    fx.passphraseProject = await makeHakoProject(join(root, 'hako-passphrase'), home, makeSecrets(10), { passphrase: PASSPHRASE });
  if (has('redaction')) fx.redactionProject = await makeHakoProject(join(root, 'hako-redaction'), home, makeSecrets(100, { rich: true }));
  if (has('review')) {
    const secrets = makeSecrets(500);
    fx.review.hako = await makeHakoProject(join(root, 'review-hako'), home, secrets);
    dotenvxJobs.push(makeDotenvxFile(join(root, 'review-dotenvx'), secrets, dxConfig).then((f) => (fx.review.dotenvx = f)));
  }
  if (dotenvxJobs.length) log('encrypting the dotenvx files with dotenvx (about 14 ms per value)');
  await Promise.all(dotenvxJobs);
  return fx;
}
