// Sealed packages: seal, open, backoff and lockout on an injected clock (no real waiting),
// state that survives restarts and notices when it is removed or edited, tampered packages,
// and nothing written to disk when a package is opened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAKO_BIN, Project, tempDir, hakoInProcessByDefault } from './helpers.js';
import { hakoInProcess, type InProcessResult } from './reliability/in-process.js';
import { needTools } from './tools.js';
import { sealPackage } from '../src/core/crypto/sealed-package.js';

hakoInProcessByDefault();

const PW = 'correct horse battery staple';
const VALUES = { DATABASE_URL: 'postgres://app:s3cr3t-db-77@db/app', API_TOKEN: 'tok-pkg-4f1c9e' };

function sealed(): { p: Project; file: string } {
  const p = new Project();
  for (const [k, v] of Object.entries(VALUES)) p.set(k, v, 'production');
  p.ok(['package', 'seal', '--env', 'production', '--out', 'secrets.encrypted'], { env: { HAKO_PACKAGE_PASSWORD: PW } });
  return { p, file: join(p.dir, 'secrets.encrypted') };
}

/**
 * The same package sealed through the library with a small Argon2id cost (the header carries
 * the cost, and open honours it), for the tests that open it a dozen times: what they check is
 * the backoff and lock state, not the cost of a guess.
 */
async function sealedCheaply(): Promise<{ p: Project }> {
  const p = new Project();
  const payload = { env: 'production', secrets: new Map(Object.entries(VALUES)) };
  writeFileSync(join(p.dir, 'secrets.encrypted'), await sealPackage(PW, payload, { kdf: { kdf: 'argon2id', m: 1024, t: 1, p: 1 } }));
  return { p };
}

/** The CLI in process, with a clock the test moves. */
class Clock {
  t = Date.parse('2030-01-01T00:00:00Z');
  now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

function open(
  p: Project,
  clock: Clock,
  password: string,
  file = 'secrets.encrypted',
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<InProcessResult> {
  return hakoInProcess(['package', 'open', file], {
    cwd: p.dir,
    env: { ...p.env, ...extraEnv, HAKO_PACKAGE_PASSWORD: password },
    now: clock.now,
  });
}

test('seal and open: json and dotenv to stdout; the project key is not needed to open', async () => {
  const { p, file } = sealed();
  try {
    const bytes = readFileSync(file);
    assert.equal(bytes.subarray(0, 8).toString('latin1'), 'hakopkg\u0001');
    for (const v of Object.values(VALUES)) assert.ok(!bytes.includes(Buffer.from(v)), 'no value in the package in clear');
    // Another machine: a fresh HAKO_HOME without the environment key, only the file.
    const other = tempDir('hako-other-');
    try {
      copyFileSync(file, join(other, 'secrets.encrypted'));
      const env = { PATH: process.env['PATH'], HOME: other, HAKO_HOME: join(other, 'hako'), HAKO_PACKAGE_PASSWORD: PW };
      const r = spawnSync(process.execPath, [HAKO_BIN, 'package', 'open', 'secrets.encrypted'], { cwd: other, env, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), VALUES);
      const d = spawnSync(process.execPath, [HAKO_BIN, 'package', 'open', 'secrets.encrypted', '--format', 'dotenv'], {
        cwd: other,
        env,
        encoding: 'utf8',
      });
      assert.equal(d.stdout, `API_TOKEN=${VALUES.API_TOKEN}\nDATABASE_URL=${VALUES.DATABASE_URL}\n`);
      // The password from stdin works too (no variable, no terminal).
      const s = spawnSync(process.execPath, [HAKO_BIN, 'package', 'open', 'secrets.encrypted'], {
        cwd: other,
        env: { ...env, HAKO_PACKAGE_PASSWORD: '' },
        input: `${PW}\n`,
        encoding: 'utf8',
      });
      assert.equal(s.status, 0, s.stderr);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    // Sealing never replaces a file unless asked.
    const again = p.run(['package', 'seal', '--env', 'production', '--out', 'secrets.encrypted'], { env: { HAKO_PACKAGE_PASSWORD: PW } });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
  } finally {
    p.cleanup();
  }
});

test('5 wrong passwords with backoff, then a 5-minute lock that holds; a success resets the count', async () => {
  const { p } = await sealedCheaply();
  const clock = new Clock();
  try {
    const waits = [1, 2, 4, 8];
    for (let i = 1; i <= 5; i++) {
      const r = await open(p, clock, `wrong ${i}`);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, new RegExp(`wrong password for the sealed package \\(${i} failed in a row\\)`));
      if (i < 5) {
        assert.match(r.stderr, new RegExp(`next try is allowed in ${waits[i - 1]} s`));
        // Too soon: refused without checking, and not counted.
        clock.advance(waits[i - 1]! * 1000 - 1);
        const early = await open(p, clock, PW);
        assert.equal(early.code, 6, early.stderr);
        assert.match(early.stderr, /too soon after a wrong password/);
        assert.equal(early.stdout, '');
        clock.advance(1);
      } else {
        assert.match(r.stderr, /it is now locked for 5 min/);
      }
    }
    // Locked: even the right password is refused, for the whole 5 minutes.
    for (const after of [0, 60_000, 299_999]) {
      const c = new Clock();
      c.t = clock.t + after;
      const r = await open(p, c, PW);
      assert.equal(r.code, 6, `${after} ms after the 5th failure: ${r.stderr}`);
      assert.match(r.stderr, /locked after 5 wrong passwords in a row/);
      assert.equal(r.stdout, '');
    }
    // The lock is on disk: a new hako process (the real binary, real clock) sees it too.
    const bin = p.run(['package', 'open', 'secrets.encrypted'], { env: { HAKO_PACKAGE_PASSWORD: PW }, process: true });
    if (Date.now() < clock.t + 300_000) {
      assert.equal(bin.code, 6, bin.stderr);
    }
    // After 5 minutes the right password opens, and the count starts again from zero.
    clock.advance(300_000);
    const ok = await open(p, clock, PW);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), VALUES);
    assert.deepEqual(
      readdirSync(join(p.home, 'packages')).filter((f) => f.endsWith('.json')),
      [],
      'success removes the state',
    );
    const once = await open(p, clock, 'wrong again');
    assert.match(once.stderr, /\(1 failed in a row\)/);
  } finally {
    p.cleanup();
  }
});

