// Writes the list of process-control names (src/core/process-control-names.ts) into
// docs/LAUNCHER.md between its markers. test/process-control-docs.test.ts checks it is current.
import { readFileSync, writeFileSync } from 'node:fs';
import { processControlDocs } from '../build/src/core/process-control-names.js';

const path = 'docs/LAUNCHER.md';
const text = readFileSync(path, 'utf8');
const start = '<!-- process-control:start -->';
const end = '<!-- process-control:end -->';
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a < 0 || b < a) throw new Error(`${path} has no ${start} … ${end} markers`);
writeFileSync(path, text.slice(0, a + start.length) + '\n' + processControlDocs() + text.slice(b));
console.log(`updated ${path}`);
