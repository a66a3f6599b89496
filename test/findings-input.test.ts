/**
 * What a person types or pipes in: an empty answer never replaces a value, and a paste of
 * several lines at the hidden prompt is kept whole or refused, never cut to its first line
 * and never echoed. The prompt tests run hako on a real pseudo-terminal (script(1)).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { HAKO_BIN, Project } from './helpers.js';
import { needTools } from './tools.js';

/** Runs `hako ARGS` on a pty; once the terminal shows `prompt`, types each of `inputs` in one write. */
function onTerminal(p: Project, args: string[], prompt: string, inputs: string[]): Promise<{ code: number | null; screen: string }> {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const cmd = [process.execPath, HAKO_BIN, ...args].map(quote).join(' ');
  const term = spawn('script', ['-qec', cmd, '/dev/null'], {
    cwd: p.dir,
    env: { ...p.env, TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let typed = false;
  term.stdout!.on('data', (d: Buffer) => {
    screen += d.toString('utf8');
    if (!typed && screen.includes(prompt)) {
      typed = true;
      let delay = 0;
      for (const input of inputs) setTimeout(() => term.stdin!.write(input), (delay += 100));
    }
  });
  term.stderr!.resume();
  return new Promise((resolve) => {
    const timer = setTimeout(() => term.kill('SIGKILL'), 60_000);
    term.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

function withOld(t: TestContext): Project | null {
  if (!needTools(t, 'script')) return null;
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('CERT', 'the-old-value-5e1d');
  return p;
}

test('a multi-line paste at the hidden prompt without paste marks is refused whole: not cut, not echoed, nothing written', async (t) => {
  const p = withOld(t);
  if (!p) return;
  const before = p.file();
  const r = await onTerminal(p, ['set', 'CERT'], 'Value for CERT:', ['line-one-aaa\nline-two-bbb\nline-three-ccc\n']);
  assert.match(r.screen, /the value arrived as several lines/);
  assert.doesNotMatch(r.screen, /line-one|line-two|line-three/, 'the paste was echoed');
  assert.equal(p.file(), before, 'something was written');
  assert.equal(p.get('CERT'), 'the-old-value-5e1d');
});

test('a bracketed multi-line paste at the hidden prompt is kept whole; Enter keeps it; nothing is echoed', async (t) => {
  const p = withOld(t);
  if (!p) return;
  const paste = '\x1b[200~-----BEGIN KEY-----\rline-two-bbb\rline-three-ccc\r-----END KEY-----\x1b[201~';
  const r = await onTerminal(p, ['set', 'CERT'], 'Value for CERT:', [paste, '\r']);
  assert.doesNotMatch(r.screen, /BEGIN KEY|line-two|line-three/, 'the paste was echoed');
  assert.match(r.screen, /4 lines pasted/);
  assert.equal(p.get('CERT'), '-----BEGIN KEY-----\nline-two-bbb\nline-three-ccc\n-----END KEY-----');
  // A one-line paste ending in a line break is a typed line.
  await onTerminal(p, ['set', 'CERT'], 'Value for CERT:', ['\x1b[200~one-line-token-77\r\x1b[201~']);
  assert.equal(p.get('CERT'), 'one-line-token-77');
});

test('an empty answer at the prompt, or empty stdin, never replaces a value; --empty does it on purpose', async (t) => {
  const p = withOld(t);
  if (!p) return;
  const before = p.file();
  const typed = await onTerminal(p, ['set', 'CERT'], 'Value for CERT:', ['\r']);
  assert.match(typed.screen, /no value for CERT \(an empty answer at the prompt\); nothing was written/);
  for (const input of ['', '\n']) {
    const r = p.run(['set', 'CERT'], { input });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no value for CERT \(empty stdin\); nothing was written/);
    assert.match(r.stderr, /hako: hint: to store an empty value on purpose: hako set CERT --empty/);
  }
  assert.equal(p.file(), before);
  assert.equal(p.get('CERT'), 'the-old-value-5e1d');
  p.ok(['set', 'CERT', '--empty']);
  assert.equal(p.get('CERT'), '');
});