test('the failure count cannot be reset by deleting or editing one file', async () => {
  const { p } = await sealedCheaply();
  const clock = new Clock();
  try {
    const stateDir = join(p.home, 'packages');
    const markerDir = join(p.home, '.local', 'state', 'hako', 'lockout');
    const fail = async () => {
      const r = await open(p, clock, 'nope');
      assert.equal(r.code, 4, r.stderr);
      clock.advance(10_000);
    };
    const assertLockedByTampering = async (what: string) => {
      const r = await open(p, clock, PW);
      assert.equal(r.code, 6, `${what}: ${r.stderr}`);
      assert.match(r.stderr, /record of this package was changed or removed outside hako/, what);
      assert.equal(r.stdout, '', what);
      clock.advance(300_000); // served
      const ok = await open(p, clock, PW);
      assert.equal(ok.code, 0, `${what}: ${ok.stderr}`);
    };
    const stateFile = () =>
      join(
        stateDir,
        readdirSync(stateDir).find((f) => f.endsWith('.json'))!,
      );

    await fail();
    rmSync(stateFile());
    await assertLockedByTampering('state file deleted');

    await fail();
    rmSync(markerDir, { recursive: true });
    await assertLockedByTampering('marker deleted');

    await fail();
    const f = stateFile();
    writeFileSync(f, readFileSync(f, 'utf8').replace(/"failures":1/, '"failures":0'));
    await assertLockedByTampering('failure count edited');

    await fail();
    const older = readFileSync(stateFile());
    await fail();
    writeFileSync(stateFile(), older);
    await assertLockedByTampering('an older state put back');

    await fail();
    rmSync(join(p.home, '.local', 'state', 'hako', 'lockout.key'));
    await assertLockedByTampering('the lockout key deleted');

    // Another HAKO_HOME does not give the package a clean slate.
    await fail();
    const r = await open(p, clock, PW, 'secrets.encrypted', { HAKO_HOME: join(p.home, 'elsewhere') });
    assert.equal(r.code, 6, r.stderr);

    // Deleting both records (and the key) is a reset: SECURITY.md says so.
  } finally {
    p.cleanup();
  }
});

test('a tampered package is refused, and does not count as a wrong password', async () => {
  const { p } = await sealedCheaply();
  const file = join(p.dir, 'secrets.encrypted');
  const clock = new Clock();
  try {
    const good = readFileSync(file);
    const variant = (name: string, f: (b: Buffer) => Buffer) => {
      writeFileSync(join(p.dir, name), f(Buffer.from(good)));
      return name;
    };
    const flipped = variant('flipped.encrypted', (b) => {
      b[b.length - 20]! ^= 1;
      return b;
    });
    const nonce = variant('nonce.encrypted', (b) => {
      b[55]! ^= 1;
      return b;
    });
    const tag = variant('tag.encrypted', (b) => {
      b[b.length - 1]! ^= 0x80;
      return b;
    });
    for (const name of [flipped, nonce, tag]) {
      const r = await open(p, clock, PW, name);
      assert.equal(r.code, 4, `${name}: ${r.stderr}`);
      assert.match(r.stderr, /the password is right but the sealed package was altered or damaged/, name);
      assert.equal(r.stdout, '');
    }
    // Tampering did not count: the first wrong password is the first failure (the id covers
    // only what decides the password, so the altered copies share the original's count).
    const w = await open(p, clock, 'wrong', flipped);
    assert.match(w.stderr, /\(1 failed in a row\)/);
    const cases: [string, (b: Buffer) => Buffer, number, RegExp][] = [
      ['truncated', (b) => b.subarray(0, 70), 5, /not a hako sealed package: too short/],
      ['magic', (b) => (b.write('HAKOPKG', 0, 'latin1'), b), 5, /wrong magic/],
      ['version', (b) => ((b[7] = 2), b), 5, /sealed package version 2 is newer/],
      ['kdf out of range', (b) => (b.writeUInt32BE(0xffffffff, 9), b), 5, /parameters out of range/],
    ];
    for (const [what, f, code, re] of cases) {
      const name = variant(`${what.replace(/ /g, '-')}.encrypted`, f);
      const r = await open(p, clock, PW, name);
      assert.equal(r.code, code, `${what}: ${r.stderr}`);
      assert.match(r.stderr, re, what);
    }
  } finally {
    p.cleanup();
  }
});

