// hako log and hako scan over real git history (2,000 commits built with git fast-import).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoSecretIn, Project, tempDir, hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

function gitAs(p: Project, who: string, args: string[], input?: string): string {
  const r = spawnSync('git', args, {
    cwd: p.dir,
    encoding: 'utf8',
    input,
    env: {
      ...p.env,
      GIT_AUTHOR_NAME: who,
      GIT_AUTHOR_EMAIL: `${who.toLowerCase()}@example.com`,
      GIT_COMMITTER_NAME: who,
      GIT_COMMITTER_EMAIL: `${who.toLowerCase()}@example.com`,
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

test('hako log STRIPE_KEY --env production lists each change with author and date, with a rotation and a recipient change', async (t) => {
  const p = new Project();
  p.ok(['env', 'add', 'production']);
  t.after(() => p.cleanup());
  p.set('STRIPE_KEY', 'sk_live_first_value', 'production');
  p.set('OTHER', 'other-value-1', 'production');
  p.ok(['env', 'add', 'staging']);
  p.set('STRIPE_KEY', 'sk_test_staging_val', 'staging');
  gitAs(p, 'Ada', ['add', '-A']);
  gitAs(p, 'Ada', ['commit', '-qm', 'add stripe']);
  p.set('STRIPE_KEY', 'sk_live_second_value', 'production');
  gitAs(p, 'Bob', ['commit', '-qam', 'new stripe key']);
  const recipient = p.ok(['keygen', '--out', join(tempDir('hako-id-'), 'id.txt')]).stdout.trim();
  p.ok(['recipients', 'add', recipient, '--env', 'production', '--name', 'Cy']);
  gitAs(p, 'Cy', ['add', '-A']);
  gitAs(p, 'Cy', ['commit', '-qm', 'give Cy production']);
  p.ok(['key', 'rotate', '--env', 'production']);
  gitAs(p, 'Ada', ['commit', '-qam', 'rotate production']);
  p.set('OTHER', 'other-value-2', 'production'); // another name: not listed
  gitAs(p, 'Bob', ['commit', '-qam', 'other']);
  p.ok(['rm', 'STRIPE_KEY', '--env', 'production']);
  gitAs(p, 'Bob', ['commit', '-qam', 'drop stripe']);

  const r = p.ok(['log', 'STRIPE_KEY', '--env', 'production', '--json']);
  const entries = JSON.parse(r.stdout) as {
    kind: string;
    author: string;
    email: string;
    date: string;
    subject: string;
    name: string | null;
    env: string;
  }[];
  assert.deepEqual(
    entries.map((e) => `${e.kind} ${e.author} ${e.subject}`),
    [
      'removed Bob drop stripe',
      'rotated Ada rotate production',
      'recipient-added Cy give Cy production',
      'changed Bob new stripe key',
      'added Ada add stripe',
      'env-added Ada add stripe',
    ].sort((a, b) => order(a) - order(b)),
  );
  for (const e of entries) {
    assert.equal(e.env, 'production');
    assert.match(e.date, /^\d{4}-\d{2}-\d{2}T/);
    assert.match(e.email, /@example\.com$/);
  }
  const text = p.ok(['log', 'STRIPE_KEY', '--env', 'production']).stdout;
  assert.match(text, /rotated \(key [0-9a-f]{16} → [0-9a-f]{16}\)/);
  assert.match(text, /recipient-added \(age1/);
  assertNoSecretIn([r.stdout, text], ['sk_live_first_value', 'sk_live_second_value']);
  // The whole history, every environment: staging's addition is there too.
  assert.ok(
    JSON.parse(p.ok(['log', '--json']).stdout).some((e: { env: string; name: string }) => e.env === 'staging' && e.name === 'STRIPE_KEY'),
  );

  function order(line: string): number {
    return ['removed', 'rotated', 'recipient-added', 'changed', 'env-added', 'added'].indexOf(line.split(' ')[0]!);
  }
});

test('hako scan --history finds a value committed and deleted 50 commits ago in 2,000 commits, and reports the commit', async (t) => {
  const p = new Project();
  p.ok(['env', 'add', 'production']);
  t.after(() => p.cleanup());
  const value = 'postgres://app:Xy9-secret-pw@db.internal/app';
  p.set('DATABASE_URL', value, 'production');
  p.set('SHORT', 'abc', 'production');
  gitAs(p, 'Ada', ['add', '-A']);
  gitAs(p, 'Ada', ['commit', '-qm', 'secrets']);
  const head = gitAs(p, 'Ada', ['rev-parse', 'HEAD']).trim();
  const branch = gitAs(p, 'Ada', ['symbolic-ref', 'HEAD']).trim();
  // 2,000 commits: one adds a config file with the value URL-encoded, 10 commits later it is deleted,
  // 50 commits before the tip.
  const N = 2000;
  const addAt = N - 60;
  const deleteAt = N - 50;
  const parts: string[] = [];
  const blob = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  for (let i = 1; i <= N; i++) {
    parts.push(`commit ${branch}\nmark :${i}\ncommitter Dev <dev@example.com> ${1700000000 + i * 60} +0000\n${blob(`change ${i}`)}`);
    if (i === 1) parts.push(`from ${head}\n`);
    parts.push(`M 644 inline src/counter.txt\n${blob(`counter ${i}\n`)}`);
    if (i === addAt) parts.push(`M 644 inline config/db.js\n${blob(`module.exports = { url: '${encodeURIComponent(value)}' };\n`)}`);
    if (i === deleteAt) parts.push('D config/db.js\n');
    parts.push('\n');
  }
  const marks = join(tempDir('hako-marks-'), 'marks');
  gitAs(p, 'Ada', ['fast-import', '--quiet', `--export-marks=${marks}`], parts.join(''));
  gitAs(p, 'Ada', ['reset', '-q', '--hard']);
  const addedIn = readFileSync(marks, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`:${addAt} `))!
    .split(' ')[1]!;

  assert.equal(p.run(['scan']).code, 0, 'the working tree is clean');
  const r = p.run(['scan', '--history', '--json']);
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout);
  assert.ok(report.commits >= N);
  assert.deepEqual(report.findings, [{ kind: 'value', commit: addedIn, file: 'config/db.js', env: 'production', name: 'DATABASE_URL' }]);
  const text = p.run(['scan', '--history']);
  assert.match(text.stdout, new RegExp(`^${addedIn.slice(0, 12)} config/db\\.js: value of DATABASE_URL \\('production'\\)$`, 'm'));
  assertNoSecretIn([r.stdout, r.stderr, text.stdout, text.stderr], [value, encodeURIComponent(value)]);
  // A plaintext .env in history is reported too.
  writeFileSync(join(p.dir, '.env'), 'TOKEN=abcdefghijkl\n');
  gitAs(p, 'Ada', ['add', '-f', '.env']);
  gitAs(p, 'Ada', ['commit', '-qm', 'oops']);
  gitAs(p, 'Ada', ['rm', '-q', '.env']);
  gitAs(p, 'Ada', ['commit', '-qm', 'fix']);
  const again = JSON.parse(p.run(['scan', '--history', '--json']).stdout);
  assert.ok(again.findings.some((f: { kind: string; file: string }) => f.kind === 'plaintext-file' && f.file === '.env'));
});
