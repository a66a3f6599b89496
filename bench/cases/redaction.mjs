/**
 * Case 4, redaction throughput: `hako run --env bench -- cat BIGFILE` with 100 secrets
 * (every value matched in all its spellings: raw, base64, base64url, hex, URL- and
 * JSON-escaped; the values hold quotes, spaces and non-ASCII so the spellings differ)
 * against plain `cat BIGFILE`, both into /dev/null. BIGFILE is log-like text
 * in which a value, in one of its spellings, appears about once every 1,000 lines, so the
 * filter does real work. Before timing, one run's output is checked: every planted value
 * is redacted and none is left.
 *
 * MB/s = BIGFILE's size ÷ hako's whole run (start-up included); the ratio is hako's rate
 * over the raw pipe's.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { HAKO_BIN } from '../lib/tools.mjs';
import { hyperfine } from '../lib/hyperfine.mjs';
import { ms, num, row } from '../lib/report.mjs';

const TARGET_MBPS = 200;
const SIZE = 100_000_000; // bytes

const spellings = [
  (v) => v,
  (v) => Buffer.from(v).toString('base64'),
  (v) => Buffer.from(v).toString('base64url'),
  (v) => Buffer.from(v).toString('hex'),
  (v) => encodeURIComponent(v),
  (v) => JSON.stringify(v).slice(1, -1),
];

/** Writes SIZE bytes of log lines to `path`; returns how many values were planted. */
export function writeBigFile(path, secrets) {
  const values = [...secrets.values()];
  const words = 'GET POST request served user session cache miss hit ok error timeout retry upstream db query rows ms'.split(' ');
  const lines = [];
  let planted = 0;
  for (let i = 0; i < 8192; i++) {
    const r = randomBytes(24);
    const parts = [
      `2026-05-0${(i % 9) + 1}T12:00:${String(i % 60).padStart(2, '0')}Z`,
      words[r[0] % words.length],
      words[r[1] % words.length],
      `id=${r.subarray(2, 10).toString('hex')}`,
      `blob=${r.subarray(10).toString('base64')}`,
      `${r[0] * 7}ms`,
    ];
    if (i % 1000 === 7) {
      parts.push(`token=${spellings[planted % spellings.length](values[planted % values.length])}`);
      planted++;
    }
    lines.push(parts.join(' '));
  }
  const block = Buffer.from(`${lines.join('\n')}\n`);
  const fd = openSync(path, 'w');
  let written = 0;
  let blocks = 0;
  while (written + block.length <= SIZE) {
    writeSync(fd, block);
    written += block.length;
    blocks++;
  }
  const tail = Buffer.alloc(SIZE - written, 'x'.charCodeAt(0));
  writeSync(fd, tail);
  closeSync(fd);
  return planted * blocks;
}

export async function redaction(fx) {
  const project = fx.redactionProject;
  const big = join(fx.root, 'BIGFILE');
  const planted = writeBigFile(big, project.secrets);

  // One real run first: the output must hold every planted value redacted and none in clear.
  const r = spawnSync(HAKO_BIN, ['run', '--env', 'bench', '--', 'cat', big], { cwd: project.dir, env: fx.runEnv(), maxBuffer: 2 * SIZE });
  if (r.status !== 0) throw new Error(`hako run cat failed: ${r.stderr}`);
  const out = r.stdout.toString('latin1');
  const redacted = out.split('[REDACTED:').length - 1;
  if (redacted !== planted) throw new Error(`expected ${planted} redactions, saw ${redacted}`);
  // The file repeats one 8,192-line block, so its first 2 MB hold every kind of line.
  const head = r.stdout.subarray(0, 2_000_000);
  for (const v of project.secrets.values()) {
    for (const s of spellings) if (head.includes(Buffer.from(s(v)))) throw new Error('a planted value came through unredacted');
  }

  const t = hyperfine(
    [
      { name: 'cat', cmd: `cat ${big}` },
      { name: 'hako', cmd: `${HAKO_BIN} run --env bench -- cat ${big}` },
    ],
    { cwd: project.dir, env: fx.runEnv() },
  );
  const mbps = (s) => SIZE / 1e6 / s;
  const hako = mbps(t.hako.median);
  const cat = mbps(t.cat.median);
  return {
    rows: [
      row({
        id: '4.1',
        what: `redaction: hako run -- cat ${SIZE / 1e6} MB, 100 secrets`,
        hako: `${num(hako)} MB/s (${ms(t.hako.median)})`,
        peer: `cat: ${num(cat)} MB/s`,
        ratio: hako / cat,
        check: { value: hako, op: '≥', target: TARGET_MBPS, unit: 'MB/s' },
        note: 'ratio = hako rate ÷ raw pipe rate',
        raw: { hako: t.hako, cat: t.cat, bytes: SIZE, redactions: redacted },
      }),
    ],
  };
}
