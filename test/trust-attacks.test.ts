// Someone who can write the repository but holds no current key tries to take over an
// environment: forge it wholesale, roll an offboarding back, or fork from a retired key.
// Each attack is played with the real CLI, pushed through a real origin, and must fail on a
// machine that opened the environment before AND on a fresh machine with full history.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Project, hakoInProcessByDefault } from './helpers.js';
import { ageIdentity, gitAs, makeOrigin, person } from './trust-helpers.js';

hakoInProcessByDefault();

const DB = 'postgres://app:real-pw-1f9a@db.internal/app';

/** Alice founds the project: production with a random key, Bob as an age recipient. */
function founded(t: TestContext) {
  const origin = makeOrigin(t);
  const alice = person(t, 'alice', origin);
  const bob = person(t, 'bob', origin);
  alice.ok(['init']);
  alice.ok(['env', 'add', 'production']);
  alice.ok(['set', 'DATABASE_URL', '--env', 'production'], { input: DB });
  const bobId = ageIdentity(bob);
  alice.ok(['recipients', 'add', bobId.recipient, '--env', 'production', '--name', 'Bob']);
  alice.commit('production');
  alice.push();
  bob.pull();
  bob.env = { ...bob.env, ...bobId.env };
  assert.equal(bob.ok(['get', 'DATABASE_URL', '--env', 'production', '-n']).stdout, DB, 'Bob opens it (and pins it)');
  return { origin, alice, bob, bobId };
}

/** Mallory's forged production: her own key, her values, wrapped to the team's public recipients. */
function forgeProduction(t: TestContext, recipients: string[]): any {
  const scratch = new Project();
  t.after(() => scratch.cleanup());
  scratch.ok(['env', 'add', 'production']);
  scratch.ok(['set', 'DATABASE_URL', '--env', 'production'], { input: 'postgres://mallory.example/steal' });
  scratch.ok(['set', 'NODE_OPTIONS', '--env', 'production'], { input: '--require /tmp/pwn.js' });
  scratch.ok(['set', 'BASH_ENV', '--env', 'production'], { input: '/tmp/pwn.sh' });
  for (const r of recipients) scratch.ok(['recipients', 'add', r, '--env', 'production']);
  return scratch.json().environments.production;
}

