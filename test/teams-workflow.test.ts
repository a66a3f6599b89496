// Issue 4, acceptance 1: a teammate with only an age identity opens the environment after
// `recipients add`; after `recipients rm` the removed identity no longer opens it, everyone
// left still does, and git diff shows the new key id, re-encrypted values and recipients.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Project, assertNoSecretIn, finished, git, spawnHako, hakoInProcessByDefault } from './helpers.js';
import { ageKeygen, commitAll, diffLines, keyFilesOf, machine, sshKeygen } from './teams-helpers.js';
import { needTools } from './tools.js';

hakoInProcessByDefault();

const VALUES: Record<string, string> = {
  DATABASE_URL: 'postgres://app:pw-7f3a@db.internal/app',
  STRIPE_KEY: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
  SESSION_SECRET: 'b1946ac92492d2347c6235b4d2611184',
};

test('add gives a teammate with only an age identity access; rm takes it away and rotates', async (t) => {
  if (!needTools(t, 'ssh-keygen')) return;
  const p = new Project();
  const bob = machine(t, 'bob');
  const carol = machine(t, 'carol');
  const dave = machine(t, 'dave');
  t.after(() => p.cleanup());
  for (const [k, v] of Object.entries(VALUES)) p.set(k, v, 'production');
  p.set('DEV_ONLY', 'dev-value', 'development');

  // Bob: `hako keygen` into the sops keys file. Carol: her ssh key. Dave: a post-quantum identity.
  const kg = p.ok(['keygen'], { env: bob.env });
  const bobRecipient = kg.stdout.trim();
  assert.match(bobRecipient, /^age1[02-9ac-hj-np-z]{58}$/);
  const bobKeys = join(bob.home, '.config', 'sops', 'age', 'keys.txt');
  assert.equal(statSync(bobKeys).mode & 0o777, 0o600);
  assert.equal(p.ok(['pubkey'], { env: bob.env }).stdout, `${bobRecipient}\n`);
  mkdirSync(join(carol.home, '.ssh'), { mode: 0o700 });
  sshKeygen(join(carol.home, '.ssh', 'id_ed25519'));
  const carolRecipient = readFileSync(join(carol.home, '.ssh', 'id_ed25519.pub'), 'utf8').trim(); // with its comment
  const davePq = p.ok(['keygen', '--pq', '--out', join(dave.home, 'pq.txt')], { env: dave.env }).stdout.trim();
  assert.match(davePq, /^age1pq1/);
  const daveEnv = { ...dave.env, SOPS_AGE_KEY_FILE: join(dave.home, 'pq.txt') };

  const before = p.run(['get', 'STRIPE_KEY', '--env', 'production'], { env: bob.env });
  assert.equal(before.code, 3, 'no access before being added');

  p.ok(['recipients', 'add', bobRecipient, '--env', 'production', '--name', 'Bob <bob@example.com>', '--role', 'engineer']);
  p.ok(['recipients', 'add', ...carolRecipient.split(' '), '--env', 'production', '--name', 'Carol', '--role', 'sre']); // unquoted works too
  p.ok(['recipients', 'add', davePq, '--env', 'production', '--name', 'deploy runner', '--role', 'ci']);

  for (const [who, env] of [
    ['bob', bob.env],
    ['carol', carol.env],
    ['dave', daveEnv],
  ] as const) {
    assert.equal(p.ok(['get', 'STRIPE_KEY', '--env', 'production', '-n'], { env }).stdout, VALUES['STRIPE_KEY'], who);
    assert.equal(p.run(['get', 'DEV_ONLY', '--env', 'development'], { env }).code, 3, `${who}: only production`);
  }
  assert.deepEqual(keyFilesOf(bob), [], 'bob opened it with his identity alone: no key file was made');
  const who = JSON.parse(p.ok(['whoami', '--json'], { env: bob.env }).stdout);
  assert.deepEqual(
    who.identities.map((i: any) => [i.recipient, i.from, i.opens]),
    [[bobRecipient, `${bobKeys}, line 3`, ['production']]],
  );
  assert.match(p.ok(['env', 'ls'], { env: carol.env }).stdout, /production .*open \(age identity from .*id_ed25519\)/);

  const doc = readFileSync(join(p.dir, '.hako', 'recipients.md'), 'utf8');
  assert.match(
    doc,
    new RegExp(`^\\| \`${bobRecipient}\` \\| Bob <bob@example.com> \\| engineer \\| production \\| \\d{4}-\\d{2}-\\d{2} \\|$`, 'm'),
  );
  assert.match(doc, /^\| `ssh-ed25519 AAAA[A-Za-z0-9+/=]+` \| Carol \| sre \| production \| /m);
  const ls = JSON.parse(p.ok(['recipients', 'ls', '--json']).stdout);
  assert.deepEqual(
    ls.map((r: any) => [r.kind, r.name, r.environments]).sort(),
    [
      ['pq-hybrid', 'deploy runner', ['production']],
      ['ssh-ed25519', 'Carol', ['production']],
      ['x25519', 'Bob <bob@example.com>', ['production']],
    ].sort(),
  );
  commitAll(p.dir, 'give bob, carol and the runner access');
  const oldKeyId = p.json().environments.production.key_id;

  // Offboarding Bob.
  const rm = p.ok(['recipients', 'rm', bobRecipient, '--env', 'production']);
  for (const name of Object.keys(VALUES)) assert.match(rm.stdout, new RegExp(`\\[ \\] ${name}$`, 'm'), `checklist lists ${name}`);
  assert.doesNotMatch(rm.stdout, /DEV_ONLY/);
  assertNoSecretIn([rm.stdout, rm.stderr], Object.values(VALUES));

  const after = p.run(['get', 'STRIPE_KEY', '--env', 'production'], { env: bob.env });
  assert.equal(after.code, 3, 'the removed identity no longer opens it');
  assert.match(after.stderr, /none of this machine's 1 age identity is a recipient of 'production'/);
  for (const [who, env] of [
    ['carol', carol.env],
    ['dave', daveEnv],
    ['alice', {}],
  ] as const) {
    assert.equal(p.ok(['get', 'STRIPE_KEY', '--env', 'production', '-n'], { env }).stdout, VALUES['STRIPE_KEY'], `${who} still opens it`);
  }

  const newKeyId = p.json().environments.production.key_id;
  assert.notEqual(newKeyId, oldKeyId);
  const secrets = diffLines(p.dir, '.hako/secrets.json');
  assert.ok(
    secrets.minus.some((l) => l.includes(`"key_id": "${oldKeyId}"`)) && secrets.plus.some((l) => l.includes(`"key_id": "${newKeyId}"`)),
    'new key id in the diff',
  );
  for (const name of Object.keys(VALUES)) {
    assert.ok(
      secrets.minus.some((l) => l.includes(`"${name}": "v`)) && secrets.plus.some((l) => l.includes(`"${name}": "v2:`)),
      `${name} re-encrypted`,
    );
  }
  assert.ok(
    secrets.minus.some((l) => l.includes(bobRecipient)) && !secrets.plus.some((l) => l.includes(bobRecipient)),
    "bob's entry is gone",
  );
  assert.ok(!secrets.minus.some((l) => l.includes('DEV_ONLY')), 'other environments untouched');
  const docDiff = diffLines(p.dir, '.hako/recipients.md');
  assert.deepEqual(docDiff.plus, []);
  assert.equal(docDiff.minus.length, 1);
  assert.match(docDiff.minus[0]!, new RegExp(`^\\| \`${bobRecipient}\` \\| Bob`));

  // Bob's old clone: the old commit still opens with his identity (history is history).
  git(p.dir, 'stash');
  assert.equal(p.ok(['get', 'STRIPE_KEY', '--env', 'production', '-n'], { env: bob.env }).stdout, VALUES['STRIPE_KEY']);
  const oldEntry: string = p.json().environments.production.recipients[bobRecipient];
  git(p.dir, 'stash', 'pop');
  // …but his old entry pasted into the new file wraps the old key: refused, never used.
  const forged = p.json();
  forged.environments.production.recipients[bobRecipient] = oldEntry;
  writeFileSync(join(p.dir, '.hako', 'secrets.json'), JSON.stringify(forged, null, 2) + '\n');
  const stale = p.run(['get', 'STRIPE_KEY', '--env', 'production'], { env: bob.env });
  assert.equal(stale.code, 4);
  assert.match(stale.stderr, /does not open environment 'production'/);
});

test('identities are found in every place sops looks, with # comments and several per file', async (t) => {
  if (!needTools(t, 'age-keygen', 'ssh-keygen')) return;
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('TOKEN', 'tok-3c1d9e', 'staging');
  const m = machine(t, 'sources');
  const other = ageKeygen(join(m.home, 'other.txt'));
  const mine = ageKeygen(join(m.home, 'mine.txt'));
  const otherId = readFileSync(join(m.home, 'other.txt'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
  const mineId = readFileSync(join(m.home, 'mine.txt'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
  p.ok(['recipients', 'add', mine, '--env', 'staging']);

  // A key file with comments, a blank line and two identities; ours second.
  const multi = join(m.home, 'multi.txt');
  writeFileSync(multi, `# team laptop\n# public key: ${other}\n${otherId}\n\n# mine\n${mineId}\n`, { mode: 0o600 });
  const xdg = join(m.home, 'xdg');
  mkdirSync(join(xdg, 'sops', 'age'), { recursive: true });
  writeFileSync(join(xdg, 'sops', 'age', 'keys.txt'), `${mineId}\n`, { mode: 0o600 });
  const sshKey = sshKeygen(join(m.home, 'deploy_key'));
  p.ok(['recipients', 'add', readFileSync(`${sshKey}.pub`, 'utf8'), '--env', 'staging']);

  const sources: [string, NodeJS.ProcessEnv, RegExp][] = [
    ['HAKO_AGE_KEY', { HAKO_AGE_KEY: `${otherId} ${mineId}` }, /^HAKO_AGE_KEY/],
    ['SOPS_AGE_KEY', { SOPS_AGE_KEY: `# comment\n${otherId}\n${mineId}` }, /^SOPS_AGE_KEY, line 3$/],
    ['SOPS_AGE_KEY_FILE', { SOPS_AGE_KEY_FILE: multi }, /^SOPS_AGE_KEY_FILE \(.*multi\.txt\), line 6$/],
    ['SOPS_AGE_KEY_CMD', { SOPS_AGE_KEY_CMD: `cat '${multi}'` }, /^SOPS_AGE_KEY_CMD, line 6$/],
    ['XDG_CONFIG_HOME keys file', { XDG_CONFIG_HOME: xdg }, /xdg\/sops\/age\/keys\.txt, line 1$/],
    ['SOPS_AGE_SSH_PRIVATE_KEY_FILE', { SOPS_AGE_SSH_PRIVATE_KEY_FILE: sshKey }, /^SOPS_AGE_SSH_PRIVATE_KEY_FILE \(.*deploy_key\)$/],
  ];
  for (const [what, extra, origin] of sources) {
    const env = { ...m.env, ...extra };
    assert.equal(p.ok(['get', 'TOKEN', '--env', 'staging', '-n'], { env }).stdout, 'tok-3c1d9e', what);
    const w = JSON.parse(p.ok(['whoami', '--json'], { env }).stdout);
    const opener = w.identities.find((i: any) => i.opens.includes('staging'));
    assert.match(opener.from, origin, `${what}: where it came from`);
    assert.equal(w.problems.length, 0, what);
  }
  // The default ssh key, ~/.ssh/id_ed25519.
  mkdirSync(join(m.home, '.ssh'), { mode: 0o700 });
  writeFileSync(join(m.home, '.ssh', 'id_ed25519'), readFileSync(sshKey), { mode: 0o600 });
  chmodSync(join(m.home, '.ssh', 'id_ed25519'), 0o600);
  assert.equal(p.ok(['get', 'TOKEN', '--env', 'staging', '-n'], { env: m.env }).stdout, 'tok-3c1d9e', '~/.ssh/id_ed25519');
  // The child of `SOPS_AGE_KEY_CMD` never sees key material from hako's environment.
  const probe = join(m.home, 'probe.sh');
  writeFileSync(probe, `#!/bin/sh\nenv | grep -c '^HAKO_AGE_KEY=' >&2\ncat '${multi}'\n`, { mode: 0o700 });
  // A real process: the command's stderr is hako's own.
  const r = p.ok(['get', 'TOKEN', '--env', 'staging', '-n'], {
    env: { ...m.env, SOPS_AGE_KEY_CMD: probe, HAKO_AGE_KEY: otherId },
    process: true,
  });
  assert.match(r.stderr, /^0$/m);
});

test('key rotate rewraps every kind of recipient; concurrent adds lose nothing', async (t) => {
  if (!needTools(t, 'age-keygen', 'ssh-keygen')) return;
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('TOKEN', 'tok-rotate-5d', 'production');
  const x = machine(t, 'rot-x');
  const s = machine(t, 'rot-s');
  const q = machine(t, 'rot-q');
  mkdirSync(join(x.home, '.config', 'sops', 'age'), { recursive: true, mode: 0o700 });
  p.ok(['recipients', 'add', ageKeygen(join(x.home, '.config', 'sops', 'age', 'keys.txt')), '--env', 'production']);
  mkdirSync(join(s.home, '.ssh'), { mode: 0o700 });
  p.ok(['recipients', 'add', readFileSync(`${sshKeygen(join(s.home, '.ssh', 'id_ed25519'))}.pub`, 'utf8'), '--env', 'production']);
  const pq = p.ok(['keygen', '--pq'], { env: q.env }).stdout.trim();
  p.ok(['recipients', 'add', pq, '--env', 'production']);
  const before = p.json().environments.production;
  p.ok(['key', 'rotate', '--env', 'production']);
  const after = p.json().environments.production;
  assert.notEqual(after.key_id, before.key_id);
  assert.deepEqual(Object.keys(after.recipients).sort(), Object.keys(before.recipients).sort());
  for (const m of [x, s, q]) assert.equal(p.ok(['get', 'TOKEN', '--env', 'production', '-n'], { env: m.env }).stdout, 'tok-rotate-5d');

  // Four people added at once, each by their own hako: every entry and every row lands.
  const others = [0, 1, 2, 3].map((i) => ageKeygen(join(x.home, `c${i}.txt`)));
  const runs = others.map((r, i) =>
    finished(spawnHako(['recipients', 'add', r, '--env', 'production', '--name', `person ${i}`], { cwd: p.dir, env: p.env })),
  );
  for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
  const recipients = Object.keys(p.json().environments.production.recipients);
  for (const r of others) assert.ok(recipients.includes(r));
  const doc = readFileSync(join(p.dir, '.hako', 'recipients.md'), 'utf8');
  for (let i = 0; i < 4; i++) assert.match(doc, new RegExp(`\\| \`${others[i]}\` \\| person ${i} \\|`));
});
