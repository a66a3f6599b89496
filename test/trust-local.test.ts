// The smaller doors of the trust model: which .hako a command uses (never one above the git
// work tree, never another user's or a symlink), names that take over a process, and a
// format-1 file growing its chain on first write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project, REPO_ROOT, baseEnv, git, runHako, tempDir, hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

test('discovery stops at the git work tree root, and outside git looks in the current folder only', (t) => {
  const outer = tempDir('hako-outer-');
  const p = new Project();
  t.after(() => (p.cleanup(), rmSync(outer, { recursive: true, force: true })));
  // A planted .hako in a parent of the repository (as in a shared /tmp) is not this project's.
  mkdirSync(join(outer, '.hako'));
  writeFileSync(join(outer, '.hako', 'secrets.json'), '{"environments":{},"version":1}\n');
  const repo = join(outer, 'repo');
  mkdirSync(join(repo, 'src'), { recursive: true });
  git(repo, 'init', '-q');
  const r = runHako(['ls'], { cwd: join(repo, 'src'), env: p.env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no \.hako\/secrets\.json in .*src or any folder above it up to the git work tree root .*repo/);
  const plain = join(outer, 'no-git', 'deeper');
  mkdirSync(plain, { recursive: true });
  const n = runHako(['ls'], { cwd: plain, env: p.env });
  assert.equal(n.code, 1);
  assert.match(n.stderr, /not inside a git work tree, so hako looks in the current folder only/);
});

test('a .hako owned by another user, or a symbolic link, is refused before anything is read', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-aaaa', 'production');
  // A symlinked .hako pointing at another project's secrets.
  const q = new Project({ init: false });
  t.after(() => q.cleanup());
  symlinkSync(join(p.dir, '.hako'), join(q.dir, '.hako'));
  const s = q.run(['get', 'A', '--env', 'production'], { env: p.env });
  assert.equal(s.code, 1);
  assert.match(s.stderr, /\.hako is a symbolic link; hako reads secrets only from a real file in the repository/);
  assert.doesNotMatch(s.stdout, /value-aaaa/);

  if (process.getuid?.() !== 0) {
    t.diagnostic('the foreign-owner case needs root to chown (skipped)');
    return;
  }
  const shared = tempDir('hako-shared-');
  t.after(() => rmSync(shared, { recursive: true, force: true }));
  git(shared, 'init', '-q');
  cpSync(join(p.dir, '.hako'), join(shared, '.hako'), { recursive: true });
  chownSync(join(shared, '.hako'), 65534, 65534);
  const r = runHako(['ls'], { cwd: shared, env: p.env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\.hako is owned by another user \(uid 65534\), not by you \(uid 0\)/);
  assert.match(r.stderr, /HAKO_SAFE_DIRECTORY=/);
  const allowed = runHako(['ls'], { cwd: shared, env: { ...p.env, HAKO_SAFE_DIRECTORY: shared } });
  assert.equal(allowed.code, 0, allowed.stderr);
});

test('names that take over a process are delivered only when allowed one by one', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('NODE_OPTIONS', '--require /nonexistent/pwn.js', 'production');
  p.set('AWS_CONFIG', 'credential_process = touch /tmp/pwned', 'production');
  p.set('DATABASE_URL', 'postgres://db/app', 'production');
  const node = [process.execPath, '-e', 'console.log(process.env.DATABASE_URL ? "ok" : "none")'];

  const r = p.run(['run', '--env', 'production', '--', ...node]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /hako run --via env would set NODE_OPTIONS \(read by an interpreter at start-up\): names that change what a process does/,
  );
  assert.match(r.stderr, /allow each on purpose \(--allow NODE_OPTIONS\)/);
  assert.equal(r.stdout, '', 'nothing ran');
  const files = p.run(['run', '--env', 'production', '--via', 'files', '--allow', 'NODE_OPTIONS', '--', ...node]);
  assert.equal(files.code, 1);
  assert.match(files.stderr, /would set AWS_CONFIG_FILE for secret AWS_CONFIG \(where a tool reads its configuration\)/);
  const fd3 = p.run(['run', '--env', 'production', '--via', 'fd3', '--', ...node]);
  assert.equal(fd3.code, 0, 'fd 3 sets no variable from a secret name');
  // Allowed on purpose: node then fails to preload the module, which shows it reached node.
  const allowed = p.run(['run', '--env', 'production', '--allow', 'NODE_OPTIONS', '--allow', 'AWS_CONFIG', '--', ...node]);
  assert.notEqual(allowed.code, 0);
  assert.match(allowed.stderr, /Cannot find module '\/nonexistent\/pwn\.js'/);

  const shell = p.run(['export', '--env', 'production', '--format', 'shell']);
  assert.equal(shell.code, 1);
  assert.match(shell.stderr, /hako export --format shell would set NODE_OPTIONS/);
  assert.equal(shell.stdout, '');
  assert.equal(p.run(['export', '--env', 'production', '--format', 'dotenv']).code, 1, 'node --env-file reads NODE_OPTIONS too');
  assert.equal(p.run(['export', '--env', 'production', '--format', 'json']).code, 0, 'JSON is data');
  const set = p.run(['set', 'LD_PRELOAD', '--env', 'production'], { input: '/tmp/x.so' });
  assert.equal(set.code, 0);
  assert.match(set.stderr, /LD_PRELOAD changes what a process does/);
});

test('a format-1 file opens, and its first write makes it format 2 with a chain for that environment only', (t) => {
  const vector = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'vectors', 'native', 'ok-two-environments.json'), 'utf8'));
  const p = new Project({ init: false });
  t.after(() => p.cleanup());
  mkdirSync(join(p.dir, '.hako'));
  writeFileSync(join(p.dir, '.hako', 'secrets.json'), vector.file);
  git(p.dir, 'add', '-A');
  git(p.dir, 'commit', '-qm', 'format 1');
  const keys = vector.keys as Record<string, { key_id: string; key: string }>;
  mkdirSync(join(p.home, 'keys'), { recursive: true, mode: 0o700 });
  for (const k of Object.values(keys)) writeFileSync(join(p.home, 'keys', k.key_id), `${k.key}\n`, { mode: 0o600 });

  const ls = p.ok(['get', 'API_TOKEN', '--env', 'production', '-n']);
  assert.equal(ls.stdout, vector.expect.values.API_TOKEN);
  assert.match(ls.stderr, /environment 'production' has no key chain yet \(written by an older hako\)/);
  assert.equal(p.json().version, 1, 'reading changes nothing');
  p.ok(['set', 'API_TOKEN', '--env', 'production'], { input: 'tok_new' });
  const after = p.json();
  assert.equal(after.version, 2);
  assert.equal(after.environments.production.chain.length, 1);
  assert.equal(after.environments.production.chain[0].split(':')[0], keys['production']!.key_id);
  assert.equal(after.environments.staging.chain, undefined, 'staging was not opened: it keeps its format-1 entry');
  assert.equal(p.get('API_TOKEN', 'production'), 'tok_new');
  assert.equal(p.get('ONLY_STAGING', 'staging'), 'x');
  assert.ok(existsSync(join(p.home, 'trust')), 'the machine pinned what it opened');
  assert.deepEqual(Object.keys(JSON.parse(runHako(['trust', '--json'], { cwd: p.dir, env: baseEnv({ HAKO_HOME: p.home }) }).stdout)), [
    '0',
    '1',
  ]);
});
