// npm run test:deep: the whole suite with the reliability areas at full depth (HAKO_DEEP=1:
// 10,000+ generated cases per parser, the full tamper matrix, 200 SIGKILLs), then one summary
// line per area: cases tried and failures. Arguments go on to scripts/test.mjs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'hako-deep-'));
const summary = join(dir, 'summary.jsonl');
const started = Date.now();
const r = spawnSync(process.execPath, ['scripts/test.mjs', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, HAKO_DEEP: '1', HAKO_SUMMARY_FILE: summary },
});

let lines = [];
try {
  lines = readFileSync(summary, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
} catch {
  /* no area reported */
}
rmSync(dir, { recursive: true, force: true });

const areas = new Map();
for (const { area, tried, failures, note } of lines) {
  const a = areas.get(area) ?? { tried: 0, failures: 0, notes: [] };
  a.tried += tried;
  a.failures += failures;
  if (note) a.notes.push(note);
  areas.set(area, a);
}
const width = Math.max(0, ...[...areas.keys()].map((k) => k.length));
console.log(`\nhako deep run: ${areas.size} areas, ${Math.round((Date.now() - started) / 1000)} s, test runner exit ${r.status}`);
for (const [area, a] of [...areas].sort(([x], [y]) => (x < y ? -1 : 1))) {
  console.log(
    `  ${area.padEnd(width)}  ${String(a.tried).padStart(7)} cases  ${a.failures} failures${a.notes.length ? `  (${a.notes.join('; ')})` : ''}`,
  );
}
const failed = [...areas.values()].reduce((n, a) => n + a.failures, 0);
process.exit(r.status === 0 && failed === 0 ? 0 : 1);
