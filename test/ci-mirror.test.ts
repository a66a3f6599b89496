/**
 * The local runner mirror: written, read back, encrypted when RUNNER_SECRETS_KEY is set (and
 * decrypted here independently, from the parameters docs/CI.md gives, with no code from
 * src/), 0600, wiped by rm; its readers: `hako run --mirror` offline with no repository key,
 * and act's --secret-file fed through a pipe (the stream parsed as act's godotenv does).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { chmodSync, closeSync, existsSync, linkSync, openSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { encodeActSecretFile } from '../src/core/formats/act-secrets.js';
import { finished, HAKO_BIN, spawnHako, type Project, hakoInProcessByDefault } from './helpers.js';
import { AWKWARD, ciScratch, projectWithValues } from './ci-helpers.js';
import { godotenvParse } from './godotenv.js';

hakoInProcessByDefault();

const KEY = 'correct horse battery staple 42!';
const VALUES: Record<string, string> = { ...AWKWARD, SHORT: 'ab', ENDS_QUOTE: 'say "hi"', ENDS_BACKSLASH: 'C:\\path\\', EMPTY: '' };

function mirrorFile(p: Project): string {
  const dir = join(p.home, 'mirror');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, 1, `files in ${dir}: ${files.join(', ')}`);
  return join(dir, files[0]!);
}

/** Decrypts the mirror from the documented parameters alone. */
function decryptIndependently(path: string, password: string): Record<string, Record<string, string>> {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as {
    hako_mirror: number;
    encryption: { kdf: string; iterations: number; salt: string; cipher: string; nonce: string; aad: string };
    ciphertext: string;
  };
  assert.equal(doc.hako_mirror, 1);
  assert.equal(doc.encryption.kdf, 'pbkdf2-sha512');
  assert.equal(doc.encryption.cipher, 'aes-256-gcm');
  assert.equal(doc.encryption.aad, 'hako-mirror:1');
  assert.equal(doc.encryption.iterations, 210000);
  const salt = Buffer.from(doc.encryption.salt, 'base64');
  const nonce = Buffer.from(doc.encryption.nonce, 'base64');
  assert.equal(salt.length, 16);
  assert.equal(nonce.length, 12);
  const blob = Buffer.from(doc.ciphertext, 'base64');
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, doc.encryption.iterations, 32, 'sha512');
  const d = createDecipheriv('aes-256-gcm', key, nonce);
  d.setAAD(Buffer.from('hako-mirror:1', 'utf8'));
  d.setAuthTag(blob.subarray(blob.length - 16));
  const plain = Buffer.concat([d.update(blob.subarray(0, blob.length - 16)), d.final()]);
  return JSON.parse(plain.toString('utf8')) as Record<string, Record<string, string>>;
}

/** No repository key anywhere: HAKO_KEY empty (the key file is moved away by the test). */
function offline(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...extra, HAKO_KEY: '' };
}

test('mirror sync refuses without RUNNER_SECRETS_KEY unless --plaintext-cache, and then says so', () => {
  const p = projectWithValues(VALUES);
  try {
    const r = p.run(['mirror', 'sync']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /RUNNER_SECRETS_KEY is not set: the mirror would hold the values of 'development' in plaintext/);
    assert.match(r.stderr, /--plaintext-cache/);
    assert.ok(!existsSync(join(p.home, 'mirror')) || readdirSync(join(p.home, 'mirror')).every((f) => !f.endsWith('.json')));
    const short = p.run(['mirror', 'sync'], { env: { RUNNER_SECRETS_KEY: 'short' } });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /shorter than 16 characters/);

    const plain = p.ok(['mirror', 'sync', '--plaintext-cache']);
    assert.match(plain.stderr, /NOT encrypted \(--plaintext-cache\): the values are in plaintext/);
    const file = mirrorFile(p);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(p.home, 'mirror')).mode & 0o777, 0o700);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { encryption: null; secrets: Record<string, Record<string, string>> };
    assert.equal(doc.encryption, null);
    assert.deepEqual(doc.secrets['development'], VALUES);
    assert.match(p.ok(['mirror', 'status']).stdout, /NOT encrypted \(plaintext cache\), mode 600/);
    // With the key now, the same file is encrypted; a later plaintext sync would undo that: refused.
    p.ok(['mirror', 'sync'], { env: { RUNNER_SECRETS_KEY: KEY } });
    assert.deepEqual(decryptIndependently(file, KEY)['development'], VALUES);
    const back = p.run(['mirror', 'sync', '--plaintext-cache']);
    assert.equal(back.code, 2);
    assert.match(back.stderr, /the runner mirror is encrypted/);
  } finally {
    p.cleanup();
  }
});

