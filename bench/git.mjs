#!/usr/bin/env node
/**
 * `npm run bench:git`: the git-native workflow against a plain baseline in the same run.
 *
 *   verify  `hako verify` on 1,000 secrets × 3 environments (every value opened, every tracked
 *           file searched), and `verify --staged` (the pre-commit hook) — baseline: opening the
 *           same 3,000 values with `hako export --format json` once per environment.
 *   merge   the merge driver on a 1,000-secret file (each side adds 5 and changes 5 other
 *           names) — baseline: `git merge-file` on the same three files (which is what git
 *           does without the driver). Also the driver carrying 10 names over a rotation.
 *   scan    `hako scan --history` on 2,000 commits (values of 1,000 secrets, every encoded
 *           form) — baseline: `git log -p --all | grep -F` for one value.
 *   log     `hako log` over 2,000 commits that each change one secret of a 1,000-secret file
 *           — baseline: `git log -p` of that file (text diffs, no textconv).
 *
 * Timing through hyperfine (medians of ≥ 10 runs after warm-up). Fixtures go to a temporary
 * folder that is removed at the end; results to bench/results/git-latest.json.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { HAKO_BIN, hakoEnv, REPO_ROOT } from './lib/tools.mjs';
import { makeSecrets, tempRoot } from './lib/fixtures.mjs';
import { hyperfine } from './lib/hyperfine.mjs';
import { formatTable, ms, row } from './lib/report.mjs';

const ALL = ['verify', 'merge', 'scan', 'log'];
const wanted = process.argv.slice(2);
const cases = wanted.length ? ALL.filter((c) => wanted.includes(c)) : ALL;
const root = tempRoot();
const started = Date.now();
const log = (m) => process.stderr.write(`bench:git [${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${m}\n`);
const NODE = process.execPath;
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
const HAKO = `${q(NODE)} ${q(HAKO_BIN)}`;

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}
const gitEnv = (home) => ({
  ...hakoEnv(home),
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@e',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@e',
});

function project(name, home) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  run('git', ['init', '-q', '-b', 'main'], { cwd: dir, env: gitEnv(home) });
  run(NODE, [HAKO_BIN, 'init'], { cwd: dir, env: hakoEnv(home) });
  return dir;
}

const made = new Set();
function importValues(dir, home, env, secrets) {
  // hako init makes 'development'; the others are made once, as a person would.
  if (env !== 'development' && !made.has(`${dir}:${env}`)) {
    run(NODE, [HAKO_BIN, 'env', 'add', env], { cwd: dir, env: hakoEnv(home) });
    made.add(`${dir}:${env}`);
  }
  const f = join(root, `${env}-${secrets.size}.env`);
  writeFileSync(f, [...secrets].map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  run(NODE, [HAKO_BIN, 'import', f, '--env', env], { cwd: dir, env: hakoEnv(home) });
}

const rows = [];
const raw = {};
try {
  if (cases.includes('verify')) {
    log('verify: 1,000 secrets × 3 environments');
    const home = join(root, 'home-verify');
    const dir = project('verify', home);
    for (const env of ['development', 'staging', 'production']) importValues(dir, home, env, makeSecrets(1000));
    for (let i = 0; i < 50; i++) writeFileSync(join(dir, `file${i}.ts`), `export const x${i} = ${i};\n`.repeat(200));
    run('git', ['add', '-A'], { cwd: dir, env: gitEnv(home) });
    run('git', ['commit', '-qm', 'seed'], { cwd: dir, env: gitEnv(home) });
    run('git', ['rm', '-q', '--cached', 'file0.ts'], { cwd: dir, env: gitEnv(home) });
    run('git', ['add', 'file0.ts'], { cwd: dir, env: gitEnv(home) }); // one staged file for the hook case
    const r = hyperfine(
      [
        { name: 'verify', cmd: `${HAKO} verify` },
        { name: 'verify-staged', cmd: `${HAKO} verify --staged` },
        {
          name: 'export-3',
          cmd: `sh -c "${['development', 'staging', 'production'].map((e) => `${HAKO.replace(/'/g, '')} export --env ${e} --format json >/dev/null`).join(' && ')}"`,
        },
      ],
      { cwd: dir, env: hakoEnv(home), warmup: 1, runs: 10 },
    );
    raw.verify = r;
    rows.push(
      row({
        id: 'G1',
        what: 'hako verify, 1,000 secrets × 3 envs, 51 tracked files',
        hako: ms(r.verify.median),
        peer: ms(r['export-3'].median),
        ratio: r.verify.median / r['export-3'].median,
        note: 'peer: hako export ×3 (opens the same values)',
      }),
      row({
        id: 'G2',
        what: 'hako verify --staged (the pre-commit hook), same project',
        hako: ms(r['verify-staged'].median),
        peer: ms(r['export-3'].median),
        ratio: r['verify-staged'].median / r['export-3'].median,
      }),
    );
  }

  if (cases.includes('merge')) {
    log('merge driver: 1,000-secret file');
    const home = join(root, 'home-merge');
    const dir = project('merge', home);
    const secrets = makeSecrets(1000);
    importValues(dir, home, 'production', secrets);
    const files = join(root, 'merge-files');
    mkdirSync(files);
    cpSync(join(dir, '.hako', 'secrets.json'), join(files, 'base.json'));
    const names = [...secrets.keys()];
    const side = (tag, from) => {
      cpSync(join(files, 'base.json'), join(dir, '.hako', 'secrets.json'));
      const change = new Map();
      for (let i = 0; i < 5; i++) {
        change.set(names[from + i * 97], `${tag}-changed-${i}-value`);
        change.set(`${tag.toUpperCase()}_NEW_${i}`, `${tag}-added-${i}`);
      }
      importValues(dir, home, 'production', change);
      cpSync(join(dir, '.hako', 'secrets.json'), join(files, `${tag}.json`));
    };
    side('ours', 1);
    side('theirs', 2);
    // The carry case: theirs rotated (on the same machine, so both keys are here).
    cpSync(join(files, 'theirs.json'), join(dir, '.hako', 'secrets.json'));
    run(NODE, [HAKO_BIN, 'key', 'rotate', '--env', 'production'], { cwd: dir, env: hakoEnv(home) });
    cpSync(join(dir, '.hako', 'secrets.json'), join(files, 'rotated.json'));
    const r = hyperfine(
      [
        {
          name: 'driver',
          cmd: `sh -c "cp ours.json work.json && ${HAKO.replace(/'/g, '')} git merge-driver base.json work.json theirs.json"`,
        },
        {
          name: 'driver-carry',
          cmd: `sh -c "cp ours.json work2.json && ${HAKO.replace(/'/g, '')} git merge-driver base.json work2.json rotated.json"`,
        },
        { name: 'merge-file', cmd: 'sh -c "cp ours.json work3.json && git merge-file work3.json base.json theirs.json; true"' },
      ],
      { cwd: files, env: hakoEnv(home), warmup: 2, runs: 10, shell: false },
    );
    raw.merge = r;
    rows.push(
      row({
        id: 'G3',
        what: 'merge driver, 1,000 secrets, 5+5 changes a side, no key',
        hako: ms(r.driver.median),
        peer: ms(r['merge-file'].median),
        ratio: r.driver.median / r['merge-file'].median,
        note: 'peer: git merge-file on the same files',
      }),
      row({
        id: 'G4',
        what: 'merge driver, theirs rotated: 10 names re-encrypted',
        hako: ms(r['driver-carry'].median),
        peer: ms(r['merge-file'].median),
        ratio: r['driver-carry'].median / r['merge-file'].median,
      }),
    );
  }

  if (cases.includes('scan')) {
    log('scan --history: 2,000 commits');
    const home = join(root, 'home-scan');
    const dir = project('scan', home);
    const secrets = makeSecrets(1000);
    importValues(dir, home, 'production', secrets);
    run('git', ['add', '-A'], { cwd: dir, env: gitEnv(home) });
    run('git', ['commit', '-qm', 'seed'], { cwd: dir, env: gitEnv(home) });
    const head = run('git', ['rev-parse', 'HEAD'], { cwd: dir }).trim();
    const parts = [];
    const blob = (s) => `data ${Buffer.byteLength(s)}\n${s}\n`;
    const lines = Array.from({ length: 40 }, (_, i) => `const line${i} = "some ordinary source text number ${i}";`);
    for (let i = 1; i <= 2000; i++) {
      parts.push(`commit refs/heads/main\ncommitter b <b@e> ${1700000000 + i} +0000\n${blob(`c ${i}`)}`);
      if (i === 1) parts.push(`from ${head}\n`);
      lines[i % 40] = `const line${i % 40} = "changed in commit ${i}";`;
      parts.push(`M 644 inline src/file${i % 20}.js\n${blob(lines.join('\n') + '\n')}`);
      if (i === 1950) parts.push(`M 644 inline leak.txt\n${blob(`token=${secrets.get('SECRET_00500')}\n`)}`);
      if (i === 1960) parts.push('D leak.txt\n');
      parts.push('\n');
    }
    run('git', ['fast-import', '--quiet'], { cwd: dir, input: parts.join(''), env: gitEnv(home) });
    run('git', ['reset', '-q', '--hard'], { cwd: dir });
    const value = secrets.get('SECRET_00500');
    const r = hyperfine(
      [
        { name: 'scan', cmd: `sh -c "${HAKO.replace(/'/g, '')} scan --history >/dev/null; true"` },
        { name: 'grep', cmd: `sh -c "git log -p --all | grep -F -- '${value}' >/dev/null; true"` },
      ],
      { cwd: dir, env: hakoEnv(home), warmup: 1, runs: 10 },
    );
    raw.scan = r;
    rows.push(
      row({
        id: 'G5',
        what: 'hako scan --history, 2,000 commits, 1,000 values × all forms',
        hako: ms(r.scan.median),
        peer: ms(r.grep.median),
        ratio: r.scan.median / r.grep.median,
        note: 'peer: git log -p --all | grep -F (one value)',
      }),
    );
  }

  process.stdout.write(`\nhako git bench (${cpus().length} cores, node ${process.version})\n`);
  process.stdout.write(formatTable(rows));
  for (const r of rows) if (r.note) process.stdout.write(`  ${r.id}: ${r.note}\n`);
  if (cases.includes('log')) {
    log('log: 2,000 commits changing a 1,000-secret file');
    const home = join(root, 'home-log');
    const dir = project('log', home);
    importValues(dir, home, 'production', makeSecrets(1000));
    run('git', ['add', '-A'], { cwd: dir, env: gitEnv(home) });
    run('git', ['commit', '-qm', 'seed'], { cwd: dir, env: gitEnv(home) });
    const head = run('git', ['rev-parse', 'HEAD'], { cwd: dir }).trim();
    const lines = run('git', ['show', 'HEAD:.hako/secrets.json'], { cwd: dir }).split('\n');
    const at = lines.map((l, i) => (/^ {8}"SECRET_/.test(l) ? i : -1)).filter((i) => i >= 0);
    const parts = [];
    const blob = (s) => `data ${Buffer.byteLength(s)}\n${s}\n`;
    for (let i = 1; i <= 2000; i++) {
      // A new token for one secret (a different ciphertext of the same length): what hako set writes.
      const k = at[(i * 37) % at.length];
      lines[k] = lines[k].replace(/"v2:[^"]{8}/, `"v2:${String(i).padStart(8, 'A')}`);
      parts.push(`commit refs/heads/main\ncommitter b <b@e> ${1700000000 + i} +0000\n${blob(`c ${i}`)}`);
      if (i === 1) parts.push(`from ${head}\n`);
      parts.push(`M 644 inline .hako/secrets.json\n${blob(lines.join('\n'))}\n`);
    }
    run('git', ['fast-import', '--quiet'], { cwd: dir, input: parts.join(''), env: gitEnv(home) });
    run('git', ['reset', '-q', '--hard'], { cwd: dir });
    const r = hyperfine(
      [
        { name: 'log', cmd: `sh -c "${HAKO.replace(/'/g, '')} log --json >/dev/null"` },
        { name: 'git-log-p', cmd: 'sh -c "git log -p -- .hako/secrets.json >/dev/null"' },
      ],
      { cwd: dir, env: hakoEnv(home), warmup: 1, runs: 10 },
    );
    raw.log = r;
    rows.push(
      row({
        id: 'G6',
        what: 'hako log, 2,000 commits of a 1,000-secret file',
        hako: ms(r.log.median),
        peer: ms(r['git-log-p'].median),
        ratio: r.log.median / r['git-log-p'].median,
        note: 'peer: git log -p of the file (text diffs)',
      }),
    );
  }

  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(REPO_ROOT, 'bench', 'results', 'git-latest.json'),
    JSON.stringify({ at: new Date().toISOString(), rows, raw }, null, 2) + '\n',
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
