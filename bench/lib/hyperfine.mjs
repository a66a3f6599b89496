/**
 * Timing through hyperfine: warm-up runs first, then at least 10 timed runs, exported as
 * JSON and reduced to the median (robust against the odd slow run on a shared machine).
 * Commands run without a shell (-N) unless one is asked for, so a fast command's time is
 * not mostly a shell's start-up.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MIN_RUNS = 10;

/**
 * Times each command in `commands` ({name, cmd}) and returns, per name, the median, mean,
 * stddev, min and max in seconds and the number of runs.
 */
export function hyperfine(commands, { cwd, env, warmup = 3, runs = MIN_RUNS, shell = false, prepare } = {}) {
  if (runs < MIN_RUNS) throw new Error(`at least ${MIN_RUNS} runs per case`);
  const dir = mkdtempSync(join(tmpdir(), 'hako-bench-hf-'));
  const out = join(dir, 'out.json');
  try {
    const args = ['--style', 'none', '--warmup', String(warmup), '--runs', String(runs), '--export-json', out];
    if (!shell) args.push('-N');
    if (prepare) args.push('--prepare', prepare);
    for (const c of commands) args.push('--command-name', c.name, c.cmd);
    const t0 = Date.now();
    const r = spawnSync('hyperfine', args, { cwd, env, encoding: 'utf8' });
    if (process.env.BENCH_DEBUG) process.stderr.write(`  hyperfine ${commands.map((c) => c.name).join(',')}: ${Date.now() - t0} ms\n`);
    if (r.status !== 0) throw new Error(`hyperfine failed (${commands.map((c) => c.name).join(', ')}):\n${r.stderr}`);
    const { results } = JSON.parse(readFileSync(out, 'utf8'));
    const byName = {};
    for (const res of results) {
      byName[res.command] = {
        median: res.median,
        mean: res.mean,
        stddev: res.stddev,
        min: res.min,
        max: res.max,
        runs: res.times.length,
      };
    }
    return byName;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
