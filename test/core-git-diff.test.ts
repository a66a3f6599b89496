// Issue 2, acceptance 3: one changed value is one changed line in git.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, Project, hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

function diffLines(dir: string): { added: number; removed: number } {
  const out = git(dir, 'diff', '--numstat', '--', '.hako/secrets.json').trim();
  if (!out) return { added: 0, removed: 0 };
  const [a, r] = out.split('\t');
  return { added: Number(a), removed: Number(r) };
}

test('200 secrets: update one → one line, add one → at most two, same value → nothing', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  const lines = Array.from({ length: 200 }, (_, i) => `SECRET_${String(i).padStart(3, '0')}=value-${i}-${'z'.repeat(i % 17)}`);
  writeFileSync(join(p.dir, 'seed.env'), lines.join('\n') + '\n');
  p.ok(['env', 'add', 'production']);
  p.ok(['import', 'seed.env', '--env', 'production']);
  assert.equal(Object.keys(p.json().environments.production.secrets).length, 200);
  git(p.dir, 'add', '.hako');
  git(p.dir, 'commit', '-qm', 'seed');

  p.set('SECRET_100', 'a new value', 'production');
  assert.deepEqual(diffLines(p.dir), { added: 1, removed: 1 }, 'updating one value');
  git(p.dir, 'commit', '-qam', 'update');

  p.set('SECRET_ZZZ_NEW', 'added', 'production'); // sorts last: the previous line gains a comma
  const added = diffLines(p.dir);
  assert.ok(added.added <= 2 && added.added - added.removed === 1, `adding one value: ${JSON.stringify(added)}`);
  git(p.dir, 'commit', '-qam', 'add');

  p.set('SECRET_050', 'value-50-' + 'z'.repeat(50 % 17), 'production');
  writeFileSync(join(p.dir, 'same.env'), lines.filter((l) => !l.startsWith('SECRET_100=')).join('\n') + '\n');
  p.ok(['import', 'same.env', '--env', 'production']);
  assert.deepEqual(diffLines(p.dir), { added: 0, removed: 0 }, 'setting unchanged values');
  assert.equal(git(p.dir, 'status', '--porcelain', '--', '.hako'), '');
});
