/**
 * `hako run` output redaction through real child processes (issue 3, acceptance 3): raw
 * values and every listed encoding on stdout and stderr, values written in pieces with
 * pauses, a value printed 10,000 times, and --no-redact passing bytes unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoSecretIn, finished, HAKO_BIN, spawnHako } from './helpers.js';
import { nodeChild, projectWith, scratchDir } from './run-helpers.js';
import { needTools } from './tools.js';

const TOKEN = 'sk_live_51HdT/x+y=z?&"é✓';
const DB_URL = 'postgres://app:s3cr3t-pässword@db.internal:5432/app';

/** Prints each spelling of process.env[NAME] on its own labelled line, to stdout or stderr. */
const SPELLINGS = `
const name = process.argv[1], out = process.argv[2] === 'stderr' ? process.stderr : process.stdout;
const v = process.env[name], raw = Buffer.from(v);
const jsonAscii = JSON.stringify(v).slice(1, -1).replace(/[\\u0080-\\uffff]/g, (c) => '\\\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
const forms = {
  raw: v,
  base64: raw.toString('base64'),
  base64_nopad: raw.toString('base64').replace(/=+$/, ''),
  base64url: raw.toString('base64url'),
  hex: raw.toString('hex'),
  HEX: raw.toString('hex').toUpperCase(),
  uri: encodeURIComponent(v),
  form: new URLSearchParams({ q: v }).toString().slice(2),
  json: JSON.stringify(v).slice(1, -1),
  json_ascii: jsonAscii,
  json_php: jsonAscii.replace(/\\//g, '\\\\/'),
  in_json_document: JSON.stringify({ token: v }),
};
for (const [k, f] of Object.entries(forms)) out.write(k + ': ' + f + '\\n');
`;

function spellingsOf(v: string): string[] {
  const raw = Buffer.from(v);
  return [
    v,
    raw.toString('base64'),
    raw.toString('base64').replace(/=+$/, ''),
    raw.toString('base64url'),
    raw.toString('hex'),
    raw.toString('hex').toUpperCase(),
    encodeURIComponent(v),
    JSON.stringify(v).slice(1, -1),
  ];
}

for (const stream of ['stdout', 'stderr'] as const) {
  test(`raw values and every encoding are redacted on ${stream}`, () => {
    const p = projectWith({ TOKEN, DB_URL });
    try {
      for (const name of ['TOKEN', 'DB_URL']) {
        const r = p.run(['run', ...nodeChild(SPELLINGS, name, stream)]);
        assert.equal(r.code, 0, r.stderr);
        const text = stream === 'stdout' ? r.stdout : r.stderr;
        const lines = text.trimEnd().split('\n');
        assert.equal(lines.length, 12, text);
        for (const line of lines.slice(0, 11)) assert.match(line, new RegExp(`^\\w+: \\[REDACTED:${name}\\]$`));
        assert.equal(lines[11], `in_json_document: {"token":"[REDACTED:${name}]"}`);
        assertNoSecretIn([r.stdout, r.stderr], [...spellingsOf(TOKEN), ...spellingsOf(DB_URL)]);
      }
    } finally {
      p.cleanup();
    }
  });
}

test('a value written in pieces with pauses between them is redacted', async () => {
  const p = projectWith({ TOKEN });
  try {
    const script = `
      const v = process.env.TOKEN, pieces = ['before ', v.slice(0, 3), v.slice(3, 9), v.slice(9, 10), v.slice(10), ' after\\n'];
      let i = 0;
      const next = () => { if (i < pieces.length) { process.stdout.write(pieces[i++]); setTimeout(next, 60); } };
      next();`;
    const r = await finished(spawnHako(['run', ...nodeChild(script)], { cwd: p.dir, env: p.env }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'before [REDACTED:TOKEN] after\n');
  } finally {
    p.cleanup();
  }
});

test('a value printed 10,000 times is redacted every time', () => {
  const p = projectWith({ TOKEN, DB_URL });
  try {
    const r = p.run([
      'run',
      ...nodeChild(
        `let s = ''; for (let i = 0; i < 10000; i++) s += i + ' ' + (i % 2 ? process.env.TOKEN : process.env.DB_URL) + '\\n'; process.stdout.write(s);`,
      ),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 10000);
    lines.forEach((line, i) => assert.equal(line, `${i} [REDACTED:${i % 2 ? 'TOKEN' : 'DB_URL'}]`));
  } finally {
    p.cleanup();
  }
});

test('output without secrets passes through byte for byte, binary and large', () => {
  const p = projectWith({ TOKEN });
  const dir = scratchDir();
  try {
    const data = randomBytes(3 * 1024 * 1024);
    const file = join(dir, 'data.bin');
    writeFileSync(file, data);
    const r = p.run(['run', '--', 'cat', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdoutBytes.equals(data), 'redaction changed bytes that hold no secret');
  } finally {
    p.cleanup();
  }
});

test('--no-redact passes the bytes unchanged, values included', () => {
  const p = projectWith({ TOKEN });
  try {
    const script = `const b = Buffer.alloc(256); for (let i = 0; i < 256; i++) b[i] = i;
      process.stdout.write(Buffer.concat([b, Buffer.from(process.env.TOKEN), Buffer.from(process.env.TOKEN, 'utf8').toString('base64')].map((x) => Buffer.from(x))));
      process.stderr.write('err:' + process.env.TOKEN);`;
    const r = p.run(['run', '--no-redact', ...nodeChild(script)]);
    assert.equal(r.code, 0, r.stderr);
    const bytes = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) bytes[i] = i;
    assert.ok(r.stdoutBytes.equals(Buffer.concat([bytes, Buffer.from(TOKEN), Buffer.from(Buffer.from(TOKEN).toString('base64'))])));
    assert.equal(r.stderr, `err:${TOKEN}`);
  } finally {
    p.cleanup();
  }
});

test('values shorter than 4 characters are not redacted; the others still are', () => {
  const p = projectWith({ PORT: '80', TOKEN });
  try {
    const r = p.run(['run', ...nodeChild('console.log(`port=${process.env.PORT} token=${process.env.TOKEN} 8080`)')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'port=80 token=[REDACTED:TOKEN] 8080\n');
  } finally {
    p.cleanup();
  }
});

test('colours: with a terminal on stdout the child is told to keep them; a pipe or the user decides otherwise', (t) => {
  const p = projectWith({ TOKEN });
  try {
    const show = nodeChild("console.log(String(process.env.FORCE_COLOR) + ' ' + String(process.stdout.isTTY === true))");
    assert.equal(p.run(['run', ...show]).stdout, 'undefined false\n');
    if (!needTools(t, 'script')) return;
    // script(1) gives hako a terminal; the child's stdout is then the redaction pipe.
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const onTerminal = (env: NodeJS.ProcessEnv) => {
      const cmd = [process.execPath, HAKO_BIN, 'run', ...show].map(quote).join(' ');
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: p.dir, env: { ...p.env, ...env }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.replace(/\r/g, '');
    };
    assert.equal(onTerminal({ TERM: 'xterm-256color' }), '2 false\n');
    assert.equal(onTerminal({ TERM: 'xterm', COLORTERM: 'truecolor' }), '3 false\n');
    assert.equal(onTerminal({ TERM: 'xterm', NO_COLOR: '1' }), 'undefined false\n');
    assert.equal(onTerminal({ TERM: 'xterm', FORCE_COLOR: '0' }), '0 false\n');
  } finally {
    p.cleanup();
  }
});
