// SOPS-bound environments: a real SOPS file (a vector sops wrote) bound with
// `hako env add NAME --sops PATH`; ls/get/set/rm/run work on it; a set changes only that
// value's line, `mac` and `lastmodified`, and what hako wrote opens in two readings that are
// not hako's (the npm sops-age package, and the spec reading in test/sops/spec-reader.ts,
// which checks the MAC). A file whose data key changed without a signed chain link is
// refused like a forged native environment, and a MAC mismatch opens nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { needTools, toolPath } from './tools.js';
import { decryptSops } from 'sops-age';
import { git, Project, tempDir, hakoInProcessByDefault } from './helpers.js';
import { SOPS_VECTORS } from './sops/vectors.js';
import { specDataKey, specDecrypt } from './sops/spec-reader.js';
import { sopsKeyId } from '../src/core/sops/binding.js';
import { genesisLink } from '../src/core/trust/key-chain.js';

hakoInProcessByDefault();

const HELM = 'helm-secrets_secrets.age.yaml';
const HELM_KEY = 'helm-secrets_age-key.txt';

/** A project with the vector copied to secrets/app.enc.yaml and its age key as SOPS_AGE_KEY_FILE. */
function boundProject(vector = HELM, keyName = HELM_KEY, target = 'secrets/app.enc.yaml') {
  const p = new Project();
  mkdirSync(join(p.dir, 'secrets'));
  copyFileSync(join(SOPS_VECTORS, 'files', vector), join(p.dir, target));
  const keyDir = tempDir('hako-sops-key-');
  const keyFile = join(keyDir, 'keys.txt');
  copyFileSync(join(SOPS_VECTORS, 'keys', keyName), keyFile);
  chmodSync(keyFile, 0o600);
  p.env = { ...p.env, SOPS_AGE_KEY_FILE: keyFile };
  const identity = readFileSync(keyFile, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
  const recipient = readFileSync(keyFile, 'utf8').match(/public key: (age1\S+)/)?.[1] ?? '';
  return { p, keyFile, identity, recipient, path: join(p.dir, target), rel: target };
}

function changed(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  assert.equal(b.length, a.length, 'the number of lines is the same');
  return b.filter((l, i) => l !== a[i]);
}

test('a vector SOPS file bound with env add --sops: ls, get, set (small diff), rm, run; sops-age and the spec reading open what hako wrote', async () => {
  const { p, identity, path } = boundProject();
  try {
    const add = p.ok(['env', 'add', 'prod', '--sops', 'secrets/app.enc.yaml']);
    assert.match(add.stderr, /bound environment 'prod' to secrets\/app\.enc\.yaml \(key id [0-9a-f]{16}, 2 secrets\)/);
    assert.match(add.stderr, /left alone .*service/);
    const entry = p.json().environments.prod;
    assert.deepEqual(Object.keys(entry).sort(), ['chain', 'key_id', 'sops']);
    assert.equal(entry.sops, 'secrets/app.enc.yaml');
    assert.equal(entry.chain.length, 1);
    const expected = JSON.parse(readFileSync(join(SOPS_VECTORS, 'expected', `${HELM}.json`), 'utf8'));
    assert.equal(entry.key_id, sopsKeyId(Buffer.from(expected.data_key_hex, 'hex')), 'key_id is derived from the data key');

    const ls = p.ok(['ls', '--env', 'prod']).stdout;
    assert.match(ls, /global_secret/);
    assert.match(ls, /\bkey\b/);
    assert.doesNotMatch(ls, /service|port/, 'nested values are not secrets');
    assert.equal(p.get('global_secret', 'prod'), 'global_age');

    const before = readFileSync(path, 'utf8');
    p.set('global_secret', 'rotated-by-hako', 'prod');
    const after = readFileSync(path, 'utf8');
    const lines = changed(before, after);
    assert.equal(lines.length, 3, `only the value, mac and lastmodified change: ${lines.map((l) => l.slice(0, 30)).join(' | ')}`);
    assert.ok(lines[0]!.startsWith('global_secret: ENC[AES256_GCM,'));
    assert.ok(lines.some((l) => l.trimStart().startsWith('lastmodified:')));
    assert.ok(lines.some((l) => l.trimStart().startsWith('mac: ENC[')));
    assert.ok(!after.includes('rotated-by-hako'));
    assert.ok(after.includes(before.split('\n')[1]!), 'the unchanged value keeps its exact ciphertext');
    assert.equal(p.get('global_secret', 'prod'), 'rotated-by-hako');
    assert.deepEqual(p.json().environments.prod, entry, 'a value change leaves the binding as it was');

    // Readings that are not hako's: the data key is the same, the MAC verifies, the value is there.
    const key = await specDataKey(after, 'yaml', identity);
    assert.equal(key.toString('hex'), expected.data_key_hex);
    const spec = specDecrypt(after, 'yaml', key);
    assert.ok(spec.values.some(([k, v]) => k === 'global_secret' && v === 'rotated-by-hako'));
    const out = (await decryptSops(after, { fileType: 'yaml', secretKey: identity })) as Record<string, unknown>;
    assert.equal(out['global_secret'], 'rotated-by-hako');
    assert.deepEqual(out['service'], { port: 92 });

    // A new name is appended; the file is written the way sops writes it, and still opens.
    p.set('NEW_TOKEN', 't-123', 'prod');
    const grown = readFileSync(path, 'utf8');
    assert.match(grown, /^NEW_TOKEN: ENC\[AES256_GCM,/m);
    const out2 = (await decryptSops(grown, { fileType: 'yaml', secretKey: identity })) as Record<string, unknown>;
    assert.equal(out2['NEW_TOKEN'], 't-123');
    specDecrypt(grown, 'yaml', key);

    const run = p.ok(['run', '--env', 'prod', '--', 'sh', '-c', 'printf "%s|%s|%s" "$global_secret" "$NEW_TOKEN" "${service-unset}"']);
    assert.equal(run.stdout.replace(/\[REDACTED:\w+\]/g, 'R'), 'R|R|unset');
    const plain = p.ok(['run', '--env', 'prod', '--no-redact', '--', 'sh', '-c', 'printf "%s|%s" "$global_secret" "$NEW_TOKEN"']);
    assert.equal(plain.stdout, 'rotated-by-hako|t-123');

    p.ok(['rm', 'NEW_TOKEN', '--env', 'prod']);
    assert.doesNotMatch(readFileSync(path, 'utf8'), /NEW_TOKEN/);
    assert.equal(p.run(['get', 'NEW_TOKEN', '--env', 'prod']).code, p.run(['get', 'NOPE', '--env', 'prod']).code);
    const prod = JSON.parse(p.ok(['env', 'ls', '--json']).stdout).find((e: { env: string }) => e.env === 'prod');
    assert.equal(prod.key, 'sops');
    assert.equal(prod.opens, true);
  } finally {
    p.cleanup();
  }
});

test('a dotenv vector binds too, and export hands out its values', () => {
  const { p } = boundProject('sops-age_secret.enc.env', 'sops-age_key.txt', 'secrets/app.enc.env');
  try {
    p.ok(['env', 'add', 'staging', '--sops', 'secrets/app.enc.env']);
    const out = JSON.parse(p.ok(['export', '--env', 'staging', '--format', 'json']).stdout);
    assert.deepEqual(out, { another_secret: '7', secret: 'this is a secret' });
    // hako edit: only the edited value's line, mac and lastmodified change.
    const path = join(p.dir, 'secrets', 'app.enc.env');
    const before = readFileSync(path, 'utf8');
    const ed = p.run(['edit', '--env', 'staging'], { env: { EDITOR: 'sed -i s/^another_secret=7$/another_secret=8/' } });
    assert.equal(ed.code, 0, ed.stderr);
    const lines = changed(before, readFileSync(path, 'utf8'));
    assert.equal(lines.length, 3);
    assert.ok(lines[0]!.startsWith('another_secret=ENC[AES256_GCM,'));
    assert.equal(p.get('another_secret', 'staging'), '8');
    assert.equal(p.run(['key', 'export', '--env', 'staging']).code, 2, 'a data key is shared through recipients, not bundles');
    // doctor counts the file's age recipients, and does not call its data key a random key with none.
    const doctor = JSON.parse(p.ok(['doctor', '--json']).stdout);
    const row = doctor.environments.find((e: { env: string }) => e.env === 'staging');
    assert.equal(row.key, 'sops');
    assert.equal(row.recipients, readFileSync(path, 'utf8').match(/^sops_age__list_\d+__map_recipient=/gm)!.length);
    assert.ok(row.recipients > 0);
    assert.ok(!JSON.stringify(doctor.findings).includes("'staging' has a single way in: its random key"));
  } finally {
    p.cleanup();
  }
});

test('a SOPS file replaced by one with another data key is refused (E_KEY_CHANGED), binding rewritten or not', async () => {
  const { p, path, recipient, identity } = boundProject();
  try {
    p.ok(['env', 'add', 'prod', '--sops', 'secrets/app.enc.yaml']);
    git(p.dir, 'add', '-A');
    git(p.dir, 'commit', '-qm', 'bind prod');
    assert.equal(p.get('global_secret', 'prod'), 'global_age');

    // A repository writer (who holds no key of the file) encrypts values of their own to the
    // team's public recipient: a valid SOPS file with a new data key.
    const forged = join(p.dir, 'forged.yaml');
    writeFileSync(forged, 'global_secret: attacker-value\nkey: x\n');
    const enc = p.run(['sops', 'encrypt', '--age', recipient, 'forged.yaml']);
    assert.equal(enc.code, 0, enc.stderr);
    writeFileSync(path, enc.stdout);
    const r = p.run(['get', 'global_secret', '--env', 'prod']);
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stderr, /E_KEY_CHANGED|changed without a proof/);
    assert.ok(!r.stdout.includes('attacker-value'));
    const run = p.run(['run', '--env', 'prod', '--', 'sh', '-c', 'echo "$global_secret"']);
    assert.equal(run.code, 7);
    assert.ok(!run.stdout.includes('attacker-value'));

    // The writer also rewrites the binding for the new data key, with a chain of its own
    // (they made that key, so they can sign for it), and commits both.
    const dk = await specDataKey(enc.stdout, 'yaml', identity);
    const doc = p.json();
    const keyId = sopsKeyId(dk);
    doc.environments.prod = { chain: [genesisLink('prod', keyId, dk)], key_id: keyId, sops: 'secrets/app.enc.yaml' };
    writeFileSync(join(p.dir, '.hako', 'secrets.json'), `${JSON.stringify(doc, null, 2)}\n`);
    git(p.dir, 'add', '-A');
    git(p.dir, 'commit', '-qm', 'innocent-looking change');
    const pinned = p.run(['get', 'global_secret', '--env', 'prod']);
    assert.equal(pinned.code, 7, pinned.stderr);
    assert.ok(!pinned.stdout.includes('attacker-value'));
    // A machine that never opened it (no pin) decides from git history: a fork, refused too.
    const fresh = p.run(['get', 'global_secret', '--env', 'prod'], { env: { HAKO_HOME: tempDir('hako-home-') } });
    assert.equal(fresh.code, 7, fresh.stderr);
    assert.match(fresh.stderr, /changed its key|replaced/);
  } finally {
    p.cleanup();
  }
});

test('a MAC mismatch opens nothing (fail closed); a binding may not leave the repository', () => {
  const { p, path } = boundProject();
  try {
    p.ok(['env', 'add', 'prod', '--sops', 'secrets/app.enc.yaml']);
    const text = readFileSync(path, 'utf8');
    // Dropping a value keeps every other value authentic, but the MAC no longer matches.
    writeFileSync(
      path,
      text
        .split('\n')
        .filter((l) => !l.startsWith('global_secret:'))
        .join('\n'),
    );
    const r = p.run(['get', 'key', '--env', 'prod']);
    assert.equal(r.code, 4, r.stderr); // E_TAMPERED
    assert.match(r.stderr, /MAC mismatch/);
    assert.equal(r.stdout, '');
    assert.notEqual(p.run(['run', '--env', 'prod', '--', 'true']).code, 0);

    const outside = tempDir('hako-outside-');
    copyFileSync(join(SOPS_VECTORS, 'files', HELM), join(outside, 'x.yaml'));
    symlinkSync(outside, join(p.dir, 'linked'));
    const bad = p.run(['env', 'add', 'other', '--sops', 'linked/x.yaml']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /inside the repository/);
    assert.notEqual(p.run(['env', 'add', 'other', '--sops', '../x.yaml']).code, 0);
  } finally {
    p.cleanup();
  }
});

async function person(dir: string, name: string) {
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const file = join(dir, `${name}.txt`);
  writeFileSync(file, `# ${name}\n${identity}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { identity, recipient, file, home: tempDir(`hako-home-${name}-`) };
}

test('a new SOPS environment from a .sops.yaml rule; recipients add (rewrap) and rm (rotate, chain extended), key rotate, sops rotate -i', async (t) => {
  const p = new Project();
  const keys = tempDir('hako-sops-people-');
  try {
    const alice = await person(keys, 'alice');
    const bob = await person(keys, 'bob');
    const as = (who: { file: string; home: string }) => ({ env: { SOPS_AGE_KEY_FILE: who.file, HAKO_HOME: who.home, HOME: who.home } });
    writeFileSync(join(p.dir, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${alice.recipient}\n`);
    const add = p.run(['env', 'add', 'prod', '--sops', 'secrets/prod.enc.yaml'], as(alice));
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stderr, /a new SOPS file secrets\/prod\.enc\.yaml/);
    const path = join(p.dir, 'secrets', 'prod.enc.yaml');
    for (const [k, v] of [
      ['DB_PASSWORD', 'hunter22'],
      ['API_TOKEN', 't-1'],
    ]) {
      const r = p.run(['set', k!, '--env', 'prod'], { ...as(alice), input: v! });
      assert.equal(r.code, 0, r.stderr);
    }
    git(p.dir, 'add', '-A');
    git(p.dir, 'commit', '-qm', 'prod on sops');
    const keyId1 = p.json().environments.prod.key_id;
    assert.equal(p.run(['get', 'DB_PASSWORD', '--env', 'prod'], as(bob)).code, 3, 'bob has no key yet (E_NO_KEY)');

    // bob joins: the same data key is wrapped for him; only the key entries of the file change.
    const before = readFileSync(path, 'utf8');
    const ra = p.run(['recipients', 'add', bob.recipient, '--env', 'prod', '--name', 'Bob'], as(alice));
    assert.equal(ra.code, 0, ra.stderr);
    const after = readFileSync(path, 'utf8');
    assert.equal(p.json().environments.prod.key_id, keyId1, 'adding keeps the data key');
    const valueLines = (s: string) => s.split('\n').filter((l) => /^[A-Z_]+: ENC\[/.test(l) || /^\s+(mac|lastmodified):/.test(l));
    assert.deepEqual(valueLines(after), valueLines(before), 'values, mac and lastmodified are untouched');
    assert.match(readFileSync(join(p.dir, '.sops.yaml'), 'utf8'), new RegExp(`${alice.recipient},${bob.recipient}`));
    const doc = readFileSync(join(p.dir, 'secrets', 'recipients.md'), 'utf8');
    assert.match(doc, new RegExp(`${bob.recipient}` + '` \\| Bob \\|'));
    git(p.dir, 'add', '-A');
    git(p.dir, 'commit', '-qm', 'bob joins');
    assert.equal(p.run(['get', 'DB_PASSWORD', '--env', 'prod', '-n'], as(bob)).stdout, 'hunter22');
    const ls = p.run(['recipients', 'ls', '--env', 'prod'], as(alice));
    assert.match(ls.stdout, new RegExp(bob.recipient.slice(0, 20)));

    // The data key the real age CLI opens from bob's entry is the one the binding names.
    if (needTools(t, 'age')) {
      const { specLeaves } = await import('./sops/spec-reader.js');
      for (const enc of specLeaves(after, 'yaml').ageEncs) {
        const r = spawnSync(toolPath('age')!, ['-d', '-i', bob.file], { input: enc });
        if (r.status === 0) assert.equal(sopsKeyId(r.stdout), keyId1);
      }
    }

    // bob leaves: a new data key, every value re-encrypted, the chain extended by the old key.
    const rr = p.run(['recipients', 'rm', bob.recipient, '--env', 'prod'], as(alice));
    assert.equal(rr.code, 0, rr.stderr);
    assert.match(rr.stdout + rr.stderr, /API_TOKEN/);
    assert.match(rr.stdout + rr.stderr, /DB_PASSWORD/);
    const entry = p.json().environments.prod;
    assert.notEqual(entry.key_id, keyId1);
    assert.equal(entry.chain.length, 2);
    assert.doesNotMatch(readFileSync(join(p.dir, '.sops.yaml'), 'utf8'), new RegExp(bob.recipient));
    git(p.dir, 'add', '-A');
    git(p.dir, 'commit', '-qm', 'bob leaves');
    assert.equal(p.run(['get', 'DB_PASSWORD', '--env', 'prod'], as(bob)).code, 3, 'bob is out');
    // A machine that pinned the old chain (bob's HAKO_HOME, with alice's key now) accepts the proven rotation.
    const moved = p.run(['get', 'DB_PASSWORD', '--env', 'prod', '-n'], {
      env: { SOPS_AGE_KEY_FILE: alice.file, HAKO_HOME: bob.home, HOME: bob.home },
    });
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(moved.stdout, 'hunter22');
    assert.match(moved.stderr, /rotated/);

    const kr = p.run(['key', 'rotate', '--env', 'prod'], as(alice));
    assert.equal(kr.code, 0, kr.stderr);
    const sr = p.run(['sops', 'rotate', '-i', 'secrets/prod.enc.yaml'], as(alice));
    assert.equal(sr.code, 0, sr.stderr);
    assert.equal(p.json().environments.prod.chain.length, 4);
    assert.equal(p.run(['get', 'API_TOKEN', '--env', 'prod', '-n'], as(alice)).stdout, 't-1');
    const out = (await decryptSops(readFileSync(path, 'utf8'), { fileType: 'yaml', secretKey: alice.identity })) as Record<string, unknown>;
    assert.deepEqual(out, { DB_PASSWORD: 'hunter22', API_TOKEN: 't-1' });
  } finally {
    p.cleanup();
  }
});

