/**
 * hako-secrets/runtime in real child processes: fd 3 as a socket and as a FIFO, files, env; the
 * strict envelope; no blocking on an fd 3 hako did not announce; nothing inherited by a
 * grandchild; and every listed way of printing, enumerating or cloning reveals no value.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertNoSecretIn, baseEnv, REPO_ROOT, tempDir } from './helpers.js';
import { assertRedacted, envelope, runProbe, runWithFd3, sha256, writeProbe, type Probe } from './sdk-probe.js';

const SECRETS: Record<string, string> = {
  DATABASE_URL: 'postgres://app:pa55-Wörd"quoted"@db.internal:5432/app',
  STRIPE_KEY: 'sk_live_51Hx\\back\\slash%s%d{"json":true}',
  MULTI_LINE: '-----BEGIN KEY-----\nline two\n</script>\n-----END KEY-----',
};
const NAMES = Object.keys(SECRETS).sort();
const VALUES = Object.values(SECRETS);

let probe: Probe;
before(() => {
  probe = writeProbe();
});
after(() => rmSync(probe.dir, { recursive: true, force: true }));

describe('fd 3 delivery', () => {
  test('a socket on fd 3 (Node stdio "pipe"): exact values, closed, redacted everywhere', async () => {
    const r = await runProbe(probe, { kind: 'socket', data: envelope(SECRETS) }, { names: NAMES, env: { HAKO_SECRETS_FD: '3' } });
    assert.equal(r.report.fd3Before, 'socket');
    assertRedacted(r, SECRETS);
    assert.deepEqual(r.report.info, { via: 'fd3', env: 'production', names: NAMES });
    assert.equal(r.report.envVar, null, 'HAKO_SECRETS_FD is removed from process.env');
  });

  test('a real pipe(2) on fd 3 (a shell pipeline)', async () => {
    const r = await runProbe(probe, { kind: 'fifo', data: envelope(SECRETS, 'staging') }, { names: NAMES, env: { HAKO_SECRETS_FD: '3' } });
    assert.equal(r.report.fd3Before, 'fifo');
    assertRedacted(r, SECRETS);
    assert.equal(r.report.info.env, 'staging');
  });

  test('control: without the runtime, fd 3 stays open and HAKO_SECRETS_FD is inherited', async () => {
    const r = await runProbe(probe, { kind: 'fifo', data: envelope(SECRETS) }, { skipLoad: true, env: { HAKO_SECRETS_FD: '3' } });
    assert.equal(r.report.fd3StillOpen, true);
    // Node's own spawn never passes fd 3 on; a shell or a Go program would (see the Go test).
    assert.equal(r.report.grandchild, 'closed 3');
  });

  for (const kind of ['socket', 'fifo'] as const) {
    test(`a 1 MiB envelope over a ${kind} does not deadlock and arrives whole`, async () => {
      const big = { BIG: 'x'.repeat(1024 * 1024 - 7) + 'tail-01', SMALL: 'small-value-42' };
      const r = await runProbe(probe, { kind, data: envelope(big) }, { names: ['BIG', 'SMALL'], env: { HAKO_SECRETS_FD: '3' } });
      assertRedacted(r, big);
    });
  }

  test('names the app needs: missing required ones are all listed, optional ones are undefined', async () => {
    const r = await runProbe(
      probe,
      { kind: 'socket', data: envelope(SECRETS) },
      {
        options: { names: [...NAMES, 'ZED_TOKEN', 'API_KEY', 'SENTRY_DSN'], optional: ['SENTRY_DSN'] },
        env: { HAKO_SECRETS_FD: '3' },
      },
    );
    assert.equal(r.report.loadError.code, 'E_MISSING_REQUIRED');
    assert.match(r.report.loadError.message, /: API_KEY, ZED_TOKEN;/);
    const opt = await runProbe(
      probe,
      { kind: 'socket', data: envelope(SECRETS) },
      {
        options: { names: NAMES, optional: ['SENTRY_DSN'] },
        names: [...NAMES, 'SENTRY_DSN'],
        env: { HAKO_SECRETS_FD: '3' },
      },
    );
    assert.equal(opt.report.hashes.SENTRY_DSN, null);
    assertRedacted(opt, SECRETS);
  });
});

describe('an fd 3 that hako did not set up', () => {
  test('HAKO_SECRETS_FD unset: an open, silent socket on fd 3 is never read (no blocking)', async () => {
    const r = await runProbe(
      probe,
      { kind: 'silent-socket' },
      { env: { DATABASE_URL: SECRETS['DATABASE_URL']! }, names: ['DATABASE_URL'] },
    );
    assert.equal(r.report.fd3Before, 'socket');
    assert.equal(r.report.info.via, 'env');
    assert.equal(r.report.hashes.DATABASE_URL, sha256(SECRETS['DATABASE_URL']!));
  });

  test('HAKO_SECRETS_FD=3 but fd 3 is a regular file: refused unread', async () => {
    const dir = tempDir();
    const file = join(dir, 'envelope.json');
    writeFileSync(file, envelope(SECRETS));
    try {
      const r = await runProbe(probe, { kind: 'file', path: file }, { env: { HAKO_SECRETS_FD: '3' } });
      assert.equal(r.report.fd3Before, 'file');
      assert.equal(r.report.loadError.code, 'E_DELIVERY');
      assert.match(r.report.loadError.message, /not a pipe or socket; start the program with hako run --via fd3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('HAKO_SECRETS_FD=3 with nothing on fd 3, or not a number: a clear error', async () => {
    const none = await runProbe(probe, { kind: 'none' }, { env: { HAKO_SECRETS_FD: '3' } });
    assert.equal(none.report.loadError.code, 'E_DELIVERY');
    assert.match(none.report.loadError.message, /descriptor 3 is not (open|a pipe or socket)/);
    for (const v of ['abc', '1', '-3', '']) {
      const r = await runProbe(probe, { kind: 'none' }, { env: { HAKO_SECRETS_FD: v } });
      assert.equal(r.report.loadError.code, 'E_DELIVERY', v);
      assert.match(r.report.loadError.message, /HAKO_SECRETS_FD must be a descriptor number of 3 or more/);
    }
  });
});

describe('the envelope is checked strictly and errors hold no value', () => {
  const VALUE = 'leaky-value-Zq81x';
  const cases: [string, string | Buffer, string, RegExp][] = [
    ['truncated JSON', `{"env":"production","hako":1,"secrets":{"A":"${VALUE}"`, 'E_FORMAT', /not UTF-8 JSON/],
    ['a bare string', JSON.stringify(VALUE), 'E_FORMAT', /not a JSON object/],
    ['nothing at all', '', 'E_FORMAT', /not UTF-8 JSON/],
    [
      'a newer version',
      JSON.stringify({ env: 'production', hako: 2, secrets: { A: VALUE } }),
      'E_VERSION',
      /version 2; this runtime reads version 1/,
    ],
    ['no version', JSON.stringify({ env: 'production', secrets: { A: VALUE } }), 'E_FORMAT', /"hako": 1/],
    [
      'an unknown field',
      JSON.stringify({ env: 'production', hako: 1, secrets: { A: VALUE }, extra: VALUE }),
      'E_FORMAT',
      /unknown field "extra"/,
    ],
    [
      'an unknown field named like a value',
      JSON.stringify({ env: 'production', hako: 1, secrets: {}, [VALUE]: 1 }),
      'E_FORMAT',
      /unknown field$|unknown field;/,
    ],
    ['a bad environment name', JSON.stringify({ env: 'Prod', hako: 1, secrets: { A: VALUE } }), 'E_FORMAT', /no valid "env"/],
    ['a number value', JSON.stringify({ env: 'production', hako: 1, secrets: { A: VALUE, B: 5 } }), 'E_FORMAT', /non-string value for B/],
    ['a bad secret name', JSON.stringify({ env: 'production', hako: 1, secrets: { 'a-b': VALUE } }), 'E_FORMAT', /invalid secret name/],
    ['secrets as an array', JSON.stringify({ env: 'production', hako: 1, secrets: [VALUE] }), 'E_FORMAT', /no "secrets" object/],
    [
      'invalid UTF-8',
      Buffer.concat([Buffer.from(`{"env":"production","hako":1,"secrets":{"A":"${VALUE}`), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]),
      'E_FORMAT',
      /not UTF-8 JSON/,
    ],
  ];
  for (const [what, data, code, message] of cases) {
    test(what, async () => {
      const r = await runProbe(probe, { kind: 'socket', data }, { env: { HAKO_SECRETS_FD: '3' } });
      assert.equal(r.report.loadError?.code, code, JSON.stringify(r.report));
      assert.match(r.report.loadError.message, message);
      assertNoSecretIn([r.stdout, r.stderr], [VALUE]);
    });
  }

  test('an uncaught load error prints code, reason and hint, but no value', async () => {
    const code = `import { loadSecrets } from 'hako-secrets/runtime'; loadSecrets();`;
    const data = `{"env":"production","hako":1,"secrets":{"A":"${VALUE}"`;
    const r = await runWithFd3(
      [process.execPath, '--input-type=module', '-e', code],
      { kind: 'socket', data },
      baseEnv({ HAKO_SECRETS_FD: '3' }),
      REPO_ROOT,
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HakoSecretsError: the secrets envelope is not UTF-8 JSON; start the program with hako run --via fd3/);
    assert.match(r.stderr, /code: 'E_FORMAT'/);
    assertNoSecretIn([r.stdout, r.stderr], [VALUE]);
  });
});

describe('files and env delivery', () => {
  test('--via files: <NAME>_FILE variables under HAKO_SECRETS_DIR; others ignored', async () => {
    const dir = tempDir();
    const inside = join(dir, 'secrets');
    mkdirSync(inside, { mode: 0o700 });
    const env: NodeJS.ProcessEnv = { HAKO_SECRETS_DIR: inside };
    for (const [name, value] of Object.entries(SECRETS)) {
      writeFileSync(join(inside, name), value, { mode: 0o400 });
      env[`${name}_FILE`] = join(inside, name);
    }
    writeFileSync(join(dir, 'OUTSIDE'), 'outside-value-1234');
    env['OUTSIDE_FILE'] = join(dir, 'OUTSIDE');
    try {
      const r = await runProbe(probe, { kind: 'none' }, { env, names: NAMES });
      assertRedacted(r, SECRETS);
      assert.deepEqual(r.report.info, { via: 'files', names: NAMES });
      assertNoSecretIn([r.stdout, r.stderr], ['outside-value-1234']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--via env with names: a snapshot of those variables; unknown and missing names named', async () => {
    const r = await runProbe(probe, { kind: 'none' }, { env: { ...SECRETS }, options: { names: NAMES }, names: NAMES });
    assertRedacted(r, SECRETS);
    assert.deepEqual(r.report.info, { via: 'env', names: NAMES });
    const missing = await runProbe(probe, { kind: 'none' }, { env: { DATABASE_URL: 'x' }, options: { names: NAMES } });
    assert.equal(missing.report.loadError.code, 'E_MISSING_REQUIRED');
    assert.match(missing.report.loadError.message, /as environment variables: MULTI_LINE, STRIPE_KEY;/);
  });

  test('--via env without names: live look-ups, nothing enumerable, unknown names throw', async () => {
    const r = await runProbe(probe, { kind: 'none' }, { env: { ...SECRETS }, names: NAMES });
    assert.equal(r.report.info.via, 'env');
    for (const name of NAMES) assert.equal(r.report.hashes[name], sha256(SECRETS[name]!));
    assert.equal(r.report.forms.string.ok, '[hako secrets: from environment variables]');
    assert.equal(r.report.forms.json.ok, '{}');
    assert.equal(r.report.unknown.threw.code, 'E_NO_SECRET');
    assertNoSecretIn([r.stdout, r.stderr], VALUES);
  });
});

test('"hako-secrets/runtime" resolves through package.json exports', () => {
  const r = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `const m = await import('hako-secrets/runtime'); console.log(Object.keys(m).sort().join(','))`],
    { cwd: REPO_ROOT, env: baseEnv(), encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'HakoSecretsError,loadSecrets,secretsInfo');
});
