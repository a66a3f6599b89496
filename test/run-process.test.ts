/**
 * `hako run` as a process wrapper (issue 3, acceptance 4): exit codes pass through, a child
 * killed by a signal makes hako die of the same signal, signals sent to hako reach the
 * child, a missing program is exit 127; and the command line forms all work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finished, HAKO_BIN, spawnHako } from './helpers.js';
import { nodeChild, projectWith, scratchDir, waitForOutput } from './run-helpers.js';
import { needTools } from './tools.js';

test('exit code 7 comes back as 7, with and without redaction', () => {
  const p = projectWith({ TOKEN: 'tok-0123456789' });
  try {
    assert.equal(p.run(['run', ...nodeChild('process.exit(7)')]).code, 7);
    assert.equal(p.run(['run', '--no-redact', '--', 'sh', '-c', 'exit 7']).code, 7);
    assert.equal(p.run(['run', '--via', 'files', '--', 'sh', '-c', 'exit 7']).code, 7);
  } finally {
    p.cleanup();
  }
});

for (const signal of ['SIGTERM', 'SIGKILL', 'SIGPIPE'] as const) {
  test(`a child that dies of ${signal} makes hako die of ${signal}`, () => {
    const p = projectWith({ TOKEN: 'tok-0123456789' });
    try {
      const r = p.run(['run', '--', 'sh', '-c', `echo before; kill -${signal.slice(3)} $$`]);
      assert.equal(r.signal, signal, `code ${r.code}: ${r.stderr}`);
      assert.equal(r.stdout, 'before\n', 'output written before the death is not lost');
    } finally {
      p.cleanup();
    }
  });
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) {
  test(`${signal} sent to hako reaches the child`, async () => {
    const p = projectWith({ TOKEN: 'tok-0123456789' });
    try {
      const script = `process.on('${signal}', () => { console.log('child got ${signal}'); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000);`;
      const child = spawnHako(['run', ...nodeChild(script)], { cwd: p.dir, env: p.env, detached: true });
      const done = finished(child);
      await waitForOutput(child, 'ready');
      child.kill(signal);
      const r = await done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `ready\nchild got ${signal}\n`);
    } finally {
      p.cleanup();
    }
  });
}

test('SIGTERM to hako: a child that does not handle it dies of it, and so does hako', async () => {
  const p = projectWith({ TOKEN: 'tok-0123456789' });
  try {
    const child = spawnHako(['run', '--via', 'fd3', ...nodeChild("console.log('ready'); setInterval(() => {}, 1000);")], {
      cwd: p.dir,
      env: p.env,
      detached: true,
    });
    const done = finished(child);
    await waitForOutput(child, 'ready');
    child.kill('SIGTERM');
    assert.equal((await done).signal, 'SIGTERM');
  } finally {
    p.cleanup();
  }
});

test('a program that does not exist: exit 127 and a clear error; not executable: 126', () => {
  const p = projectWith({ TOKEN: 'tok-0123456789' });
  try {
    const r = p.run(['run', '--', 'no-such-program-hako-test', '--flag']);
    assert.equal(r.code, 127);
    assert.match(r.stderr, /^hako: error: command not found: "no-such-program-hako-test"\nhako: hint: /);
    const r2 = p.run(['run', '--via', 'files', '--', join(p.dir, '.hako', 'secrets.json')]);
    assert.equal(r2.code, 126, r2.stderr);
    assert.match(r2.stderr, /permission denied/);
    const none = p.run(['run']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no program to run/);
  } finally {
    p.cleanup();
  }
});

test('command line forms: with and without --, options before the program, the program’s own flags', () => {
  const p = projectWith({ TOKEN: 'tok-0123456789' }, 'production');
  try {
    const echo = `console.log(JSON.stringify(process.argv.slice(1)), process.env.TOKEN === undefined ? 'no-token' : 'token')`;
    const a = p.run(['run', '--env', 'production', '--', process.execPath, '-e', echo, '--', '--env', 'x', '--help']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, '["--env","x","--help"] token\n');
    const b = p.run(['run', '--env', 'production', process.execPath, '-e', echo, '--', '-h']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, '["-h"] token\n');
    const c = p.run(['run', '-e', 'production', '--via=fd3', process.execPath, '-e', echo]);
    assert.equal(c.stdout, '[] no-token\n');
    const d = p.run(['run', '--env', 'production', '--', 'node', '--version']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^v\d+\./);
    assert.match(p.run(['run', '--help']).stdout, /^Usage: hako run/);
    const bad = p.run(['run', '--via', 'socket', '--', 'true']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown --via "socket"/);
  } finally {
    p.cleanup();
  }
});

test('fail closed: a value that does not open stops the start, nothing runs', () => {
  const p = projectWith({ A_TOKEN: 'tok-0123456789', B_TOKEN: 'other-0123456789' });
  const dir = scratchDir();
  try {
    const file = p.json();
    // Move B's ciphertext to A: it no longer authenticates under A's name.
    file.environments.development.secrets.A_TOKEN = file.environments.development.secrets.B_TOKEN;
    writeFileSync(join(p.dir, '.hako', 'secrets.json'), `${JSON.stringify(file, null, 2)}\n`);
    const marker = join(dir, 'ran');
    for (const via of ['env', 'fd3', 'files']) {
      const r = p.run(['run', '--via', via, '--', 'sh', '-c', `touch ${marker}`]);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /secret A_TOKEN in environment 'development' failed authentication/);
      assert.equal(existsSync(marker), false, 'the program ran');
    }
    // No key at all: the same.
    const r = p.run(['run', '--', 'sh', '-c', `touch ${marker}`], { env: { HAKO_HOME: scratchDir() } });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(existsSync(marker), false);
  } finally {
    p.cleanup();
  }
});

test('Ctrl-C on a terminal reaches the child once, not twice (the terminal already sent it)', async (t) => {
  if (!needTools(t, 'script')) return;
  const p = projectWith({ TOKEN: 'tok-0123456789' });
  try {
    const child = `let n = 0; process.on('SIGINT', () => { if (n++ === 0) setTimeout(() => { console.log('sigints=' + n); process.exit(0); }, 500); }); console.log('ready'); setInterval(() => {}, 1000);`;
    const cmd = [process.execPath, HAKO_BIN, 'run', '--', process.execPath, '-e', child]
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    // script(1) runs hako on a new terminal, in its foreground process group; ^C is typed on it.
    const term = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: p.dir, env: p.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const done = finished(term);
    await waitForOutput(term, 'ready');
    term.stdin!.write('\x03');
    const r = await done;
    term.stdin!.end();
    // (script's own status is the shell's, which may itself die of the ^C: not asserted)
    assert.match(r.stdout, /sigints=1\r?\n/, r.stdout);
  } finally {
    p.cleanup();
  }
});
