// Issue 2, acceptance 2: values survive a round trip in several environments; ls shows presence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project, hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

const VALUES: Record<string, string> = {
  UNICODE: 'héllo wörld — 日本語 🔑',
  MULTILINE: 'line one\nline two\n\nline four',
  EQUALS: 'a=b=c==',
  QUOTES: `it's "quoted" \`back\` $HOME \\n not a newline`,
  SPACES: '  leading and trailing  ',
  EMPTY: '',
};

test('values round-trip exactly in two environments, and ls shows which are set', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  const big = 'x'.repeat(64 * 1024 - 7) + 'ünï';
  for (const env of ['development', 'production']) {
    for (const [name, value] of Object.entries(VALUES)) p.set(name, `${env}:${value}`, env);
    p.ok(['set', 'BIG', '--env', env], { input: big });
  }
  p.set('ONLY_DEV', 'dev-only-value', 'development');

  for (const env of ['development', 'production']) {
    for (const [name, value] of Object.entries(VALUES)) assert.equal(p.get(name, env), `${env}:${value}`, `${name} in ${env}`);
    assert.equal(p.get('BIG', env), big);
  }

  const ls = JSON.parse(p.ok(['ls', '--json']).stdout);
  const only = ls.secrets.find((s: { name: string }) => s.name === 'ONLY_DEV');
  assert.deepEqual(only.environments, { development: true, production: false });
  assert.equal(ls.secrets.length, Object.keys(VALUES).length + 2);
  assert.deepEqual(
    ls.environments.map((e: { env: string; opens: boolean }) => [e.env, e.opens]),
    [
      ['development', true],
      ['production', true],
    ],
  );

  const text = p.ok(['ls']).stdout;
  assert.match(text, /ONLY_DEV\s+set\s+missing/);
  assert.doesNotMatch(text, /dev-only-value/);
});

test('a trailing newline is kept with --from-file, and one is stripped from stdin', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  const f = join(p.dir, 'value.txt');
  writeFileSync(f, 'ends with newline\n');
  p.ok(['set', 'FROM_FILE', '--from-file', f]);
  p.ok(['set', 'FROM_STDIN'], { input: 'piped\n' });
  assert.equal(p.get('FROM_FILE'), 'ends with newline\n');
  assert.equal(p.get('FROM_STDIN'), 'piped');
  assert.equal(p.ok(['get', 'FROM_STDIN']).stdout, 'piped\n');
  assert.deepEqual(JSON.parse(p.ok(['get', 'FROM_FILE', '--json']).stdout), {
    env: 'development',
    name: 'FROM_FILE',
    value: 'ends with newline\n',
  });
});

test('HAKO_ENV chooses the default environment', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.ok(['env', 'add', 'staging']);
  p.ok(['set', 'TOKEN'], { input: 'staging-token', env: { HAKO_ENV: 'staging' } });
  assert.equal(p.get('TOKEN', 'staging'), 'staging-token');
  assert.equal(p.run(['get', 'TOKEN']).code, 1, 'development has no TOKEN');
  assert.equal(p.run(['get', 'TOKEN'], { env: { HAKO_ENV: 'qa' } }).code, 1, 'HAKO_ENV naming a missing environment is refused');
});

test('rm removes from one or all environments; env rm needs --yes', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', '1', 'development');
  p.set('A', '2', 'staging');
  p.set('B', '3', 'staging');
  p.ok(['rm', 'A', '--env', 'staging']);
  assert.equal(p.get('A', 'development'), '1');
  assert.equal(p.run(['get', 'A', '--env', 'staging']).code, 1);
  p.set('A', '2', 'staging');
  p.ok(['rm', 'A', '--all-envs']);
  assert.deepEqual(Object.keys(p.json().environments.development.secrets), []);
  const refused = p.run(['env', 'rm', 'staging']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--yes/);
  p.ok(['env', 'rm', 'staging', '--yes']);
  assert.deepEqual(Object.keys(p.json().environments), ['development']);
});
