/**
 * Case 1, start-up: how long `hako run --env bench -- true` takes, from exec to exit, with
 * 1, 100 and 1,000 secrets, beside `node -e 0` (the floor for any Node tool: start the
 * runtime and exit) and `dotenvx run -f .env -- true` over the same secrets encrypted by
 * dotenvx. `true` does nothing, so what is left is the wrapper's own cost: start, read the
 * file, find the key, decrypt every value, spawn, wait.
 *
 * At 1 secret a third program is timed too, bench/lib/floor.cjs: node loading node:crypto,
 * decrypting one value and spawning `true` with piped output. It is the least any Node tool
 * that does this job pays, and shows how much of hako's time is hako's.
 */
import { join } from 'node:path';
import { HAKO_BIN, DOTENVX, REPO_ROOT } from '../lib/tools.mjs';
import { hyperfine } from '../lib/hyperfine.mjs';
import { ms, row } from '../lib/report.mjs';

const FLOOR = join(REPO_ROOT, 'bench', 'lib', 'floor.cjs');

const TARGETS = {
  1: { node: 1.5, dotenvx: 3 },
  100: { node: 1.5, dotenvx: 20 },
  1000: { node: 2, dotenvx: null },
};

export async function startup(fx) {
  const rows = [];
  const medians = { node: [], hako: {}, dotenvx: {} };
  for (const n of [1, 100, 1000]) {
    const project = fx.hako[n];
    const dotenv = fx.dotenvx[n];
    const env = fx.runEnv();
    const t = hyperfine(
      [
        { name: 'node', cmd: 'node -e 0' },
        ...(n === 1 ? [{ name: 'floor', cmd: `node ${FLOOR} .hako/secrets.json true` }] : []),
        { name: 'hako', cmd: `${HAKO_BIN} run --env bench -- true` },
      ],
      { cwd: project.dir, env },
    );
    // dotenvx at 1,000 secrets takes about 12 s a run: one warm-up, ten runs.
    const d = hyperfine([{ name: 'dotenvx', cmd: `${DOTENVX} run -q -f ${dotenv.file} -- true` }], {
      cwd: project.dir,
      env,
      warmup: n >= 1000 ? 1 : 3,
    });
    const node = t.node.median;
    const hako = t.hako.median;
    const dx = d.dotenvx.median;
    medians.node.push(node);
    medians.hako[n] = hako;
    medians.dotenvx[n] = dx;
    const label = `${n.toLocaleString('en-US')} secret${n === 1 ? '' : 's'}`;
    if (t.floor) {
      rows.push(
        row({
          id: '1.0',
          what: 'floor: node + crypto + spawn(true) ÷ node -e 0',
          hako: `floor: ${ms(t.floor.median)}`,
          peer: `node -e 0: ${ms(node)}`,
          ratio: t.floor.median / node,
          note: 'not hako: the least a Node tool that decrypts and spawns pays (bench/lib/floor.cjs)',
          raw: { floor: t.floor, node: t.node },
        }),
      );
    }
    rows.push(
      row({
        id: `1.${rows.filter((r) => r.id !== '1.0').length + 1}`,
        what: `start-up, ${label}: hako run ÷ node -e 0`,
        hako: ms(hako),
        peer: `node -e 0: ${ms(node)}`,
        ratio: hako / node,
        check: { value: hako / node, op: '≤', target: TARGETS[n].node, unit: '×' },
        raw: { hako: t.hako, node: t.node },
      }),
    );
    rows.push(
      row({
        id: `1.${rows.filter((r) => r.id !== '1.0').length + 1}`,
        what: `start-up, ${label}: dotenvx run ÷ hako run`,
        hako: ms(hako),
        peer: `dotenvx: ${ms(dx)}`,
        ratio: dx / hako,
        check: TARGETS[n].dotenvx === null ? null : { value: dx / hako, op: '≥', target: TARGETS[n].dotenvx, unit: '×' },
        raw: { hako: t.hako, dotenvx: d.dotenvx },
      }),
    );
  }
  return { rows, medians };
}
