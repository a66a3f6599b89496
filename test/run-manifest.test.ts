/**
 * The manifest (issue 3, acceptance 6): `hako declare` / `hako undeclare` edit the schema
 * without a key; `hako run` refuses to start while a required name has no value, listing
 * every missing name, and runs nothing; `hako ls` shows what is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectWith, scratchDir } from './run-helpers.js';
import { hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

test('declare and undeclare edit the schema, one line per name, without a key', () => {
  const p = projectWith({ DATABASE_URL: 'postgres://localhost/dev' });
  try {
    const noKey = { HAKO_HOME: scratchDir() };
    p.ok(['declare', 'DATABASE_URL', '--description', 'Postgres URL, with password'], { env: noKey });
    p.ok(['declare', 'SENTRY_DSN', '--optional'], { env: noKey });
    p.ok(['declare', 'STRIPE_KEY'], { env: noKey });
    assert.deepEqual(p.json().schema, {
      DATABASE_URL: { description: 'Postgres URL, with password', required: true },
      SENTRY_DSN: { required: false },
      STRIPE_KEY: { required: true },
    });
    assert.match(
      p.file(),
      /\n  "schema": \{\n    "DATABASE_URL": \{ "description": "Postgres URL, with password", "required": true \},\n    "SENTRY_DSN": \{ "required": false \},\n    "STRIPE_KEY": \{ "required": true \}\n  \},\n/,
    );

    // Declaring again: the description stays unless given; "" removes it. Same meaning: no write.
    const before = p.file();
    const again = p.ok(['declare', 'DATABASE_URL']);
    assert.match(again.stderr, /already declared \(required\); nothing changed/);
    assert.equal(p.file(), before);
    p.ok(['declare', 'DATABASE_URL', '--optional']);
    assert.deepEqual(p.json().schema.DATABASE_URL, { description: 'Postgres URL, with password', required: false });
    p.ok(['declare', 'DATABASE_URL', '--description', '']);
    assert.deepEqual(p.json().schema.DATABASE_URL, { required: true });

    p.ok(['undeclare', 'SENTRY_DSN'], { env: noKey });
    assert.deepEqual(Object.keys(p.json().schema), ['DATABASE_URL', 'STRIPE_KEY']);
    const gone = p.run(['undeclare', 'SENTRY_DSN']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /SENTRY_DSN is not declared/);
    p.ok(['undeclare', 'DATABASE_URL']);
    p.ok(['undeclare', 'STRIPE_KEY']);
    assert.equal(p.json().schema, undefined, 'an empty schema leaves the file');
    assert.equal(p.get('DATABASE_URL'), 'postgres://localhost/dev', 'undeclare keeps values');

    const bad = p.run(['declare', 'lower_case']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid secret name/);
    const multi = p.run(['declare', 'X_TOKEN', '--description', 'two\nlines']);
    assert.equal(multi.code, 2);
  } finally {
    p.cleanup();
  }
});

test('run refuses to start while required names have no value, lists all of them, runs nothing', () => {
  const p = projectWith({ API_TOKEN: 'tok-0123456789' });
  const dir = scratchDir();
  try {
    for (const name of ['DATABASE_URL', 'API_TOKEN', 'STRIPE_KEY']) p.ok(['declare', name]);
    p.ok(['declare', 'SENTRY_DSN', '--optional']);
    const marker = join(dir, 'ran');
    for (const via of ['env', 'fd3', 'files']) {
      const r = p.run(['run', '--via', via, '--', 'sh', '-c', `touch ${marker}`]);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        "hako: error: environment 'development' has no value for 2 required secrets: DATABASE_URL, STRIPE_KEY; nothing was run\n" +
          'hako: hint: set each with hako set NAME --env development, or mark a name optional with hako declare NAME --optional\n',
      );
      assert.equal(existsSync(marker), false, 'the program ran');
    }
    // Found before any key is looked for: no key on this machine gives the same answer.
    const noKey = p.run(['run', '--', 'true'], { env: { HAKO_HOME: scratchDir() } });
    assert.match(noKey.stderr, /no value for 2 required secrets/);

    p.set('DATABASE_URL', 'postgres://localhost/dev');
    const one = p.run(['run', '--', 'sh', '-c', `touch ${marker}`]);
    assert.match(one.stderr, /no value for the required secret: STRIPE_KEY;/);
    assert.equal(existsSync(marker), false);

    p.set('STRIPE_KEY', 'sk_test_0123456789');
    const ok = p.run(['run', '--', 'sh', '-c', `touch ${marker}`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(existsSync(marker), true, 'optional SENTRY_DSN missing does not block');

    // Another environment is checked on its own.
    p.set('API_TOKEN', 'tok-prod-0123456789', 'production');
    const prod = p.run(['run', '--env', 'production', '--', 'true']);
    assert.match(prod.stderr, /environment 'production' has no value for 2 required secrets: DATABASE_URL, STRIPE_KEY;/);
  } finally {
    p.cleanup();
  }
});

test('ls shows declared names without a value as MISSING (required) or missing', () => {
  const p = projectWith({ API_TOKEN: 'tok-0123456789' });
  try {
    p.set('API_TOKEN', 'tok-prod-0123456789', 'production');
    p.set('DATABASE_URL', 'postgres://prod/app', 'production');
    p.ok(['declare', 'DATABASE_URL']);
    p.ok(['declare', 'SENTRY_DSN', '--optional']);
    const text = p.ok(['ls']).stdout;
    const table = text.slice(text.indexOf('NAME'));
    assert.deepEqual(
      table
        .trimEnd()
        .split('\n')
        .map((l) => l.split(/\s{2,}/)),
      [
        ['NAME', 'development', 'production'],
        ['API_TOKEN', 'set', 'set'],
        ['DATABASE_URL', 'MISSING (required)', 'set'],
        ['SENTRY_DSN', 'missing', 'missing'],
      ],
    );
    const json = JSON.parse(p.ok(['ls', '--json']).stdout);
    assert.deepEqual(
      json.secrets.map((s: { name: string; declared: boolean; required: boolean; environments: Record<string, boolean> }) => [
        s.name,
        s.declared,
        s.required,
        s.environments,
      ]),
      [
        ['API_TOKEN', false, false, { development: true, production: true }],
        ['DATABASE_URL', true, true, { development: false, production: true }],
        ['SENTRY_DSN', true, false, { development: false, production: false }],
      ],
    );
  } finally {
    p.cleanup();
  }
});
