// Copies the runtime (src/sdk/runtime.ts, between its marker lines) into
// src/typegen/runtime-source.ts, which `hako typegen --lang ts` embeds in generated modules.
// Runs as the first step of `npm run build`; the output is not committed.
import { readFileSync, writeFileSync } from 'node:fs';

const BEGIN = '// ---- hako runtime: begin ----';
const END = '// ---- hako runtime: end ----';
const src = readFileSync(new URL('../src/sdk/runtime.ts', import.meta.url), 'utf8');
const lines = src.split('\n');
const from = lines.indexOf(BEGIN);
const to = lines.indexOf(END);
if (from < 0 || to < from) throw new Error('marker lines not found in src/sdk/runtime.ts');
const body = lines.slice(from + 1, to);
const out =
  '// Generated from src/sdk/runtime.ts by scripts/embed-runtime.mjs. Do not edit.\n' +
  '/** The runtime source `hako typegen --lang ts` embeds, one string per line. */\n' +
  'export const RUNTIME_SOURCE_LINES: readonly string[] = [\n' +
  body.map((l) => `  ${JSON.stringify(l)},\n`).join('') +
  '];\n';
const target = new URL('../src/typegen/runtime-source.ts', import.meta.url);
let old = null;
try {
  old = readFileSync(target, 'utf8');
} catch {
  /* first run */
}
if (old !== out) writeFileSync(target, out);