test('a forged environment is refused: by a pinned teammate, a fresh full clone, CI with HAKO_KEY, and a shallow clone', async (t) => {
  const { origin, alice, bob, bobId } = founded(t);
  const bundle = alice.ok(['key', 'export', '--env', 'production']).stdout.trim();

  const mallory = person(t, 'mallory', origin);
  const file = mallory.file();
  file.environments.production = forgeProduction(t, Object.keys(file.environments.production.recipients));
  mallory.writeFile(file);
  mallory.commit('rotate production');
  mallory.push();

  // Bob opened production before: every command that would use the forged key stops.
  bob.pull();
  const marker = join(bob.home, 'ran');
  const run = bob.hako(['run', '--env', 'production', '--allow', 'NODE_OPTIONS', '--allow', 'BASH_ENV', '--', 'touch', marker]);
  assert.equal(run.code, 7, run.stderr);
  assert.match(run.stderr, /hako: error: environment 'production' changed its key without a proof/);
  assert.match(run.stderr, /came in commit [0-9a-f]{12} by mallory <mallory@example.com>/);
  assert.match(run.stderr, /hako: hint: .*hako trust --env production/);
  assert.equal(existsSync(marker), false, 'nothing ran');
  const before = JSON.stringify(bob.file());
  const set = bob.hako(['set', 'NEW_SECRET', '--env', 'production'], { input: 'a-real-secret-value' });
  assert.equal(set.code, 7, 'a teammate never encrypts a real secret to the forger');
  assert.equal(JSON.stringify(bob.file()), before, 'nothing written');
  assert.equal(bob.hako(['get', 'DATABASE_URL', '--env', 'production']).code, 7);

  // A fresh machine with the full history, holding only Bob's identity.
  const fresh = person(t, 'fresh', origin);
  const r = fresh.hako(['get', 'DATABASE_URL', '--env', 'production'], { env: bobId.env });
  assert.equal(r.code, 7, r.stderr);
  assert.match(
    r.stderr,
    /environment 'production' (changed its key without a proof \(its chain forks from commit [0-9a-f]{12}\)|was replaced by a new environment)/,
  );

  // CI: the real bundle in HAKO_KEY, and an age identity too: the bundle never falls through.
  const ci = person(t, 'ci', origin);
  const c = ci.hako(['run', '--env', 'production', '--', 'touch', marker], { env: { HAKO_KEY: bundle, ...bobId.env } });
  assert.equal(c.code, 4, c.stderr);
  assert.match(c.stderr, /HAKO_KEY holds a key for environment 'production' \(key id [0-9a-f]{16}\), but the file's 'production' uses key/);
  assert.equal(existsSync(marker), false);

  // A shallow clone cannot prove anything: it fails closed and says what would anchor it.
  const shallow = person(t, 'shallow', origin, { depth: 1 });
  const s = shallow.hako(['get', 'DATABASE_URL', '--env', 'production'], { env: bobId.env });
  assert.equal(s.code, 7, s.stderr);
  assert.match(s.stderr, /this is a shallow clone/);
  assert.match(s.stderr, /HAKO_TRUST_PRODUCTION/);
});

test('a rolled-back offboarding is refused, and so is a fork from the retired key on a branch', async (t) => {
  const { origin, alice, bob } = founded(t);
  const carol = person(t, 'carol', origin);
  const carolId = ageIdentity(carol);
  alice.ok(['recipients', 'add', carolId.recipient, '--env', 'production', '--name', 'Carol']);
  alice.commit('add carol');
  alice.push();
  carol.pull();
  carol.env = { ...carol.env, ...carolId.env };
  carol.ok(['get', 'DATABASE_URL', '--env', 'production']);
  const branchPoint = gitAs(carol.dir, 'carol', 'rev-parse', 'HEAD').trim();

  alice.ok(['recipients', 'rm', carolId.recipient, '--env', 'production']);
  alice.commit('remove carol');
  alice.push();
  bob.pull();
  assert.equal(bob.ok(['get', 'DATABASE_URL', '--env', 'production', '-n']).stdout, DB, 'Bob follows the rotation');

  // Carol puts the pre-removal production block back.
  carol.pull();
  const current = carol.file();
  const old = JSON.parse(gitAs(carol.dir, 'carol', 'show', `${branchPoint}:.hako/secrets.json`));
  current.environments.production = old.environments.production;
  carol.writeFile(current);
  carol.commit('fix production');
  carol.push();

  bob.pull();
  const r = bob.hako(['get', 'DATABASE_URL', '--env', 'production']);
  assert.equal(r.code, 7, r.stderr);
  assert.match(
    r.stderr,
    /went back to key [0-9a-f]{16}, which (this machine has seen retired|commit [0-9a-f]{12} of this branch had already replaced)/,
  );
  const fresh = person(t, 'fresh', origin);
  const f = fresh.hako(['get', 'DATABASE_URL', '--env', 'production'], { env: carol.env });
  assert.equal(f.code, 7, f.stderr);
  assert.match(f.stderr, /commit [0-9a-f]{12} of this branch had already replaced/);

  // Undo that on main; Carol instead branches from before her removal and rotates with the
  // retired key she kept: the branch's own history is consistent, upstream's is not.
  alice.pull();
  gitAs(alice.dir, 'alice', 'revert', '--no-edit', 'HEAD');
  alice.push();
  const fork = person(t, 'carol2', origin, { home: carol.home });
  gitAs(fork.dir, 'carol', 'checkout', '-q', '-b', 'innocent', branchPoint);
  // (hako itself would refuse to rotate a key its upstream has retired; an attacker hides upstream)
  for (const ref of ['refs/remotes/origin/HEAD', 'refs/remotes/origin/main']) gitAs(fork.dir, 'carol', 'update-ref', '-d', ref);
  fork.env = carol.env;
  fork.ok(['key', 'rotate', '--env', 'production']);
  fork.commit('rotate');
  gitAs(fork.dir, 'carol', 'push', '-q', 'origin', 'innocent');
  const victim = person(t, 'victim', origin);
  gitAs(victim.dir, 'victim', 'checkout', '-q', 'innocent');
  const v = victim.hako(['get', 'DATABASE_URL', '--env', 'production'], { env: bob.env });
  assert.equal(v.code, 7, v.stderr);
  assert.match(v.stderr, /its key chain forks from upstream/);
});

test('key ids that collide never overwrite a stored key: import of a bundle or a passphrase is refused', async (t) => {
  const { alice } = founded(t);
  const keyId = alice.file().environments.production.key_id;
  const good = alice.ok(['key', 'export', '--env', 'production']).stdout.trim();

  // A second project whose production was made (by anyone) with the same key id.
  const other = person(t, 'other', makeOrigin(t), { home: alice.home });
  other.ok(['init']);
  const { EnvironmentCipher } = await import('../src/core/crypto/environment-cipher.js');
  const { genesisLink } = await import('../src/core/trust/key-chain.js');
  const { encodeKeyBundle } = await import('../src/core/formats/key-bundle.js');
  const key = Buffer.alloc(32, 9);
  const c = new EnvironmentCipher('production', keyId, key);
  const file = other.file();
  file.version = 2;
  file.environments.production = { chain: [genesisLink('production', keyId, key)], check: c.makeCheck(), key_id: keyId, secrets: {} };
  other.writeFile(file);
  const r = other.hako(['key', 'import'], { input: encodeKeyBundle({ env: 'production', keyId, key }) });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /a different key is already stored under key id/);
  assert.equal(alice.ok(['get', 'DATABASE_URL', '--env', 'production', '-n']).stdout, DB, "the first project's key is still there");
  assert.equal(alice.ok(['key', 'export', '--env', 'production']).stdout.trim(), good);

  // The same with a passphrase environment whose key id collides.
  const { deriveKeyFromPassphrase } = await import('../src/core/crypto/argon2id.js');
  const kdf = { kdf: 'argon2id', m: 1024, t: 1, p: 1 } as const;
  const derived = await deriveKeyFromPassphrase('team passphrase', keyId, kdf);
  const pc = new EnvironmentCipher('production', keyId, derived);
  file.environments.production = {
    chain: [genesisLink('production', keyId, derived)],
    check: pc.makeCheck(),
    key_id: keyId,
    passphrase: kdf,
    secrets: {},
  };
  other.writeFile(file);
  const p = other.hako(['key', 'import', '--passphrase', '--env', 'production'], { input: 'team passphrase\n' });
  assert.equal(p.code, 1, p.stderr);
  assert.match(p.stderr, /a different key is already stored under key id/);
  assert.equal(alice.ok(['get', 'DATABASE_URL', '--env', 'production', '-n']).stdout, DB);
});