test('mirror sync encrypts with RUNNER_SECRETS_KEY; status, run --mirror offline, rm', () => {
  const p = projectWithValues(VALUES);
  try {
    p.set('STAGING_ONLY', 'staging-value-1', 'staging');
    const s = p.ok(['mirror', 'sync'], { env: { RUNNER_SECRETS_KEY: KEY } });
    assert.match(s.stderr, /mirrored 12 value\(s\) of 'development'/);
    assert.match(s.stderr, /encrypted with RUNNER_SECRETS_KEY/);
    p.ok(['mirror', 'sync', '--env', 'staging'], { env: { RUNNER_SECRETS_KEY: KEY } });
    const file = mirrorFile(p);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, 'utf8');
    for (const [name, v] of Object.entries(VALUES)) if (v.length >= 4) assert.ok(!text.includes(v), `${name} in plaintext in the mirror`);
    assert.deepEqual(decryptIndependently(file, KEY), { development: VALUES, staging: { STAGING_ONLY: 'staging-value-1' } });

    // Status needs no key: names, time, age.
    const status = JSON.parse(p.ok(['mirror', 'status', '--json']).stdout) as {
      encrypted: boolean;
      mode: string;
      environments: { env: string; names: string[]; synced_at: string; age_seconds: number }[];
    };
    assert.equal(status.encrypted, true);
    assert.equal(status.mode, '600');
    assert.deepEqual(
      status.environments.map((e) => [e.env, e.names.length]),
      [
        ['development', 12],
        ['staging', 1],
      ],
    );
    assert.ok(status.environments.every((e) => e.age_seconds >= 0 && e.age_seconds < 600));
    assert.match(p.ok(['mirror', 'status']).stdout, /development\s+12\s+\S+\s+\d+ s/);

    // Offline: no key file, no HAKO_KEY: the repository cannot be opened, the mirror can.
    renameSync(join(p.home, 'keys'), join(p.home, 'keys.away'));
    assert.equal(p.run(['get', 'API_TOKEN']).code, 3);
    const reader = `process.stdout.write(JSON.stringify({ v: Object.fromEntries(${JSON.stringify(Object.keys(VALUES))}.map((n) => [n, process.env[n]])), key: process.env.RUNNER_SECRETS_KEY ?? null }))`;
    const run = p.run(['run', '--mirror', '--no-redact', '--', process.execPath, '-e', reader], {
      env: offline({ RUNNER_SECRETS_KEY: KEY }),
    });
    assert.equal(run.code, 0, run.stderr);
    const got = JSON.parse(run.stdout) as { v: Record<string, string>; key: string | null };
    assert.deepEqual(got.v, VALUES);
    assert.equal(got.key, null, 'RUNNER_SECRETS_KEY reached the child');
    const redacted = p.run(['run', '--mirror', '--', process.execPath, '-e', 'console.log(process.env.API_TOKEN)'], {
      env: { RUNNER_SECRETS_KEY: KEY },
    });
    assert.equal(redacted.stdout, '[REDACTED:API_TOKEN]\n');
    const stg = p.run(
      ['run', '--mirror', '--env', 'staging', '--no-redact', '--', process.execPath, '-e', 'console.log(process.env.STAGING_ONLY)'],
      {
        env: { RUNNER_SECRETS_KEY: KEY },
      },
    );
    assert.equal(stg.stdout, 'staging-value-1\n');

    const nokey = p.run(['run', '--mirror', '--', 'true']);
    assert.equal(nokey.code, 3);
    assert.match(nokey.stderr, /the runner mirror is encrypted and RUNNER_SECRETS_KEY is not set/);
    const wrong = p.run(['run', '--mirror', '--', 'true'], { env: { RUNNER_SECRETS_KEY: `${KEY}x` } });
    assert.equal(wrong.code, 4);
    assert.match(wrong.stderr, /RUNNER_SECRETS_KEY does not open the runner mirror/);
    const noenv = p.run(['run', '--mirror', '--env', 'production', '--', 'true'], { env: { RUNNER_SECRETS_KEY: KEY } });
    assert.match(noenv.stderr, /environment 'production' is not in the runner mirror/);
    assert.match(noenv.stderr, /mirrored: development, staging/);

    // A mirror others can read is refused, like a key file.
    chmodSync(file, 0o644);
    assert.match(p.run(['run', '--mirror', '--', 'true'], { env: { RUNNER_SECRETS_KEY: KEY } }).stderr, /readable by others/);
    chmodSync(file, 0o600);

    // rm overwrites before it unlinks: a hard link made beforehand still names the same
    // blocks, and afterwards holds only zeros, as many as the mirror had bytes.
    const link = join(p.home, 'mirror-hard-link');
    linkSync(file, link);
    const size = statSync(file).size;
    assert.ok(size > 0 && readFileSync(link).some((b) => b !== 0));
    const rm = p.ok(['mirror', 'rm']);
    assert.match(rm.stderr, /wiped /);
    assert.ok(!existsSync(file));
    const left = readFileSync(link);
    assert.equal(left.length, size);
    assert.ok(
      left.every((b) => b === 0),
      'the mirror was overwritten with zeros before removal',
    );
    assert.match(p.ok(['mirror', 'status']).stdout, /no runner mirror for this checkout/);
    assert.match(
      p.run(['run', '--mirror', '--', 'true'], { env: { RUNNER_SECRETS_KEY: KEY } }).stderr,
      /this checkout has no runner mirror/,
    );
    assert.match(p.ok(['mirror', 'rm']).stderr, /no runner mirror to remove/);
  } finally {
    p.cleanup();
  }
});

