// Issue 2, "What bad input gets": a clear error and hint, a non-zero exit, nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Project, runHako, tempDir, baseEnv, assertNoSecretIn, hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

function expectRefusal(
  p: Project,
  args: string[],
  opts: Parameters<Project['run']>[1],
  code: number,
  message: RegExp,
  secrets: string[] = [],
) {
  const before = p.file();
  const keysBefore = readdirSync(join(p.home, 'keys')).sort();
  const r = p.run(args, opts);
  assert.equal(r.code, code, `hako ${args.join(' ')}: exit ${r.code}, stderr: ${r.stderr}`);
  assert.match(r.stderr, /^hako: error: .+$/m);
  assert.match(r.stderr, /^hako: hint: .+$/m);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(p.file(), before, 'secrets file unchanged');
  assert.deepEqual(readdirSync(join(p.home, 'keys')).sort(), keysBefore, 'no key file written');
  assertNoSecretIn([r.stdout, r.stderr], secrets);
  return r;
}

test('invalid names, argv values and non-UTF-8 values are refused', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('GOOD', 'good-value');
  expectRefusal(p, ['set', 'lower_case'], { input: 'v' }, 2, /invalid secret name "lower_case"/);
  expectRefusal(p, ['set', '1ABC'], { input: 'v' }, 2, /invalid secret name/);
  expectRefusal(p, ['set', 'GOOD', '--env', 'Prod'], { input: 'v' }, 2, /invalid environment name/);
  expectRefusal(p, ['set', 'PASSWORD=hunter2-secret'], { input: '' }, 2, /never taken from the command line/, ['hunter2-secret']);
  expectRefusal(p, ['get', 'PASSWORD=hunter2-secret'], {}, 2, /invalid secret name "PASSWORD=…"/, ['hunter2-secret']);
  expectRefusal(p, ['set', 'BIN'], { input: Buffer.from([0x66, 0xff, 0xfe, 0x67]) }, 2, /not valid UTF-8/);
  expectRefusal(p, ['set', 'NUL'], { input: Buffer.from('a\0b') }, 2, /NUL byte/);
  expectRefusal(p, ['frobnicate'], {}, 2, /unknown command 'frobnicate'/);
  expectRefusal(p, ['set', 'A', '--bogus'], { input: 'v' }, 2, /bogus/);
  expectRefusal(p, ['env'], {}, 2, /needs a subcommand/);
});

test('a file with an unknown field, a newer version or broken JSON is refused, and nothing is written', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-aaaa');
  const good = p.file();
  const path = join(p.dir, '.hako', 'secrets.json');

  writeFileSync(path, good.replace('"version": 2', '"comment": "x",\n  "version": 2'));
  expectRefusal(p, ['set', 'B'], { input: 'value-bbbb' }, 5, /unknown field "comment"/);
  expectRefusal(p, ['get', 'A'], {}, 5, /unknown field/, ['value-aaaa']);

  writeFileSync(path, good.replace('"version": 2', '"version": 3'));
  expectRefusal(p, ['set', 'B'], { input: 'value-bbbb' }, 5, /format version 3/);
  const r = p.run(['ls']);
  assert.match(r.stderr, /hint: upgrade hako/);

  writeFileSync(path, good.slice(0, good.length - 10));
  expectRefusal(p, ['get', 'A'], {}, 5, /line \d+, column \d+/);
});

test('a tampered value names the secret and prints nothing', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-aaaa');
  p.set('B', 'value-bbbb');
  const o = p.json();
  const s = o.environments.development.secrets;
  [s.A, s.B] = [s.B, s.A];
  writeFileSync(join(p.dir, '.hako', 'secrets.json'), JSON.stringify(o, null, 2) + '\n');
  const r = expectRefusal(p, ['get', 'A'], {}, 4, /secret A in environment 'development' failed authentication/, [
    'value-aaaa',
    'value-bbbb',
  ]);
  assert.equal(r.stdout, '');
  expectRefusal(p, ['export'], {}, 4, /failed authentication/, ['value-aaaa', 'value-bbbb']);
});

test('commands outside a project, and init outside git, explain what to do', async () => {
  const dir = tempDir();
  const env = baseEnv({ HAKO_HOME: tempDir() });
  const r = runHako(['ls'], { cwd: dir, env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no \.hako\/secrets\.json/);
  assert.match(r.stderr, /hint: run `hako init`/);
  const i = runHako(['init'], { cwd: dir, env });
  assert.equal(i.code, 1);
  assert.match(i.stderr, /not inside a git repository/);
});

test('init is idempotent and the project is found from a subfolder', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  const before = p.file();
  assert.match(p.ok(['init']).stderr, /already initialised/);
  assert.equal(p.file(), before);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(p.dir, 'a', 'b'), { recursive: true });
  p.ok(['set', 'DEEP'], { cwd: join(p.dir, 'a', 'b'), input: 'from-below' });
  assert.equal(p.get('DEEP'), 'from-below');
  assert.equal(readFileSync(join(p.dir, '.hako', 'secrets.json'), 'utf8').includes('DEEP'), true);
});

test('set, import and get refuse a missing environment (a typo never makes a new key); env add makes one', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.ok(['env', 'add', 'production']);
  const before = p.file();
  const r = p.run(['set', 'A', '--env', 'prodution'], { input: 'v' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^hako: error: no environment 'prodution' in this project$/m);
  assert.match(r.stderr, /^hako: hint: did you mean 'production'\? .*hako env add prodution/m);
  assert.equal(p.file(), before, 'nothing written');
  writeFileSync(join(p.dir, 'x.env'), 'A=1\n');
  assert.equal(p.run(['import', 'x.env', '--env', 'qa']).code, 1);
  assert.match(p.run(['get', 'A', '--env', 'prodction']).stderr, /did you mean 'production'/);
  assert.equal(p.file(), before, 'nothing written');
  p.ok(['env', 'add', 'qa']);
  p.ok(['set', 'A', '--env', 'qa'], { input: 'v-qa' });
  assert.match(p.run(['set', 'A', '--env', 'qa'], { input: 'v-qa' }).stderr, /already has this value/);
});
