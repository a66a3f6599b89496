/**
 * dotenv in and out, checked against the real readers: `node --env-file`, dotenvx's parser
 * and `set -a; . file` in bash. An exported file reads back as the same values in all three
 * (or the export refuses the value), and sourcing it never runs a command. An imported
 * `.env` is read as dotenv reads it (or refused, saying why), and nothing in it is run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { Project, REPO_ROOT, tempDir, hakoInProcessByDefault } from './helpers.js';
import { needTools } from './tools.js';
import { HakoError } from '../src/core/errors.js';
import { encodeExport } from '../src/services/transfer.js';

hakoInProcessByDefault();

const dotenvx = createRequire(join(REPO_ROOT, 'package.json'))('@dotenvx/dotenvx') as {
  parse: (src: string, opts: { processEnv: Record<string, string> }) => Record<string, string>;
};

/** What each reader makes of `file`, for `names`. */
function readBack(file: string, text: string, names: string[]): Record<'node' | 'dotenvx' | 'bash', Record<string, string | undefined>> {
  const show = `process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(names)}.map((n) => [n, process.env[n]]))))`;
  const node = spawnSync(process.execPath, [`--env-file=${file}`, '-e', show], {
    cwd: dirname(file), // whatever a broken file might run happens in the scratch folder
    env: {},
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const bash = spawnSync('/bin/bash', ['--norc', '--noprofile', '-c', 'set -a; . "$1"; exec "$0" -e "$2"', process.execPath, file, show], {
    cwd: dirname(file), // whatever a broken file might run happens in the scratch folder
    env: {},
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const dx = dotenvx.parse(text, { processEnv: {} });
  assert.equal(node.status, 0, `node --env-file: ${node.stderr}`);
  assert.equal(bash.status, 0, `bash: ${bash.stderr}`);
  return {
    node: JSON.parse(node.stdout),
    bash: JSON.parse(bash.stdout),
    dotenvx: Object.fromEntries(names.map((n) => [n, dx[n]])),
  };
}

/** Values that broke or nearly broke a dotenv export: shell syntax, quotes, escapes, comments. */
function tricky(marker: string): Record<string, string> {
  return {
    BACKTICK: `pre \`touch ${marker}\` post`,
    DOLLAR_PAREN: `$(touch ${marker})`,
    DOLLAR_BRACE: '${HOME}/x $HOME',
    BACKSLASH_N: 'a\\nb',
    NEWLINES: 'line one\nline two\n',
    SINGLE: "it's",
    SINGLE_NEWLINE: "it's\nmulti",
    DOUBLE: 'say "hi"',
    BACKSLASH_IN: 'a \\ b \\n c',
    HASH: 'abc#def # not a comment',
    SPACES: '  padded  ',
    TAB: 'a\tb',
    UNICODE: 'é 日本 😀',
    GLOB: '* ? [a] ~ !x',
    EQUALS: '=a=b=',
    EMPTY: '',
    PLAIN: 'postgres://u@h:5432/db',
    JSONISH: '{"a": [1, 2]}',
    SEMICOLON: `a; touch ${marker}; b`,
  };
}

test('export --format dotenv: node --env-file, dotenvx and bash `set -a; . file` read the same values, and nothing runs', (t) => {
  if (!needTools(t, 'bash')) return;
  const p = new Project();
  t.after(() => p.cleanup());
  const work = tempDir('hako-dotenv-');
  const marker = join(work, 'MARKER');
  const TRICKY = tricky(marker);
  const input = join(work, 'in.json');
  writeFileSync(input, JSON.stringify(TRICKY));
  p.ok(['import', input]);
  const out = p.ok(['export', '--format', 'dotenv']).stdout;
  const file = join(work, 'exported.env');
  writeFileSync(file, out);
  const names = Object.keys(TRICKY);
  const got = readBack(file, out, names);
  assert.equal(existsSync(marker), false, 'reading the exported file ran a command');
  for (const reader of ['node', 'dotenvx', 'bash'] as const) {
    for (const name of names) assert.equal(got[reader][name], TRICKY[name], `${reader} read ${name} differently`);
  }
});

test('export --format dotenv refuses a value no dotenv line can hold for all three readers, naming it, printing nothing', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  const work = tempDir('hako-dotenv-');
  p.ok(['env', 'add', 'bad']);
  for (const [name, value] of [
    ['BOTH_QUOTES', `it's "quoted"`],
    ['QUOTE_DOLLAR', "it's $HOME"],
    ['QUOTE_BACKSLASH', "it's a \\ b"],
    ['QUOTE_BACKTICK', "it's `x`"],
    ['CARRIAGE', 'a\rb'],
    ['BACKSLASH_END', 'ends with \\'],
  ]) {
    writeFileSync(join(work, 'in.json'), JSON.stringify({ OK: 'fine', [name!]: value }));
    p.ok(['import', join(work, 'in.json'), '--env', 'bad']);
    const r = p.run(['export', '--format', 'dotenv', '--env', 'bad']);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.equal(r.stdout, '', name);
    assert.match(r.stderr, new RegExp(`hako: error: .*${name}.*dotenv`), name);
    assert.match(r.stderr, /hako: hint: .*--format (json|shell)/, name);
    assert.ok(!r.stderr.includes(value!), name);
    p.ok(['rm', name!, '--env', 'bad']);
  }
});

test('export --format dotenv, property: any value is either refused or read back the same by node, dotenvx and bash', (t) => {
  if (!needTools(t, 'bash')) return;
  const work = tempDir('hako-dotenv-prop-');
  const unit = fc.constantFrom(...`aZ09 _-=#'"\`$\\{}()!*?~;&|<>\n\t\ré`.split(''));
  const values = fc.sample(fc.string({ unit, maxLength: 12 }), { numRuns: 400, seed: 20260130 });
  const kept = new Map<string, string>();
  let refused = 0;
  values.forEach((v, i) => {
    try {
      encodeExport(new Map([['V', v]]), 'dotenv');
      kept.set(`V${i}`, v);
    } catch (err) {
      assert.ok(err instanceof HakoError && err.code === 'E_INVALID_VALUE', String(err));
      assert.ok(
        v.includes('\r') || v.endsWith('\\') || (v.includes("'") && /["$`\\]/.test(v)),
        `refused a representable value: ${JSON.stringify(v)}`,
      );
      refused++;
    }
  });
  const text = encodeExport(kept, 'dotenv');
  const file = join(work, 'prop.env');
  writeFileSync(file, text);
  const got = readBack(file, text, [...kept.keys()]);
  for (const reader of ['node', 'dotenvx', 'bash'] as const) {
    const wrong = [...kept]
      .filter(([k, v]) => got[reader][k] !== v)
      .map(([k, v]) => `${k}=${JSON.stringify(v)} read as ${JSON.stringify(got[reader][k])}`);
    assert.deepEqual(wrong.slice(0, 5), [], reader);
  }
  assert.ok(kept.size > 200 && refused > 0, `kept ${kept.size}, refused ${refused}`);
});

test('import reads a real-world .env as dotenv and node --env-file do: # cuts an unquoted value, backticks quote, nothing runs', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  const work = tempDir('hako-dotenv-in-');
  const marker = join(work, 'MARKER');
  const file = join(work, '.env');
  const text = [
    '# a comment',
    'HASHED=abc#def',
    'SPACED_HASH=abc #def',
    'QUOTED_HASH="abc#def" # comment',
    'BACKTICK=`it\'s "both" quotes`',
    'MULTI_BACKTICK=`line one',
    'line two`',
    'DOUBLE="a\\nb"',
    "SINGLE='a\\nb $HOME'",
    'export EXPORTED=yes',
    'PADDED =   padded value   ',
    `EXPAND=\${HOME}/x`,
    `RUN=$(touch ${marker})`,
    `RUN_QUOTED="\`touch ${marker}\`"`,
    'EMPTY=',
    '',
  ].join('\n');
  writeFileSync(file, text);
  const r = p.run(['import', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(marker), false, 'importing ran a command');
  const got = JSON.parse(p.ok(['export', '--format', 'json']).stdout) as Record<string, string>;
  // node --env-file (dotenv's rules, no expansion) is the reference for what a .env says.
  const names = Object.keys(got);
  const show = `process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(names)}.map((n) => [n, process.env[n]]))))`;
  const node = spawnSync(process.execPath, [`--env-file=${file}`, '-e', show], { env: {}, encoding: 'utf8' });
  assert.deepEqual(got, JSON.parse(node.stdout));
  assert.equal(got['HASHED'], 'abc');
  assert.equal(got['BACKTICK'], 'it\'s "both" quotes');
  assert.equal(got['MULTI_BACKTICK'], 'line one\nline two');
  assert.equal(got['EXPAND'], '${HOME}/x');
  assert.equal(got['RUN'], `$(touch ${marker})`);
  assert.equal(names.length, 13);
  // What a person should know, by line and name, never a value.
  assert.match(r.stderr, /line 2 \(HASHED\): the value ends at "#"/);
  assert.match(r.stderr, /line 12 \(EXPAND\): "\$" kept as written; hako never expands variables or runs \$\(…\) commands/);
  assert.match(r.stderr, /line 13 \(RUN\): "\$" kept as written/);
  assert.doesNotMatch(r.stderr, /touch|quotes|line one|padded/);
});

test('import refuses .env lines that dotenv readers disagree on, with the line and why, writing nothing', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('KEEP', 'kept-value-1');
  const before = p.file();
  const work = tempDir('hako-dotenv-in-');
  for (const [line, why] of [
    ['A="tab\\there"', /line 2: a backslash other than \\n inside double quotes/],
    ['A="say \\"hi\\""', /line 2: a backslash other than \\n inside double quotes/],
    ["A='it\\'s'", /line 2: \\' inside single quotes/],
    ['A="x"y', /line 2: unexpected text after the closing quote/],
    ['A=`unterminated', /line 2: unterminated backtick quote/],
  ] as const) {
    writeFileSync(join(work, 'bad.env'), `OK=1\n${line}\n`);
    const r = p.run(['import', join(work, 'bad.env')]);
    assert.equal(r.code, 5, `${line}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.equal(r.stdout, '');
    assert.equal(p.file(), before, `${line}: wrote something`);
  }
});

test('hako import - reads stdin (dotenv unless --format), and refuses a terminal', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.ok(['env', 'add', 'staging']);
  const r = p.run(['import', '-', '--env', 'staging'], { input: 'FROM_STDIN=piped-value-1\nOTHER=`two`\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(p.get('FROM_STDIN', 'staging'), 'piped-value-1');
  assert.equal(p.get('OTHER', 'staging'), 'two');
  p.ok(['import', '-', '--env', 'staging', '--format', 'json'], { input: '{"AS_JSON": "json-value-1"}' });
  assert.equal(p.get('AS_JSON', 'staging'), 'json-value-1');
});
