// npm run docs:exit-codes: rewrites the README's exit-code table from src/cli/exit-codes.ts
// (built). test/exit-codes.test.ts fails when the two disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { exitCodeTable } from '../build/src/cli/exit-codes.js';

const README = new URL('../README.md', import.meta.url);
const text = readFileSync(README, 'utf8');
const begin = text.indexOf('<!-- exit-codes:begin');
const end = text.indexOf('<!-- exit-codes:end -->');
if (begin < 0 || end < begin) throw new Error('README.md has no exit-codes markers');
const head = text.slice(0, text.indexOf('\n', begin) + 1);
const next = head + exitCodeTable() + text.slice(end);
if (next !== text) writeFileSync(README, next);
