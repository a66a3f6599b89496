// What key continuity must not get in the way of: rotations and recipient removals that
// teammates pull and CI runners meet fresh, older checkouts, and accepting a change on purpose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageIdentity, gitAs, makeOrigin, person } from './trust-helpers.js';
import { hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

const DB = 'postgres://app:real-pw-1f9a@db.internal/app';

test('a rotation reaches a pinned teammate, a fresh full clone, and shallow CI clones with an anchor', async (t) => {
  const origin = makeOrigin(t);
  const alice = person(t, 'alice', origin);
  const bob = person(t, 'bob', origin);
  alice.ok(['init']);
  alice.ok(['env', 'add', 'production']);
  alice.ok(['set', 'DATABASE_URL', '--env', 'production'], { input: DB });
  const bobId = ageIdentity(bob);
  alice.ok(['recipients', 'add', bobId.recipient, '--env', 'production']);
  alice.commit('production');
  alice.push();
  bob.env = { ...bob.env, ...bobId.env };
  bob.pull();
  bob.ok(['get', 'DATABASE_URL', '--env', 'production']);
  const oldBundle = alice.ok(['key', 'export', '--env', 'production']).stdout.trim();
  const trust = JSON.parse(bob.ok(['trust', '--env', 'production', '--json']).stdout)[0];
  assert.equal(trust.status, 'same');
  assert.equal(trust.anchor.variable, 'HAKO_TRUST_PRODUCTION');
  const oldAnchor = trust.anchor.value as string;

  const rotated = alice.ok(['key', 'rotate', '--env', 'production']);
  assert.equal(rotated.code, 0);
  alice.commit('rotate production');
  alice.push();
  const newBundle = alice.ok(['key', 'export', '--env', 'production']).stdout.trim();
  const newKeyId = alice.file().environments.production.key_id;
  assert.equal(alice.file().environments.production.chain.length, 2, 'the rotation added one link');

  bob.pull();
  const r = bob.ok(['get', 'DATABASE_URL', '--env', 'production', '-n']);
  assert.equal(r.stdout, DB);
  assert.match(r.stderr, new RegExp(`was rotated to ${newKeyId} \\(proven by the old key\\)`));
  assert.doesNotMatch(bob.ok(['get', 'DATABASE_URL', '--env', 'production']).stderr, /rotated/, 'said once, then pinned');

  const fresh = person(t, 'fresh', origin);
  assert.equal(fresh.ok(['get', 'DATABASE_URL', '--env', 'production', '-n'], { env: bobId.env }).stdout, DB, 'history proves it');

  for (const [what, env] of [
    ['HAKO_KEY with the current key', { HAKO_KEY: newBundle }],
    ['HAKO_TRUST from before the rotation, and an identity', { HAKO_TRUST_PRODUCTION: oldAnchor, ...bobId.env }],
    ['HAKO_KEY with the retired key, and an identity', { HAKO_KEY: oldBundle, ...bobId.env }],
  ] as const) {
    const ci = person(t, 'ci', origin, { depth: 1 });
    const c = ci.hako(['get', 'DATABASE_URL', '--env', 'production', '-n'], { env });
    assert.equal(c.code, 0, `${what}: ${c.stderr}`);
    assert.equal(c.stdout, DB, what);
  }
  const ci = person(t, 'ci', origin, { depth: 1 });
  const bad = ci.hako(['get', 'DATABASE_URL', '--env', 'production'], {
    env: { HAKO_TRUST_PRODUCTION: `${'0'.repeat(16)}:x`, ...bobId.env },
  });
  assert.equal(bad.code, 7);
  assert.match(bad.stderr, /HAKO_TRUST_PRODUCTION names a key that is not in the key chain/);
  const stale = ci.hako(['get', 'DATABASE_URL', '--env', 'production'], { env: { HAKO_KEY: oldBundle } });
  assert.equal(stale.code, 3, 'a retired key anchors the chain but cannot open it');
});

test('an older checkout opens read-only; a re-created environment is accepted only on purpose', async (t) => {
  const origin = makeOrigin(t);
  const alice = person(t, 'alice', origin);
  alice.ok(['init']);
  alice.ok(['env', 'add', 'production']);
  alice.ok(['set', 'DATABASE_URL', '--env', 'production'], { input: DB });
  alice.commit('production');
  alice.ok(['key', 'rotate', '--env', 'production']);
  alice.commit('rotate');
  alice.push();

  gitAs(alice.dir, 'alice', 'checkout', '-q', 'HEAD~1');
  const old = alice.hako(['get', 'DATABASE_URL', '--env', 'production', '-n']);
  assert.equal(old.code, 0, old.stderr);
  assert.equal(old.stdout, DB);
  assert.match(old.stderr, /seen retired: reading an older checkout, nothing can be written with it/);
  const w = alice.hako(['set', 'X', '--env', 'production'], { input: 'value-x' });
  assert.equal(w.code, 7);
  assert.match(w.stderr, /open with a retired key/);
  gitAs(alice.dir, 'alice', 'checkout', '-q', 'main');

  // Production removed and made again: a new key nobody's old key vouches for.
  alice.ok(['env', 'rm', 'production', '--yes']);
  alice.ok(['env', 'add', 'production']);
  alice.ok(['set', 'DATABASE_URL', '--env', 'production'], { input: DB });
  alice.commit('recreate production');
  alice.push();
  const bundle = alice.ok(['key', 'export', '--env', 'production']).stdout.trim();
  const fresh = person(t, 'fresh', origin);
  fresh.ok(['key', 'import'], { input: bundle }); // a key handed over on purpose anchors it
  const keyId = fresh.file().environments.production.key_id;
  const view = fresh.ok(['trust', '--env', 'production']).stdout;
  assert.match(view, new RegExp(`production: key ${keyId}`));
  assert.match(view, /came in:  commit [0-9a-f]{12} by alice <alice@example.com> on \d{4}-\d\d-\d\d \(not signed\)/);
  assert.equal(fresh.ok(['get', 'DATABASE_URL', '--env', 'production', '-n']).stdout, DB);
  fresh.ok(['trust', 'forget', '--env', 'production']);
  const again = fresh.hako(['get', 'DATABASE_URL', '--env', 'production']);
  assert.equal(again.code, 7, 'history alone does not vouch for a re-created environment');
  assert.equal(
    fresh.hako(['trust', 'accept', '--env', 'production', '0123456789abcdef']).code,
    2,
    'the key id must be the one the file names',
  );
  fresh.ok(['trust', 'accept', '--env', 'production', keyId]);
  assert.equal(fresh.ok(['get', 'DATABASE_URL', '--env', 'production', '-n']).stdout, DB);
});