test('hako init --sops scaffolds .sops.yaml, the encrypted file, recipients.md and a README; sops-age reads the file', async () => {
  const p = new Project({ init: false });
  const keys = tempDir('hako-sops-init-');
  try {
    const alice = await person(keys, 'alice');
    const env = { SOPS_AGE_KEY_FILE: alice.file };
    const r = p.run(['init', '--sops', '--env', 'production', '--age', alice.recipient], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /bound to the SOPS file secrets\/production\.enc\.yaml/);
    const config = readFileSync(join(p.dir, '.sops.yaml'), 'utf8');
    assert.match(config, new RegExp(`age: ${alice.recipient}`));
    for (const f of ['secrets/production.enc.yaml', 'secrets/recipients.md', 'secrets/README.md', '.hako/secrets.json'])
      assert.ok(readFileSync(join(p.dir, f), 'utf8').length > 0, f);
    assert.equal(p.json().environments.production.sops, 'secrets/production.enc.yaml');
    const set = p.run(['set', 'DATABASE_URL', '--env', 'production'], { env, input: 'postgres://x' });
    assert.equal(set.code, 0, set.stderr);
    // The rule it wrote is the one sops (and hako sops) use for new files in that folder.
    writeFileSync(join(p.dir, 'secrets', 'other.enc.yaml'), 'A: b\n');
    assert.equal(p.run(['sops', 'encrypt', '-i', 'secrets/other.enc.yaml'], { env }).code, 0);
    const text = readFileSync(join(p.dir, 'secrets', 'production.enc.yaml'), 'utf8');
    const out = (await decryptSops(text, { fileType: 'yaml', secretKey: alice.identity })) as Record<string, unknown>;
    assert.deepEqual(out, { DATABASE_URL: 'postgres://x' });
    // Running it again changes nothing and says so.
    const again = p.run(['init', '--sops', '--env', 'production'], { env });
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already exists/);
  } finally {
    p.cleanup();
  }
});