test('hako run --package: values reach the program, the password does not; process-control names need --allow', () => {
  const { p } = sealed();
  try {
    const r = p.ok(
      [
        'run',
        '--package',
        'secrets.encrypted',
        '--',
        'sh',
        '-c',
        'test "$API_TOKEN" = tok-pkg-4f1c9e && echo "pw=${HAKO_PACKAGE_PASSWORD-unset}"',
      ],
      {
        env: { HAKO_PACKAGE_PASSWORD: PW },
      },
    );
    assert.equal(r.stdout, 'pw=unset\n');
    const both = p.run(['run', '--package', 'secrets.encrypted', '--env', 'production', '--', 'true']);
    assert.equal(both.code, 2);
    // A package that carries NODE_OPTIONS.
    p.set('NODE_OPTIONS', '--require ./evil.js', 'production');
    p.ok(['package', 'seal', '--env', 'production', '--out', 'evil.encrypted'], { env: { HAKO_PACKAGE_PASSWORD: PW } });
    const refused = p.run(['run', '--package', 'evil.encrypted', '--', 'true'], { env: { HAKO_PACKAGE_PASSWORD: PW } });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /would set NODE_OPTIONS/);
    const dotenv = p.run(['package', 'open', 'evil.encrypted', '--format', 'dotenv'], { env: { HAKO_PACKAGE_PASSWORD: PW } });
    assert.equal(dotenv.code, 1);
    assert.equal(dotenv.stdout, '');
    p.ok(['package', 'open', 'evil.encrypted', '--format', 'dotenv', '--allow', 'NODE_OPTIONS'], { env: { HAKO_PACKAGE_PASSWORD: PW } });
    // fd3 sets no variable: nothing to refuse.
    p.ok(['run', '--package', 'evil.encrypted', '--via', 'fd3', '--', 'true'], { env: { HAKO_PACKAGE_PASSWORD: PW } });
  } finally {
    p.cleanup();
  }
});

/** Every file under `dirs`, with size and mtime: what "nothing written" is checked against. */
function snapshot(dirs: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else out.set(path, `${st.size}:${st.mtimeMs}`);
    }
  };
  for (const d of dirs) walk(d);
  return out;
}

test('opening a package writes nothing to disk (strace: no file opened for writing but the lock)', async (t) => {
  if (!needTools(t, 'strace')) return;
  const { p } = await sealedCheaply();
  const tmp = tempDir('hako-pkg-tmp-');
  try {
    const trace = join(tmp, 'trace');
    mkdirSync(join(tmp, 'run'));
    const dirs = [p.dir, p.home, join(tmp, 'run')];
    const env = { ...p.env, TMPDIR: join(tmp, 'run'), HAKO_PACKAGE_PASSWORD: PW };
    const cases: [string, string[]][] = [
      ['open', [HAKO_BIN, 'package', 'open', 'secrets.encrypted']],
      ['run', [HAKO_BIN, 'run', '--package', 'secrets.encrypted', '--via', 'fd3', '--', 'true']],
    ];
    for (const [what, argv] of cases) {
      const before = snapshot(dirs);
      const r = spawnSync(
        'strace',
        [
          '-f',
          '-qq',
          '-e',
          'trace=open,openat,openat2,creat,truncate,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,unlink,unlinkat',
          '-o',
          trace,
          process.execPath,
          ...argv,
        ],
        {
          cwd: p.dir,
          env,
          encoding: 'utf8',
        },
      );
      assert.equal(r.status, 0, `${what}: ${r.stderr}`);
      const writes = readFileSync(trace, 'utf8')
        .split('\n')
        .filter((l) => /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|creat\(|truncate|mkdir|rename|link/.test(l))
        .filter((l) => !/= -1 /.test(l))
        .map((l) => /"([^"]+)"/.exec(l)?.[1] ?? l)
        // Only the devices that hold nothing: a write under /dev/shm (tmpfs) is a file like any other.
        .filter((path) => !['/dev/null', '/dev/tty', '/dev/urandom'].includes(path));
      for (const path of writes) assert.match(path, /packages(\/[0-9a-f]{32}\.json\.lock(\.break)?)?$/, `${what}: wrote ${path}`);
      const after = snapshot(dirs);
      assert.deepEqual([...after], [...before], `${what}: no file changed`);
      for (const [path] of after) {
        const text = readFileSync(path);
        for (const v of Object.values(VALUES)) assert.ok(!text.includes(Buffer.from(v)), `${what}: a value in ${path}`);
      }
    }
  } finally {
    p.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
});
