/**
 * Exit codes: every error code has one (the table's type makes a missing one a compile
 * error), and the README's table is the one rendered from src/cli/exit-codes.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, EXIT_CODES, SOPS_EXIT_CODES, EXIT_MEANINGS, exitCodeFor, exitCodeTable } from '../src/cli/exit-codes.js';
import { REPO_ROOT } from './helpers.js';

test('every error code named in src/core/errors.ts has an exit code', () => {
  const src = readFileSync(join(REPO_ROOT, 'src', 'core', 'errors.ts'), 'utf8');
  const union = [...src.matchAll(/\|\s*'(E_[A-Z_]+)'/g)].map((m) => m[1]!);
  assert.ok(union.length > 10, 'the ErrorCode union was found');
  assert.deepEqual([...union].sort(), [...Object.keys(EXIT_CODES), ...Object.keys(SOPS_EXIT_CODES)].sort());
  for (const code of union) {
    if (code in SOPS_EXIT_CODES) assert.equal(exitCodeFor(code as never), SOPS_EXIT_CODES[code as keyof typeof SOPS_EXIT_CODES], code);
    else assert.ok(Object.values(EXIT).includes(exitCodeFor(code as never) as never), code);
  }
  for (const exit of Object.values(EXIT)) assert.ok(EXIT_MEANINGS[exit], `exit ${exit} has a meaning`);
});

test('the README exit-code table is generated from the table (npm run docs:exit-codes)', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const begin = readme.indexOf('<!-- exit-codes:begin');
  const end = readme.indexOf('<!-- exit-codes:end -->');
  assert.ok(begin >= 0 && end > begin, 'README.md has the exit-codes markers');
  const shown = readme.slice(readme.indexOf('\n', begin) + 1, end);
  assert.equal(shown, exitCodeTable(), 'README.md is out of date: run npm run build && npm run docs:exit-codes');
});
