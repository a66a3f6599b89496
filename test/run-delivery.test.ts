/**
 * `hako run` delivery (issue 3, acceptance 1 and 2): each --via gives the child the exact
 * values; fd 3 holds the envelope and nothing else carries a value; key material never
 * reaches the child; files are private and gone when the run ends, however it ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finished, spawnHako } from './helpers.js';
import { KEY_VARS, nodeChild, projectWith, scratchDir, waitForOutput } from './run-helpers.js';

const VALUES: Record<string, string> = {
  BIG: randomBytes(48 * 1024).toString('base64'), // 64 KiB
  EQUALS: 'a=b==c=',
  NEWLINES: 'line one\nline two\r\n\nline three\n',
  QUOTES: `it's "quoted" \`back\` $HOME \\n %s {}`,
  UNICODE: 'héllo wörld ✓ 日本語 🎉',
};
const NAMES = Object.keys(VALUES);

/** Reads the values the way each mode delivers them and prints what it got as JSON. */
const READER = `
const fs = require('fs');
const names = process.argv.slice(1);
let values = {}, envelope = null;
if (process.env.HAKO_SECRETS_FD) {
  envelope = fs.readFileSync(Number(process.env.HAKO_SECRETS_FD));
  fs.closeSync(3);
  values = JSON.parse(envelope).secrets;
} else if (process.env.HAKO_SECRETS_DIR) {
  for (const n of names) values[n] = fs.readFileSync(process.env[n + '_FILE'], 'utf8');
} else {
  for (const n of names) values[n] = process.env[n];
}
process.stdout.write(JSON.stringify({ values, envelope: envelope && envelope.toString('base64'), env: process.env }));
`;

