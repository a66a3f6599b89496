/**
 * The README's examples work as written: the Quick start block and the per-person access
 * block run line by line in bash, in a fresh git repository, with the built `hako` on PATH.
 * Only placeholders change (`age1…ravi` becomes Ravi's real recipient); comments are dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAKO_BIN, Project, REPO_ROOT, tempDir } from './helpers.js';

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** The command lines of the first ```sh block after `marker`, without comments. */
function block(marker: string): string[] {
  const from = README.indexOf(marker);
  assert.ok(from >= 0, `README has "${marker}"`);
  const start = README.indexOf('```sh\n', from) + 6;
  const end = README.indexOf('```', start);
  return README.slice(start, end)
    .split('\n')
    .map((l) => l.replace(/\s{2,}#.*$/, '').trim())
    .filter(Boolean);
}

function shell(p: Project): (line: string, opts?: { input?: string; env?: NodeJS.ProcessEnv }) => { code: number | null; out: string } {
  const bin = join(p.home, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'hako'), `#!/bin/sh\nexec "${process.execPath}" "${HAKO_BIN}" "$@"\n`);
  chmodSync(join(bin, 'hako'), 0o755);
  return (line, opts = {}) => {
    const r = spawnSync('bash', ['-c', line], {
      cwd: p.dir,
      env: { ...p.env, PATH: `${bin}:${p.env['PATH']}`, ...opts.env },
      input: opts.input ?? '',
      encoding: 'utf8',
    });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };
}

test('README Quick start runs as written', (t) => {
  const p = new Project({ init: false });
  t.after(() => p.cleanup());
  const run = shell(p);
  writeFileSync(join(p.dir, '.env'), 'FROM_DOTENV=dotenv-value\n');
  const lines = block('## Quick start');
  assert.equal(lines[0], 'cd my-app');
  for (const line of lines.slice(1)) {
    const r = run(line, {
      input: line === 'hako set DATABASE_URL' ? 'postgres://app:readme@db/app\n' : '',
      env: { TOKEN: 'tok-readme-1', EDITOR: 'true' },
    });
    assert.equal(r.code, 0, `$ ${line}\n${r.out}`);
  }
  assert.equal(run('hako get API_TOKEN --env production -n').out, 'tok-readme-1');
  assert.equal(run('hako get FROM_DOTENV -n').out, 'dotenv-value');
});

test('README per-person access runs as written (recipients add, add, rm)', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  const run = shell(p);
  assert.equal(run('hako env add production').code, 0);
  assert.equal(run('printf %s tok-77 | hako set API_TOKEN --env production').code, 0);
  const lines = block('Per-person access, no shared secret');
  assert.equal(lines[0], 'hako keygen');
  const recipients: Record<string, string> = {};
  for (const who of ['ravi', 'mina']) {
    const home = tempDir(`hako-readme-${who}-`);
    t.after(() => rmSync(home, { recursive: true, force: true }));
    const r = run('hako keygen', { env: { HOME: home, HAKO_HOME: join(home, 'hako') } });
    assert.equal(r.code, 0, r.out);
    recipients[who] = /age1[0-9a-z]+/.exec(r.out)![0];
  }
  for (const line of lines.slice(1)) {
    const real = line.replace(/age1…(ravi|mina)/g, (_, who: string) => recipients[who]!);
    const r = run(real);
    assert.equal(r.code, 0, `$ ${line}\n${r.out}`);
  }
  const ls = JSON.parse(run('hako recipients ls --env production --json').out);
  assert.deepEqual(
    ls.map((x: { name: string }) => x.name),
    ['Mina <mina@example.com>'],
  );
});
