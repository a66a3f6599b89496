/**
 * Case 2, cost per secret.
 *  - The slope of `hako run -- true` between 10 and 10,000 secrets: (t₁₀₀₀₀ − t₁₀) ÷ 9,990,
 *    in µs per secret, beside dotenvx's slope between 1 and 1,000 secrets from case 1
 *    (dotenvx at 10,000 would take two minutes a run).
 *  - `hako get` of one name in a 10,000-secret file against the same in a 10-secret file:
 *    a command that needs one value should not pay for the others.
 */
import { HAKO_BIN } from '../lib/tools.mjs';
import { hyperfine } from '../lib/hyperfine.mjs';
import { ms, num, row } from '../lib/report.mjs';

const SLOPE_TARGET_US = 10;
const GET_TARGET = 1.3;

/** The same command timed in two projects (one hyperfine call each: cwd differs). */
function pair(fx, small, large, cmd, runs) {
  const a = hyperfine([{ name: 'x', cmd }], { cwd: fx.hako[small].dir, env: fx.runEnv(), runs });
  const b = hyperfine([{ name: 'x', cmd }], { cwd: fx.hako[large].dir, env: fx.runEnv(), runs });
  return [a.x, b.x];
}

export async function perSecret(fx, startup) {
  const rows = [];
  // Slope: more runs than the minimum, since it is a difference of two medians.
  const [r10, r10k] = pair(fx, 10, 10000, `${HAKO_BIN} run --env bench -- true`, 20);
  const slopeUs = ((r10k.median - r10.median) / 9990) * 1e6;
  const dx = startup?.medians.dotenvx; // null when the start-up case did not run
  const dxSlopeUs = dx ? ((dx[1000] - dx[1]) / 999) * 1e6 : null;
  rows.push(
    row({
      id: '2.1',
      what: 'hako run, cost per secret (10 → 10,000)',
      hako: `${num(slopeUs)} µs/secret (${ms(r10.median)} → ${ms(r10k.median)})`,
      peer: dx ? `dotenvx: ${num(dxSlopeUs / 1000)} ms/secret` : null,
      ratio: dx ? dxSlopeUs / slopeUs : null,
      check: { value: slopeUs, op: '≤', target: SLOPE_TARGET_US, unit: 'µs/secret' },
      note: 'ratio = dotenvx slope ÷ hako slope',
      raw: { hako10: r10, hako10000: r10k, dotenvxSlopeUs: dxSlopeUs },
    }),
  );

  const [g10, g10k] = pair(fx, 10, 10000, `${HAKO_BIN} get SECRET_00005 --env bench`, 20);
  rows.push(
    row({
      id: '2.2',
      what: 'hako get: 10,000-secret file ÷ 10-secret file',
      hako: `${ms(g10k.median)} (10: ${ms(g10.median)})`,
      ratio: g10k.median / g10.median,
      check: { value: g10k.median / g10.median, op: '≤', target: GET_TARGET, unit: '×' },
      raw: { get10: g10, get10000: g10k },
    }),
  );
  return { rows };
}
