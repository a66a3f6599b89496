// Issue 4, acceptance 4: adding one recipient to an environment with 50 secrets changes one line
// of .hako/secrets.json, plus one row of .hako/recipients.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project, git, hakoInProcessByDefault } from './helpers.js';
import { ageKeygen, commitAll, diffLines, machine, numstat } from './teams-helpers.js';
import { needTools } from './tools.js';

hakoInProcessByDefault();

const SECRETS = '.hako/secrets.json';
const DOC = '.hako/recipients.md';

test('one recipient more is one line of secrets.json and one row of recipients.md', async (t) => {
  if (!needTools(t, 'age-keygen')) return;
  const p = new Project();
  t.after(() => p.cleanup());
  const lines = Array.from({ length: 50 }, (_, i) => `SECRET_${String(i).padStart(2, '0')}=value-${i}-${'x'.repeat(i % 11)}`);
  writeFileSync(join(p.dir, 'seed.env'), lines.join('\n') + '\n');
  p.ok(['env', 'add', 'production']);
  p.ok(['import', 'seed.env', '--env', 'production']);
  p.ok(['env', 'add', 'staging']);
  const m = machine(t, 'diff');
  // Three recipients in sorted order: the first and last go in first, so the middle one lands
  // between two existing lines.
  const [low, mid, high] = [0, 1, 2].map((i) => ageKeygen(join(m.home, `k${i}.txt`))).sort() as [string, string, string];

  commitAll(p.dir, 'seed');
  p.ok(['recipients', 'add', low, '--env', 'production', '--name', 'Low']);
  // The first recipient of an environment adds the block: three new lines, nothing else.
  assert.deepEqual(numstat(p.dir, SECRETS), { added: 3, removed: 0 });
  assert.deepEqual(
    diffLines(p.dir, SECRETS).plus.map((l) => l.trim().slice(0, 16)),
    ['"recipients": {', `"${low.slice(0, 15)}`, '},'],
  );
  p.ok(['recipients', 'add', high, '--env', 'production', '--name', 'High']);
  commitAll(p.dir, 'two recipients');

  p.ok(['recipients', 'add', mid, '--env', 'production', '--name', 'Mid <mid@example.com>', '--role', 'engineer']);
  assert.deepEqual(numstat(p.dir, SECRETS), { added: 1, removed: 0 }, 'exactly one line of secrets.json');
  assert.match(diffLines(p.dir, SECRETS).plus[0]!, new RegExp(`^ {8}"${mid}": "[A-Za-z0-9+/=]+",$`));
  assert.deepEqual(numstat(p.dir, DOC), { added: 1, removed: 0 }, 'one new row in recipients.md');
  assert.match(
    diffLines(p.dir, DOC).plus[0]!,
    new RegExp(`^\\| \`${mid}\` \\| Mid <mid@example.com> \\| engineer \\| production \\| \\d{4}-\\d{2}-\\d{2} \\|$`),
  );
  commitAll(p.dir, 'mid');

  // Sorting last, the previous last line gains a comma: net one line, and no secret touched.
  const last = ageKeygen(join(m.home, 'zz.txt'));
  p.ok(['recipients', 'add', last, '--env', 'production']);
  const d = numstat(p.dir, SECRETS);
  assert.equal(d.added - d.removed, 1);
  assert.ok(d.added <= 2, JSON.stringify(d));
  assert.ok(
    diffLines(p.dir, SECRETS).plus.every((l) => /^ {8}"age1/.test(l)),
    'only recipient lines change',
  );
  git(p.dir, 'checkout', '--', '.hako');

  // Giving an existing recipient a second environment changes its row, and one line in staging.
  p.ok(['recipients', 'add', mid, '--env', 'staging']);
  assert.deepEqual(numstat(p.dir, DOC), { added: 1, removed: 1 });
  assert.match(diffLines(p.dir, DOC).plus[0]!, /\| Mid <mid@example.com> \| engineer \| production, staging \| /);

  // Writing the same state again changes nothing: the encoding is deterministic.
  const again = p.run(['recipients', 'add', mid, '--env', 'staging']);
  assert.equal(again.code, 1);
  assert.deepEqual(numstat(p.dir, DOC), { added: 1, removed: 1 });
});
