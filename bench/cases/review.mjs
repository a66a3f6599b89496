/**
 * Case 5, review cost: how many lines `git diff` shows after one secret changes in a
 * 500-secret environment. A reviewer reads this diff in every pull request that rotates a
 * value. hako: `hako set` through stdin; dotenvx: `dotenvx set` on its encrypted .env. Both
 * files are committed first, then the diff of the working tree is counted with --numstat.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { HAKO_BIN, DOTENVX } from '../lib/tools.mjs';
import { row } from '../lib/report.mjs';

const NAME = 'SECRET_00250';

function git(cwd, ...args) {
  const env = {
    PATH: process.env.PATH,
    HOME: cwd,
    GIT_AUTHOR_NAME: 'bench',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
  };
  const r = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function commitAll(dir, files) {
  git(dir, 'init', '-q');
  git(dir, 'add', ...files);
  git(dir, 'commit', '-q', '-m', 'secrets');
}

/** Lines added and removed in the working tree, over all files. */
function diffLines(dir) {
  let added = 0;
  let removed = 0;
  for (const line of git(dir, 'diff', '--numstat').trim().split('\n').filter(Boolean)) {
    const [a, r] = line.split('\t');
    added += Number(a);
    removed += Number(r);
  }
  return { added, removed, changed: Math.max(added, removed) };
}

export async function review(fx) {
  const value = randomBytes(30).toString('base64url');

  const h = fx.review.hako;
  commitAll(h.dir, ['.hako/secrets.json']);
  const set = spawnSync(HAKO_BIN, ['set', NAME, '--env', 'bench'], { cwd: h.dir, env: fx.runEnv(), input: value, encoding: 'utf8' });
  if (set.status !== 0) throw new Error(`hako set failed: ${set.stderr}`);
  const hd = diffLines(h.dir);

  const d = fx.review.dotenvx;
  commitAll(d.dir, ['.env']);
  // dotenvx takes the value on its command line; that is its interface.
  const dset = spawnSync(DOTENVX, ['set', NAME, value, '-f', '.env'], { cwd: d.dir, env: fx.runEnv(), encoding: 'utf8' });
  if (dset.status !== 0) throw new Error(`dotenvx set failed: ${dset.stderr || dset.stdout}`);
  const dd = diffLines(d.dir);

  return {
    rows: [
      row({
        id: '5.1',
        what: 'review: git diff lines, 1 of 500 secrets changed',
        hako: `${hd.changed} (+${hd.added} −${hd.removed})`,
        peer: `dotenvx: ${dd.changed} (+${dd.added} −${dd.removed})`,
        ratio: null,
        check: { value: hd.changed, op: '≤', target: 1, unit: 'line' },
        raw: { hako: hd, dotenvx: dd },
      }),
    ],
  };
}
