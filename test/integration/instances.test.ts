// Instances against a real Secret Service: two instances of one app, each asked for its own
// values through a real pseudo-terminal, each run sees only its own; without a terminal the
// start fails with the list of missing names; copying or archiving the app carries no value;
// `instance rm` leaves no keychain item.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HAKO_BIN, Project, tempDir } from '../helpers.js';
import { skipUnless } from '../tools.js';
import { SECRET_SERVICE_TOOLS, SecretServiceSession } from './keyring.js';
import { runOnPty } from './pty.js';

const VALUES = {
  alice: { API_KEY: 'alice-api-7c1e55', DB_PASSWORD: 'alice-db-90af13' },
  bob: { API_KEY: 'bob-api-3d2b88', DB_PASSWORD: 'bob-db-44e0c7' },
};

function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

function assertNoValueIn(files: string[], what: string): void {
  for (const f of files) {
    const bytes = readFileSync(f);
    for (const inst of Object.values(VALUES))
      for (const v of Object.values(inst)) assert.ok(!bytes.includes(Buffer.from(v)), `${what}: a value in ${f}`);
  }
}

/** The program: says which instance's values it got, without printing any value. */
function whoseValues(): string[] {
  return [
    'sh',
    '-c',
    Object.entries(VALUES)
      .map(([who, v]) => `[ "$API_KEY" = ${v.API_KEY} ] && [ "$DB_PASSWORD" = ${v.DB_PASSWORD} ] && echo "values of ${who}"`)
      .join('; ') + '; true',
  ];
}

describe('instances (Secret Service, real pty)', { skip: skipUnless(...SECRET_SERVICE_TOOLS, 'script') }, () => {
  test('two instances, each asked on a terminal, each run sees only its own; rm leaves nothing', async (t) => {
    const ss = await SecretServiceSession.start();
    const p = new Project();
    const copy = tempDir('hako-app-copy-');
    t.after(async () => {
      p.cleanup();
      rmSync(copy, { recursive: true, force: true });
      await ss.stop();
    });
    p.env = { ...p.env, ...ss.env };
    p.ok(['declare', 'API_KEY', '--description', 'the API key of your account']);
    p.ok(['declare', 'DB_PASSWORD']);
    p.ok(['declare', 'SENTRY_DSN', '--optional']);
    const alice = p.ok(['instance', 'add', 'alice']).stderr.match(/id ([0-9a-f]{16})/)![1]!;
    const bob = p.ok(['instance', 'add', 'bob']).stderr.match(/id ([0-9a-f]{16})/)![1]!;
    assert.notEqual(alice, bob);

    // No terminal: the missing names are listed and nothing runs.
    const marker = join(p.dir, 'ran');
    const noTty = p.run(['run', '--instance', 'alice', '--', 'sh', '-c', `touch ${marker}`]);
    assert.equal(noTty.code, 1, noTty.stderr);
    assert.match(noTty.stderr, /instance 'alice' has no value for 2 required secrets: API_KEY, DB_PASSWORD; nothing was run/);
    assert.ok(!existsSync(marker));

    // On a terminal each instance is asked for its own values, once.
    for (const who of ['alice', 'bob'] as const) {
      const r = await runOnPty([process.execPath, HAKO_BIN, 'run', '--instance', who, '--', ...whoseValues()], {
        cwd: p.dir,
        env: p.env,
        answers: [
          [/Value for API_KEY \(the API key of your account\), instance '\w+': /, VALUES[who].API_KEY],
          [/Value for DB_PASSWORD, instance '\w+': /, VALUES[who].DB_PASSWORD],
        ],
      });
      assert.equal(r.code, 0, r.transcript);
      assert.match(r.transcript, new RegExp(`values of ${who}`));
      assert.doesNotMatch(r.transcript, /SENTRY_DSN/, 'an optional name is not asked for');
      for (const v of Object.values(VALUES[who])) assert.ok(!r.transcript.includes(v), 'what is typed is not echoed');
    }

    // Later runs need no terminal and see only their own values.
    for (const who of ['alice', 'bob'] as const) {
      const r = p.ok(['run', '--instance', who, '--', ...whoseValues()]);
      assert.equal(r.stdout, `values of ${who}\n`);
    }

    // In the keychain: one service per instance, one item per name.
    const services = { alice: `hako-instance:alice:${alice}`, bob: `hako-instance:bob:${bob}` };
    assert.deepEqual(ss.accounts(services.alice), ['API_KEY', 'DB_PASSWORD']);
    assert.deepEqual(ss.accounts(services.bob), ['API_KEY', 'DB_PASSWORD']);
    assert.equal(ss.secretTool('lookup', 'service', services.bob, 'username', 'API_KEY').stdout, VALUES.bob.API_KEY);

    // instance set changes one instance only.
    p.ok(['instance', 'set', 'alice', 'DB_PASSWORD'], { input: 'alice-db-changed\n' });
    const changed = p.ok(['run', '--instance', 'alice', '--', 'sh', '-c', '[ "$DB_PASSWORD" = alice-db-changed ] && echo changed']);
    assert.equal(changed.stdout, 'changed\n');
    assert.equal(p.ok(['run', '--instance', 'bob', '--', ...whoseValues()]).stdout, 'values of bob\n');
    const ls = JSON.parse(p.ok(['instance', 'ls', '--json']).stdout);
    assert.deepEqual(
      ls.map((i: { name: string; names: string[]; missing_required: string[]; backend: string }) => [
        i.name,
        i.names,
        i.missing_required,
        i.backend,
      ]),
      [
        ['alice', ['API_KEY', 'DB_PASSWORD'], [], 'Secret Service'],
        ['bob', ['API_KEY', 'DB_PASSWORD'], [], 'Secret Service'],
      ],
    );

    // Copying or archiving the app carries no value, and a copy is not the instance.
    assertNoValueIn([...allFiles(p.dir), ...allFiles(p.home)], 'app folder and HAKO_HOME');
    const archive = join(copy, 'app.tar');
    assert.equal(spawnSync('tar', ['-cf', archive, '-C', p.dir, '.', '-C', p.home, '.']).status, 0);
    assertNoValueIn([archive], 'archive');
    cpSync(p.dir, join(copy, 'app'), { recursive: true });
    const inCopy = spawnSync(process.execPath, [HAKO_BIN, 'run', '--instance', 'alice', '--', 'true'], {
      cwd: join(copy, 'app'),
      env: p.env,
      encoding: 'utf8',
    });
    assert.equal(inCopy.status, 1, inCopy.stderr);
    assert.match(inCopy.stderr, /no instance 'alice' of the app in/);

    // rm deletes every keychain item of the instance, and only its own.
    p.ok(['instance', 'rm', 'alice', '--yes']);
    assert.deepEqual(ss.accounts(services.alice), []);
    assert.equal(p.ok(['run', '--instance', 'bob', '--', ...whoseValues()]).stdout, 'values of bob\n');
    p.ok(['instance', 'rm', 'bob', '--yes']);
    assert.deepEqual(ss.accounts(services.bob), []);
    assert.equal(p.ok(['instance', 'ls']).stdout, '');
    assert.deepEqual(
      allFiles(join(p.home, 'instances')).filter((f) => f.endsWith('.json')),
      [],
    );
  });

  test('adding an instance without a usable keychain changes nothing', () => {
    const p = new Project();
    try {
      const r = p.run(['instance', 'add', 'alice'], { env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/hako-test-bus' } });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /Secret Service/);
      assert.ok(!existsSync(join(p.home, 'instances')));
    } finally {
      p.cleanup();
    }
  });
});