for (const via of ['env', 'fd3', 'files'] as const) {
  test(`--via ${via} delivers exact values and no key material`, async () => {
    const p = projectWith(VALUES);
    try {
      const bundle = p.ok(['key', 'export']).stdout.trim();
      const keyEnv = Object.fromEntries(KEY_VARS.map((k) => [k, k === 'HAKO_KEY' ? bundle : `junk-${k.toLowerCase()}`]));
      // Pointers from an outer run must not leak in: each run sets only its own.
      const outer = { HAKO_SECRETS_FD: '3', HAKO_SECRETS_DIR: '/nonexistent/outer-run' };
      const r = p.run(['run', '--via', via, '--no-redact', ...nodeChild(READER, ...NAMES)], { env: { ...keyEnv, ...outer } });
      assert.equal(r.code, 0, r.stderr);
      const got = JSON.parse(r.stdout) as { values: Record<string, string>; envelope: string | null; env: Record<string, string> };
      assert.deepEqual(got.values, VALUES);
      for (const k of Object.keys(got.env))
        assert.ok(!KEY_VARS.includes(k) && !k.startsWith('HAKO_PASSPHRASE') && !k.startsWith('SOPS_AGE_KEY'), `${k} reached the child`);
      const childEnvText = Object.entries(got.env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n');
      assert.ok(!childEnvText.includes(bundle), 'the key bundle reached the child');
      assert.equal(got.env['HAKO_SECRETS_FD'], via === 'fd3' ? '3' : undefined);
      assert.equal(got.env['HAKO_SECRETS_DIR'] === undefined, via !== 'files');
      if (via === 'env') {
        for (const n of NAMES) assert.equal(got.env[n], VALUES[n]);
      } else {
        // No value in any variable: only where to find them.
        for (const v of Object.values(VALUES)) assert.ok(!childEnvText.includes(v), 'a value reached the environment');
        for (const n of NAMES) assert.equal(got.env[n], undefined);
      }
      if (via === 'fd3') {
        assert.equal(got.env['HAKO_SECRETS_FD'], '3');
        const sorted = Object.fromEntries(NAMES.sort().map((n) => [n, VALUES[n]]));
        assert.equal(
          Buffer.from(got.envelope!, 'base64').toString('utf8'),
          JSON.stringify({ env: 'development', hako: 1, secrets: sorted }),
        );
      }
      if (via === 'files') {
        for (const n of NAMES) assert.equal(got.env[`${n}_FILE`], join(got.env['HAKO_SECRETS_DIR']!, n));
        assert.equal(existsSync(got.env['HAKO_SECRETS_DIR']!), false, 'the folder outlived the run');
      }
    } finally {
      p.cleanup();
    }
  });
}

test('fd3: /proc/<pid>/environ of the running child holds no value and no key variable', async () => {
  const p = projectWith({ API_TOKEN: 'tok-0123456789-abcdef', DB_URL: 'postgres://u:pw-secret@db/app' });
  try {
    const bundle = p.ok(['key', 'export']).stdout.trim();
    const child = spawnHako(
      [
        'run',
        '--via',
        'fd3',
        ...nodeChild(
          `require('fs').readFileSync(3); console.log('pid=' + process.pid); process.stdin.resume(); process.stdin.on('end', () => {});`,
        ),
      ],
      {
        cwd: p.dir,
        env: { ...p.env, HAKO_KEY: bundle, HAKO_PASSPHRASE: 'pass-phrase-1234', SOPS_AGE_KEY: 'AGE-SECRET-KEY-1JUNK' },
      },
    );
    const done = finished(child);
    const seen = await waitForOutput(child, '\n');
    const pid = Number(/pid=(\d+)/.exec(seen)![1]);
    const environ = readFileSync(`/proc/${pid}/environ`);
    child.stdin!.end();
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    const vars = environ.toString('utf8').split('\0');
    assert.ok(vars.includes('HAKO_SECRETS_FD=3'));
    for (const secret of ['tok-0123456789-abcdef', 'pw-secret', bundle, 'pass-phrase-1234', 'AGE-SECRET-KEY-1JUNK']) {
      assert.equal(environ.includes(secret), false, 'a value or key is in /proc/<pid>/environ');
    }
    for (const v of vars) assert.ok(!/^(HAKO_KEY|HAKO_PASSPHRASE|HAKO_AGE_KEY|SOPS_AGE_KEY)/.test(v), 'key variable in environ');
  } finally {
    p.cleanup();
  }
});

test('fd3: a 1 MiB envelope read late does not deadlock', async () => {
  const p = projectWith({ SMALL: 'small-value' });
  const dir = scratchDir();
  try {
    const big = randomBytes(786432).toString('base64'); // 1 MiB of text
    writeFileSync(join(dir, 'big'), big);
    p.ok(['set', 'BIG', '--from-file', join(dir, 'big')]);
    const script = `setTimeout(() => {
      const fs = require('fs');
      const e = JSON.parse(fs.readFileSync(3)); fs.closeSync(3);
      console.log(e.secrets.BIG.length, require('crypto').createHash('sha256').update(e.secrets.BIG).digest('hex'));
    }, 300);`;
    const r = await finished(spawnHako(['run', '--via', 'fd3', ...nodeChild(script)], { cwd: p.dir, env: p.env }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${big.length} ${createHash('sha256').update(big).digest('hex')}\n`);
  } finally {
    p.cleanup();
  }
});

test('env: values too large for environment variables are a clear error, nothing runs', () => {
  const p = projectWith({ SMALL: 'small-value' });
  const dir = scratchDir();
  try {
    writeFileSync(join(dir, 'big'), 'x'.repeat(300 * 1024));
    p.ok(['set', 'BIG', '--from-file', join(dir, 'big')]);
    const marker = join(dir, 'ran');
    const r = p.run(['run', ...nodeChild(`require('fs').writeFileSync(${JSON.stringify(marker)}, '')`)]);
    assert.equal(r.code, 126);
    assert.match(r.stderr, /too large for environment variables/);
    assert.match(r.stderr, /--via fd3 or --via files/);
    assert.equal(existsSync(marker), false);
  } finally {
    p.cleanup();
  }
});

test('fd3: a grandchild inherits no fd 3, and one that could finds it empty', () => {
  const p = projectWith({ API_TOKEN: 'tok-0123456789-abcdef' });
  try {
    // A reader that follows the protocol: read to EOF, close fd 3, then start a program.
    const careful = `const fs = require('fs'); fs.readFileSync(3); fs.closeSync(3);
      const r = require('child_process').spawnSync('sh', ['-c', 'if [ -e /proc/self/fd/3 ]; then echo has-fd3; else echo no-fd3; fi'], { encoding: 'utf8' });
      process.stdout.write(r.stdout);`;
    const a = p.run(['run', '--via', 'fd3', ...nodeChild(careful)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, 'no-fd3\n');
    // A careless shell that reads fd 3 and keeps it open: its child inherits the descriptor,
    // but the envelope was read once and hako closed its end: nothing is left in it.
    const b = p.run(['run', '--via', 'fd3', '--', 'sh', '-c', 'cat <&3 >/dev/null; sh -c "cat <&3 | wc -c"']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout.trim(), '0');
  } finally {
    p.cleanup();
  }
});

/** Starts a files-mode run whose child prints its folder, then waits (ignoring SIGINT if asked). */
async function filesRun(p: ReturnType<typeof projectWith>, ignoreInt = false) {
  const script = `${ignoreInt ? "process.on('SIGINT', () => console.log('child ignores SIGINT'));" : ''}
    console.log('dir=' + process.env.HAKO_SECRETS_DIR); process.stdin.resume(); process.stdin.on('end', () => {});`;
  const child = spawnHako(['run', '--via', 'files', ...nodeChild(script)], { cwd: p.dir, env: p.env, detached: true });
  const done = finished(child);
  const dir = /dir=(\S+)/.exec(await waitForOutput(child, '\n'))![1]!;
  return { child, done, dir };
}

test('files: 0400 files in a 0700 folder on tmpfs, gone after a normal exit', async () => {
  const p = projectWith({ API_TOKEN: 'tok-0123456789-abcdef', UNICODE: 'wörld ✓' });
  try {
    const { child, done, dir } = await filesRun(p);
    const st = statSync(dir);
    assert.equal(st.mode & 0o777, 0o700);
    assert.equal(st.uid, process.getuid!());
    assert.deepEqual(readdirSync(dir).sort(), ['API_TOKEN', 'UNICODE']);
    for (const name of readdirSync(dir)) assert.equal(statSync(join(dir, name)).mode & 0o777, 0o400);
    assert.equal(readFileSync(join(dir, 'UNICODE'), 'utf8'), 'wörld ✓');
    if (existsSync('/dev/shm')) assert.equal(statfsSync(dir).type, 0x01021994, 'not on tmpfs');
    child.stdin!.end();
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(dir), false);
  } finally {
    p.cleanup();
  }
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`files: the folder is gone after ${signal} to hako`, async () => {
    const p = projectWith({ API_TOKEN: 'tok-0123456789-abcdef' });
    try {
      const { child, done, dir } = await filesRun(p);
      assert.ok(existsSync(dir));
      child.kill(signal);
      const r = await done;
      assert.equal(r.signal, signal, `hako should die of ${signal} like its child: ${r.stderr}`);
      assert.equal(existsSync(dir), false);
    } finally {
      p.cleanup();
    }
  });
}

test('files: SIGINT to hako removes the folder at once, even while the child keeps running', async () => {
  const p = projectWith({ API_TOKEN: 'tok-0123456789-abcdef' });
  try {
    const { child, done, dir } = await filesRun(p, true);
    const ignored = waitForOutput(child, 'child ignores SIGINT');
    child.kill('SIGINT');
    await ignored;
    while (existsSync(dir)) await new Promise((r) => setTimeout(r, 20));
    assert.equal(child.exitCode, null, 'hako still waits for its child');
    child.stdin!.end();
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
  } finally {
    p.cleanup();
  }
});