test('mirror secret-file refuses a regular file as stdout (values would sit on disk) unless --force', async () => {
  const p = projectWithValues(VALUES);
  try {
    p.ok(['mirror', 'sync'], { env: { RUNNER_SECRETS_KEY: KEY } });
    // A real process whose fd 1 is a file, as after `hako mirror secret-file > secrets.env`.
    const toFile = async (args: string[]) => {
      const path = join(ciScratch(), 'secrets.env');
      const fd = openSync(path, 'w', 0o600);
      try {
        const child = spawnHako(['mirror', 'secret-file', ...args], {
          cwd: p.dir,
          env: { ...p.env, RUNNER_SECRETS_KEY: KEY },
          stdio: ['ignore', fd, 'pipe'],
        });
        return { r: await finished(child), written: readFileSync(path, 'utf8') };
      } finally {
        closeSync(fd);
      }
    };
    const refused = await toFile([]);
    assert.equal(refused.r.code, 1, refused.r.stderr);
    assert.match(refused.r.stderr, /^hako: error: stdout is a regular file: the secret file would put every value on disk/m);
    assert.match(refused.r.stderr, /^hako: hint: feed it through a pipe .*process substitution .*--force/m);
    assert.equal(refused.written, '', 'nothing reached the file');
    const forced = await toFile(['--force']);
    assert.equal(forced.r.code, 0, forced.r.stderr);
    assert.deepEqual(godotenvParse(forced.written, { HOME: '/home/someone' }), VALUES);
    // A pipe (spawnSync's stdout) is what it is meant for: no refusal.
    assert.equal(p.run(['mirror', 'secret-file'], { env: { RUNNER_SECRETS_KEY: KEY }, process: true }).code, 0);
  } finally {
    p.cleanup();
  }
});

test("mirror secret-file: act's format through a pipe and a FIFO, every value exact", () => {
  const p = projectWithValues(VALUES);
  try {
    p.ok(['mirror', 'sync'], { env: { RUNNER_SECRETS_KEY: KEY } });
    const direct = p.ok(['mirror', 'secret-file'], { env: { RUNNER_SECRETS_KEY: KEY } });
    assert.deepEqual(godotenvParse(direct.stdout, { HOME: '/home/someone' }), VALUES);
    assert.equal(direct.stdout.split('\n').length, Object.keys(VALUES).length + 1, 'one line per value');

    // The way act opens it: stat the path, then read it whole (a pipe as /dev/stdin, a FIFO).
    const actLike = `const fs = require('fs'); const p = process.argv[1]; fs.statSync(p); process.stdout.write(fs.readFileSync(p))`;
    const env = { ...p.env, RUNNER_SECRETS_KEY: KEY, NODE: process.execPath, HAKO: HAKO_BIN, READER: actLike };
    for (const script of [
      '"$NODE" "$HAKO" mirror secret-file | "$NODE" -e "$READER" /dev/stdin',
      '"$NODE" -e "$READER" <("$NODE" "$HAKO" mirror secret-file)',
    ]) {
      const r = spawnSync('bash', ['-c', script], { cwd: p.dir, env, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(godotenvParse(r.stdout, { HOME: '/home/someone' }), VALUES, script);
    }

    const only = p.ok(['mirror', 'secret-file', '--only', 'API_TOKEN'], { env: { RUNNER_SECRETS_KEY: KEY } });
    assert.deepEqual(godotenvParse(only.stdout), { API_TOKEN: VALUES['API_TOKEN'] });
  } finally {
    p.cleanup();
  }
});

test("act's format: every value godotenv can hold round-trips; the rest are refused by name", () => {
  const value = fc.oneof(
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: fc.constantFrom('\\', '"', "'", '$', '{', '}', 'n', 'r', '\n', '\r', '-', '#', ' ', 'A', '(') }),
  );
  const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,12}$/);
  fc.assert(
    fc.property(fc.dictionary(name, value, { maxKeys: 5 }), (values) => {
      let text: string;
      try {
        text = encodeActSecretFile(new Map(Object.entries(values)));
      } catch (err) {
        // Only values ending in " or \ can be refused (and then only some of them).
        assert.ok(
          Object.values(values).some((v) => /["\\]$/.test(v)),
          (err as Error).message,
        );
        return;
      }
      assert.deepEqual(godotenvParse(text, { HOME: '/x', PATH: '/y' }), { ...values });
    }),
    { numRuns: 500 },
  );
  assert.throws(
    () => encodeActSecretFile(new Map([['BAD', `it's\n"x"`]])),
    /the value of BAD cannot be written in act's secret file format/,
  );
  assert.throws(() => encodeActSecretFile(new Map([['BAD', ' leading space\\']])), /BAD/);
  for (const v of [`it's "x"`, 'C:\\dir\\', 'a $HOME "b"', '"quoted"', '#x\\', 'x\n\ny']) {
    assert.equal(godotenvParse(encodeActSecretFile(new Map([['V', v]])), { HOME: '/h' })['V'], v);
  }
});
