// Git-native workflow: merge driver, pre-commit hook, textconv, verify and expiry, in real
// repositories with real `git merge` / `git commit` running hako as git is configured to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoSecretIn, HAKO_BIN, Project, tempDir, hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

/** git with an identity and the project's HAKO_HOME, so hooks and drivers find the keys. */
function gitIn(p: Project, args: string[], extra: NodeJS.ProcessEnv = {}) {
  return spawnSync('git', args, {
    cwd: p.dir,
    encoding: 'utf8',
    env: {
      ...p.env,
      GIT_AUTHOR_NAME: 'Ada',
      GIT_AUTHOR_EMAIL: 'ada@example.com',
      GIT_COMMITTER_NAME: 'Ada',
      GIT_COMMITTER_EMAIL: 'ada@example.com',
      ...extra,
    },
  });
}

function g(p: Project, ...args: string[]): string {
  const r = gitIn(p, args);
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const COMMAND = `'${process.execPath}' '${HAKO_BIN}'`;

function seeded(n: number, env = 'production'): { p: Project; values: Map<string, string> } {
  const p = new Project();
  p.ok(['env', 'add', 'production']);
  const values = new Map<string, string>();
  for (let i = 0; i < n; i++) values.set(`SECRET_${String(i).padStart(3, '0')}`, `value-${i}-${'q'.repeat(8 + (i % 5))}`);
  writeFileSync(join(p.dir, 'seed.env'), [...values].map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  p.ok(['import', 'seed.env', '--env', env]);
  spawnSync('rm', [join(p.dir, 'seed.env')]);
  p.ok(['git', 'setup', '--command', COMMAND]);
  g(p, 'add', '-A');
  g(p, 'commit', '-qm', 'seed');
  g(p, 'branch', '-M', 'main');
  return { p, values };
}

function setMany(p: Project, env: string, entries: [string, string][]): void {
  writeFileSync(join(p.dir, '..', `${p.dir.split('/').pop()}-batch.env`), entries.map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  p.ok(['import', join(p.dir, '..', `${p.dir.split('/').pop()}-batch.env`), '--env', env]);
}

test('merge: 200 secrets, each side adds 5 and changes 5, one side rotates: git merge completes and every value opens', async (t) => {
  const { p, values } = seeded(200);
  t.after(() => p.cleanup());
  const expected = new Map(values);
  g(p, 'checkout', '-qb', 'feature');
  const feat: [string, string][] = [];
  for (let i = 0; i < 5; i++)
    feat.push([`FEATURE_NEW_${i}`, `feature-added-${i}-value`], [`SECRET_${String(10 + i).padStart(3, '0')}`, `feature-changed-${i}`]);
  setMany(p, 'production', feat);
  for (const [k, v] of feat) expected.set(k, v);
  g(p, 'commit', '-qam', 'feature: 5 new, 5 changed');

  g(p, 'checkout', '-q', 'main');
  const main: [string, string][] = [];
  for (let i = 0; i < 5; i++)
    main.push([`MAIN_NEW_${i}`, `main-added-${i}-value`], [`SECRET_${String(100 + i).padStart(3, '0')}`, `main-changed-${i}`]);
  setMany(p, 'production', main);
  for (const [k, v] of main) expected.set(k, v);
  const before = p.json().environments.production.key_id;
  p.ok(['key', 'rotate', '--env', 'production']);
  assert.notEqual(p.json().environments.production.key_id, before);
  g(p, 'commit', '-qam', 'main: 5 new, 5 changed, rotated');

  const m = gitIn(p, ['merge', '--no-edit', 'feature']);
  assert.equal(m.status, 0, `merge failed: ${m.stdout}${m.stderr}`);
  assert.match(m.stderr, /re-encrypted .*FEATURE_NEW_0/);
  assert.equal(g(p, 'status', '--porcelain'), '');
  const exported = JSON.parse(p.ok(['export', '--env', 'production', '--format', 'json']).stdout);
  assert.equal(Object.keys(exported).length, 210);
  for (const [k, v] of expected) assert.equal(exported[k], v, k);
  assert.equal(p.run(['verify']).code, 0);
});

test('merge: the same name changed on both sides is a conflict named by environment and name, which hako explains and resolves', async (t) => {
  const { p } = seeded(20);
  t.after(() => p.cleanup());
  g(p, 'checkout', '-qb', 'other');
  setMany(p, 'production', [
    ['SECRET_003', 'theirs-value-3'],
    ['ONLY_THEIRS', 'their-addition'],
  ]);
  g(p, 'commit', '-qam', 'other');
  g(p, 'checkout', '-q', 'main');
  setMany(p, 'production', [
    ['SECRET_003', 'ours-value-3'],
    ['ONLY_OURS', 'our-addition'],
  ]);
  g(p, 'commit', '-qam', 'ours');
  const m = gitIn(p, ['merge', '--no-edit', 'other']);
  assert.notEqual(m.status, 0);
  assert.match(m.stderr, /CONFLICT \.hako\/secrets\.json: SECRET_003 was changed on both sides/);
  assertNoSecretIn([m.stdout, m.stderr], ['theirs-value-3', 'ours-value-3']);
  // Every command explains the state.
  const get = p.run(['get', 'ONLY_THEIRS', '--env', 'production']);
  assert.equal(get.code, 5);
  assert.match(get.stderr, /merge conflict: production SECRET_003: SECRET_003 was changed on both sides/);
  assert.match(get.stderr, /hako git resolve/);
  const v = p.run(['verify', '--json']);
  assert.equal(v.code, 1);
  assert.equal(JSON.parse(v.stdout).issues[0].check, 'parse');
  p.ok(['git', 'resolve', '--theirs', '--env', 'production', 'SECRET_003']);
  assert.equal(p.get('SECRET_003', 'production'), 'theirs-value-3');
  assert.equal(p.get('ONLY_THEIRS', 'production'), 'their-addition');
  assert.equal(p.get('ONLY_OURS', 'production'), 'our-addition');
  g(p, 'add', '.hako/secrets.json');
  g(p, 'commit', '-qm', 'merged');
});

test('merge: a rotation on one side and additions on the other, without the keys here, stops with the names and the steps', async (t) => {
  const { p } = seeded(10);
  t.after(() => p.cleanup());
  // A second machine, with its own HAKO_HOME, holding only the old key.
  const other = tempDir('hako-home2-');
  const bundle = p.ok(['key', 'export', '--env', 'production']).stdout;
  const env2 = { HAKO_HOME: other, HOME: other };
  p.ok(['key', 'import', '--env', 'production'], { input: bundle, env: env2 });
  g(p, 'checkout', '-qb', 'added');
  setMany(p, 'production', [['ADDED_ELSEWHERE', 'added-on-the-branch']]);
  g(p, 'commit', '-qam', 'added');
  g(p, 'checkout', '-q', 'main');
  p.ok(['key', 'rotate', '--env', 'production']);
  g(p, 'commit', '-qam', 'rotated');
  const m = gitIn(p, ['merge', '--no-edit', 'added'], env2);
  assert.notEqual(m.status, 0);
  assert.match(
    m.stderr,
    /ADDED_ELSEWHERE was changed on their side while our side rotated the key \(the new key [0-9a-f]{16} of 'production' is not on this machine\)/,
  );
  assert.match(p.run(['ls']).stderr, /ADDED_ELSEWHERE/);
  // With the keys (the first machine), the same merge goes through.
  g(p, 'merge', '--abort');
  const again = gitIn(p, ['merge', '--no-edit', 'added']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(p.get('ADDED_ELSEWHERE', 'production'), 'added-on-the-branch');
});

test('pre-commit hook blocks a plaintext .env, an unencrypted SOPS-rule YAML and a base64-encoded known value; lets a normal commit and --no-verify through', async (t) => {
  const { p } = seeded(5);
  t.after(() => p.cleanup());
  const value = 'value-2-qqqqqqqqqq';
  const tryCommit = (file: string, content: string, extra: string[] = []) => {
    mkdirSync(join(p.dir, file, '..'), { recursive: true });
    writeFileSync(join(p.dir, file), content);
    g(p, 'add', '-f', file);
    const r = gitIn(p, ['commit', '-qm', `add ${file}`, ...extra]);
    return r;
  };
  const env = tryCommit('.env', 'DATABASE_URL=postgres://user:pw@db/app\n');
  assert.notEqual(env.status, 0, 'a plaintext .env is refused');
  assert.match(env.stderr, /\.env: a plaintext secrets file/);
  g(p, 'rm', '-q', '--cached', '.env');

  writeFileSync(
    join(p.dir, '.sops.yaml'),
    'creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n',
  );
  g(p, 'add', '.sops.yaml');
  const sops = tryCommit('secrets/prod.yaml', 'api_key: plain-text-here\n');
  assert.notEqual(sops.status, 0, 'an unencrypted file under a .sops.yaml rule is refused');
  assert.match(sops.stderr, /secrets\/prod\.yaml: matches the \.sops\.yaml creation rule/);
  g(p, 'rm', '-q', '--cached', 'secrets/prod.yaml');

  const encoded = Buffer.from(value).toString('base64');
  const src = tryCommit('src/config.ts', `export const token = atob('${encoded}');\n`);
  assert.notEqual(src.status, 0, 'a known value, base64-encoded, is refused');
  assert.match(src.stderr, /src\/config\.ts holds the value of SECRET_002 \(environment 'production'\)/);
  assertNoSecretIn([src.stdout, src.stderr], [value, encoded]);

  const skipped = gitIn(p, ['commit', '-qm', 'on purpose', '--no-verify']);
  assert.equal(skipped.status, 0, '--no-verify still commits');

  const normal = tryCommit('README.md', '# app\n');
  assert.equal(normal.status, 0, `a normal commit passes: ${normal.stderr}`);
  const template = tryCommit('.env.example', 'DATABASE_URL=\nAPI_TOKEN=changeme\n');
  assert.equal(template.status, 0, `a template passes: ${template.stderr}`);
});

test('git setup never overwrites a pre-commit hook: explains, or chains with --chain', async (t) => {
  const p = new Project();
  p.ok(['env', 'add', 'production']);
  t.after(() => p.cleanup());
  p.set('A_TOKEN', 'some-long-value', 'production');
  const hook = join(p.dir, '.git', 'hooks', 'pre-commit');
  mkdirSync(join(hook, '..'), { recursive: true });
  writeFileSync(hook, '#!/bin/sh\necho existing-hook-ran >&2\n');
  chmodSync(hook, 0o755);
  const r = p.run(['git', 'setup', '--command', COMMAND]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /exists and is not hako's: left as it is/);
  assert.match(r.stderr, /verify --staged \|\| exit 1/);
  assert.equal(readFileSync(hook, 'utf8'), '#!/bin/sh\necho existing-hook-ran >&2\n');
  p.ok(['git', 'setup', '--chain', '--command', COMMAND]);
  assert.match(readFileSync(join(p.dir, '.git', 'hooks', 'pre-commit.pre-hako'), 'utf8'), /existing-hook-ran/);
  writeFileSync(join(p.dir, '.env'), 'X=1\n');
  g(p, 'add', '-f', '.env');
  const c = gitIn(p, ['commit', '-qm', 'x']);
  assert.notEqual(c.status, 0);
  assert.match(c.stderr, /existing-hook-ran/);
  assert.match(c.stderr, /plaintext secrets file/);
  p.ok(['git', 'setup', '--chain', '--command', COMMAND]); // again: still chained, nothing lost
  assert.match(readFileSync(hook, 'utf8'), /pre-commit\.pre-hako/);
});

test('textconv: git log -p shows names per environment, never values or ciphertext', async (t) => {
  const { p, values } = seeded(3);
  t.after(() => p.cleanup());
  p.set('STRIPE_KEY', 'sk_live_abcdefghijkl', 'production');
  g(p, 'commit', '-qam', 'stripe');
  p.set('STRIPE_KEY', 'sk_live_mnopqrstuvwx', 'production');
  p.ok(['set', 'STRIPE_KEY', '--env', 'production', '--keep-value', '--expires', '2027-03-01']);
  g(p, 'commit', '-qam', 'stripe again');
  const log = g(p, 'log', '-p', '--', '.hako/secrets.json');
  assert.match(log, /\+ {2}STRIPE_KEY {2}#[0-9a-f]{8} {2}\(expires 2027-03-01\)/);
  assert.match(log, /environment production: key [0-9a-f]{16}, chain of 1/);
  assert.match(log, /\+ {2}SECRET_000 {2}#/);
  assert.doesNotMatch(log, /v[12]:[A-Za-z0-9+/]{16}/, 'no ciphertext');
  assertNoSecretIn([log], ['sk_live_abcdefghijkl', 'sk_live_mnopqrstuvwx', ...values.values()]);
});

test('expiry: an expired secret fails verify (a warning in the hook), and a hand-edited expiry is detected', async (t) => {
  const p = new Project();
  p.ok(['env', 'add', 'production']);
  t.after(() => p.cleanup());
  p.set('API_TOKEN', 'token-value-123', 'production');
  p.ok(['set', 'API_TOKEN', '--env', 'production', '--keep-value', '--expires', '2027-03-01']);
  assert.equal(p.json().environments.production.secrets.API_TOKEN.expires, '2027-03-01');
  const early = p.run(['verify'], { env: { HAKO_TODAY: '2027-02-10' } });
  assert.equal(early.code, 0);
  assert.match(early.stdout, /warn: API_TOKEN in 'production' expires on 2027-03-01 \(in 19 days\)/);
  assert.match(p.run(['ls'], { env: { HAKO_TODAY: '2027-02-20' } }).stdout, /set, expires in 9d/);
  const late = p.run(['verify', '--json'], { env: { HAKO_TODAY: '2027-03-02' } });
  assert.equal(late.code, 1);
  assert.deepEqual(
    JSON.parse(late.stdout).issues.map((i: { level: string; check: string }) => `${i.level}:${i.check}`),
    ['error:expired'],
  );
  assert.match(p.run(['ls'], { env: { HAKO_TODAY: '2027-03-02' } }).stdout, /EXPIRED 2027-03-01/);
  // Moving the expiry by hand: the value no longer opens.
  writeFileSync(join(p.dir, '.hako', 'secrets.json'), p.file().replace('2027-03-01', '2099-12-31'));
  const tampered = p.run(['verify'], { env: { HAKO_TODAY: '2027-03-02' } });
  assert.equal(tampered.code, 1);
  assert.match(tampered.stderr, /FAIL: API_TOKEN in 'production' fails authentication/);
  assert.equal(p.run(['get', 'API_TOKEN', '--env', 'production']).code, 4);
  // --rotate-every moves the expiry from today; "none" clears it.
  p.ok(['set', 'API_TOKEN', '--env', 'production', '--rotate-every', '90d'], {
    input: 'fresh-token-456',
    env: { HAKO_TODAY: '2027-03-02' },
  });
  assert.deepEqual(
    { e: p.json().environments.production.secrets.API_TOKEN.expires, r: p.json().environments.production.secrets.API_TOKEN.rotate_every },
    { e: '2027-05-31', r: '90d' },
  );
  p.ok(['set', 'API_TOKEN', '--env', 'production', '--keep-value', '--expires', 'none', '--rotate-every', 'none']);
  assert.equal(typeof p.json().environments.production.secrets.API_TOKEN, 'string');
});

test('verify: required names, recipients.md out of step, no key here, and a broken chain', async (t) => {
  const p = new Project();
  p.ok(['env', 'add', 'production']);
  t.after(() => p.cleanup());
  p.set('A_TOKEN', 'a-token-value', 'production');
  p.ok(['env', 'add', 'staging']);
  p.set('B_TOKEN', 'b-token-value', 'staging');
  const json = p.json();
  json.schema = { A_TOKEN: { required: true } };
  writeFileSync(join(p.dir, '.hako', 'secrets.json'), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(join(p.dir, '.hako', 'recipients.md'), '# Recipients\n');
  const r = p.run(['verify', '--json', '--env', 'production', '--env', 'staging'], { env: { HAKO_HOME: tempDir('hako-nokeys-') } });
  const report = JSON.parse(r.stdout);
  assert.equal(r.code, 1);
  const checks = report.issues.map((i: { check: string; env?: string }) => `${i.check}:${i.env ?? ''}`).sort();
  assert.deepEqual(checks, ['recipients-doc:', 'required:staging', 'unchecked:production', 'unchecked:staging']);
  assert.deepEqual(
    report.environments.map((e: { values: string }) => e.values),
    ['unchecked', 'unchecked'],
  );
  json.environments.production.chain = [json.environments.staging.chain[0].replace(/^[0-9a-f]{16}/, json.environments.production.key_id)];
  writeFileSync(join(p.dir, '.hako', 'secrets.json'), JSON.stringify(json, null, 2) + '\n');
  const broken = p.run(['verify', '--env', 'production']);
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /key chain of environment 'production' is broken/);
});

test('merge: a SOPS file edited on two branches merges by key (unchanged ciphertext kept, new MAC); the same key on both sides is a named conflict', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  const idFile = join(tempDir('hako-sops-id-'), 'keys.txt');
  const recipient = p.ok(['keygen', '--out', idFile]).stdout.trim();
  p.env = { ...p.env, SOPS_AGE_KEY_FILE: idFile };
  writeFileSync(join(p.dir, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${recipient}\n`);
  mkdirSync(join(p.dir, 'secrets'));
  writeFileSync(
    join(p.dir, 'secrets', 'app.yaml'),
    '# the app\ndb:\n    user: app\n    password: first-password\napi_key: k-123456\nregion: eu\n',
  );
  p.ok(['sops', 'encrypt', '-i', 'secrets/app.yaml']);
  p.ok(['git', 'setup', '--command', COMMAND]);
  writeFileSync(join(p.dir, '.gitattributes'), 'secrets/*.yaml merge=hako\n');
  g(p, 'add', '-A');
  g(p, 'commit', '-qm', 'sops file');
  g(p, 'branch', '-M', 'main');
  const region = (text: string) => /^region: (.*)$/m.exec(text)![1];
  const before = readFileSync(join(p.dir, 'secrets', 'app.yaml'), 'utf8');

  g(p, 'checkout', '-qb', 'theirs');
  p.ok(['sops', 'set', 'secrets/app.yaml', '["db"]["password"]', '"their-password"']);
  g(p, 'commit', '-qam', 'theirs: password');
  g(p, 'checkout', '-q', 'main');
  p.ok(['sops', 'set', 'secrets/app.yaml', '["api_key"]', '"k-ours-999"']);
  g(p, 'commit', '-qam', 'ours: api key');
  // Without the driver, sops files conflict on mac and lastmodified every time; with it:
  const m = gitIn(p, ['merge', '--no-edit', 'theirs']);
  assert.equal(m.status, 0, `${m.stdout}${m.stderr}`);
  const after = readFileSync(join(p.dir, 'secrets', 'app.yaml'), 'utf8');
  assert.equal(region(after), region(before), 'an unchanged value keeps its ciphertext');
  assert.equal(after.split('\n')[0], before.split('\n')[0], 'the (encrypted) comment stays as it was');
  const plain = p.ok(['sops', 'decrypt', 'secrets/app.yaml']).stdout;
  assert.match(plain, /password: their-password/);
  assert.match(plain, /api_key: k-ours-999/);
  assert.match(plain, /user: app/);

  g(p, 'checkout', '-qb', 'clash');
  p.ok(['sops', 'set', 'secrets/app.yaml', '["api_key"]', '"k-clash-1"']);
  g(p, 'commit', '-qam', 'clash 1');
  g(p, 'checkout', '-q', 'main');
  p.ok(['sops', 'set', 'secrets/app.yaml', '["api_key"]', '"k-clash-2"']);
  g(p, 'commit', '-qam', 'clash 2');
  const c = gitIn(p, ['merge', '--no-edit', 'clash']);
  assert.notEqual(c.status, 0);
  assert.match(c.stderr, /CONFLICT secrets\/app\.yaml: api_key was changed on both sides/);
  assertNoSecretIn([c.stdout, c.stderr], ['k-clash-1', 'k-clash-2']);
});

test('verify and scan open SOPS-bound environments: values and MAC checked, their values found in files', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  const idFile = join(tempDir('hako-sops-id-'), 'keys.txt');
  const recipient = p.ok(['keygen', '--out', idFile]).stdout.trim();
  p.env = { ...p.env, SOPS_AGE_KEY_FILE: idFile };
  writeFileSync(join(p.dir, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${recipient}\n`);
  mkdirSync(join(p.dir, 'secrets'));
  writeFileSync(join(p.dir, 'secrets', 'app.enc.yaml'), 'API_TOKEN: sops-bound-token-1\nDB_PASSWORD: sops-bound-pw-2\n');
  p.ok(['sops', 'encrypt', '-i', 'secrets/app.enc.yaml']);
  p.ok(['env', 'add', 'prod', '--sops', 'secrets/app.enc.yaml']);
  const ok = JSON.parse(p.ok(['verify', '--env', 'prod', '--json']).stdout);
  assert.deepEqual(
    ok.environments.map((e: { name: string; values: string; secrets: number }) => [e.name, e.values, e.secrets]),
    [['prod', 'opened', 2]],
  );
  writeFileSync(join(p.dir, 'notes.md'), `token: ${Buffer.from('sops-bound-token-1').toString('hex')}\n`);
  const found = p.run(['scan', '--env', 'prod', '--json']);
  assert.equal(found.code, 1);
  assert.deepEqual(JSON.parse(found.stdout).findings, [{ kind: 'value', file: 'notes.md', env: 'prod', name: 'API_TOKEN' }]);
  // Changed without the data key (here its lastmodified, which the MAC is bound to): the MAC no longer holds.
  const path = join(p.dir, 'secrets', 'app.enc.yaml');
  writeFileSync(path, readFileSync(path, 'utf8').replace(/lastmodified: "[^"]+"/, 'lastmodified: "2020-01-01T00:00:00Z"'));
  const bad = p.run(['verify', '--env', 'prod']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /FAIL: environment 'prod': secrets\/app\.enc\.yaml failed authentication/);
});
