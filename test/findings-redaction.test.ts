/**
 * Output redaction against the spellings real programs write, through `hako run` and real
 * child processes: Go's HTML-safe JSON, Python's urllib.parse.quote, a value printed trimmed,
 * two values run together, a value split between stdout and stderr; and values that are
 * plainly not secrets left alone unless --redact-all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { nodeChild, projectWith, scratchDir } from './run-helpers.js';
import { Project, hakoInProcessByDefault } from './helpers.js';
import { needTools } from './tools.js';

hakoInProcessByDefault();

const MARKUP = 'tok<&>secret-8b1f"/x';

test("Go's JSON escaping (\\u0026 \\u003c \\u003e) of a value is redacted", (t) => {
  const p = projectWith({ MARKUP });
  t.after(() => p.cleanup());
  // What Go's encoding/json writes for a string (HTML-safe: & < > U+2028 U+2029 escaped).
  const goJson = `const v = process.env.MARKUP;
const s = JSON.stringify(v).replace(/[&<>\\u2028\\u2029]/g, (c) => '\\\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
console.log('{"token":' + s + '}');`;
  const r = p.run(['run', ...nodeChild(goJson)]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '{"token":"[REDACTED:MARKUP]"}\n');
});

test("Python's urllib.parse.quote (which leaves /) and quote_plus of a value are redacted", (t) => {
  if (!needTools(t, 'python3')) return;
  const p = projectWith({ PATHY: 'a/b c+d&e=f/secret-2c9e' });
  t.after(() => p.cleanup());
  const py = 'import os, urllib.parse as u; v = os.environ["PATHY"]; print(u.quote(v)); print(u.quote_plus(v)); print(u.quote(v, safe=""))';
  const r = p.run(['run', '--', 'python3', '-c', py]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '[REDACTED:PATHY]\n[REDACTED:PATHY]\n[REDACTED:PATHY]\n');
});

test('a value stored with a final newline (set from a file) is redacted when the program prints it trimmed', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  const file = join(scratchDir(), 'token.txt');
  writeFileSync(file, 'sk_trailing_4f2a9c1e\n');
  p.ok(['set', 'TOKEN', '--from-file', file]);
  const r = p.run([
    'run',
    ...nodeChild('console.log(`[${process.env.TOKEN.trim()}]`); console.log(Buffer.from(process.env.TOKEN.trim()).toString("base64"))'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '[[REDACTED:TOKEN]]\n[REDACTED:TOKEN]\n');
});

test('overlapping values run together: nothing of either is shown', (t) => {
  const p = projectWith({ HEAD: 'abcdef-1234-tail', TAIL: '1234-tail-wxyz99' });
  t.after(() => p.cleanup());
  const r = p.run(['run', ...nodeChild('console.log("<" + process.env.HEAD + "-wxyz99>"); console.log("<xx" + process.env.TAIL + ">")')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '<[REDACTED:HEAD][REDACTED:TAIL]>\n<xx[REDACTED:TAIL]>\n');
});

test('values that are plainly not secrets (5432, true, localhost) are not redacted, unless --redact-all', (t) => {
  const p = projectWith({ PORT: '5432', HOST: 'localhost', DEBUG: 'true', RATIO: '0.75', TOKEN: 'sk_live_real-9d3e7a' });
  t.after(() => p.cleanup());
  const line = nodeChild(
    'const e = process.env; console.log(`${e.HOST}:${e.PORT} debug=${e.DEBUG} ratio=${e.RATIO} token=${e.TOKEN} port 5432`)',
  );
  const r = p.run(['run', ...line]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'localhost:5432 debug=true ratio=0.75 token=[REDACTED:TOKEN] port 5432\n');
  const all = p.run(['run', '--redact-all', ...line]);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(
    all.stdout,
    '[REDACTED:HOST]:[REDACTED:PORT] debug=[REDACTED:DEBUG] ratio=[REDACTED:RATIO] token=[REDACTED:TOKEN] port [REDACTED:PORT]\n',
  );
});

test('a value written half to stdout and half to stderr is never shown whole in either stream', (t) => {
  const value = 'sk_live_split-7e21c9d04b';
  const p = projectWith({ TOKEN: value });
  t.after(() => p.cleanup());
  const half = 'const v = process.env.TOKEN, h = v.length >> 1;';
  for (const script of [
    `${half} process.stdout.write(v.slice(0, h)); process.stderr.write(v.slice(h));`,
    `${half} process.stderr.write(v.slice(0, h)); setTimeout(() => process.stdout.write(v.slice(h) + '\\n'), 50);`,
    `${half} process.stdout.write(v.slice(0, h) + '\\n'); process.stderr.write(v.slice(h) + '\\n'); process.stdout.write(v + '\\n');`,
  ]) {
    const r = p.run(['run', ...nodeChild(script)]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(value) && !r.stderr.includes(value), `${script}: ${r.stdout} | ${r.stderr}`);
  }
  // Merged by the program itself (one stream, as `2>&1` inside a shell makes it), it is redacted.
  const merged = p.run([
    'run',
    '--',
    '/bin/sh',
    '-c',
    'exec 2>&1; printf %s "$TOKEN" | cut -c1-12 | tr -d "\\n"; printf %s "$TOKEN" | cut -c13- >&2',
  ]);
  assert.equal(merged.stdout, '[REDACTED:TOKEN]\n');
});
