// Every command has help with examples; the main help lists them all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runHako, hakoInProcessByDefault } from './helpers.js';
import { COMMANDS } from '../src/cli/registry.js';

hakoInProcessByDefault();

test('hako --help lists every command', () => {
  const r = runHako(['--help']);
  assert.equal(r.code, 0);
  for (const c of COMMANDS) assert.ok(r.stdout.includes(c.words.join(' ')), c.words.join(' '));
});

test('every command has --help with usage and examples', () => {
  for (const c of COMMANDS) {
    const r = runHako([...c.words, '--help']);
    assert.equal(r.code, 0, c.words.join(' '));
    assert.match(r.stdout, /^Usage: hako /, c.words.join(' '));
    assert.match(r.stdout, /\nExamples:\n {2}\S/, c.words.join(' '));
    assert.deepEqual(runHako(['help', ...c.words]).stdout, r.stdout);
  }
});

test('no arguments prints help and exits 2; --version prints the version', () => {
  const r = runHako([]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /Usage: hako \[--env E\] <command>/);
  assert.match(runHako(['--version']).stdout, /^hako \d+\.\d+\.\d+\n$/);
});
