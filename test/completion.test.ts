/**
 * Shell completion generated from the command table, loaded into real shells: bash always
 * (`complete -p hako`, then the completion function answering for real command lines), fish
 * and zsh when installed (CI installs them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../src/cli/registry.js';
import { completionScript } from '../src/commands/completion.js';
import { HAKO_BIN, Project, hakoInProcessByDefault } from './helpers.js';
import { needTools } from './tools.js';

hakoInProcessByDefault();

/** A project with environments, and a PATH whose `hako` is the built binary. */
function setup(t: { after(fn: () => void): void }): { p: Project; env: NodeJS.ProcessEnv } {
  const p = new Project();
  t.after(() => p.cleanup());
  p.ok(['env', 'add', 'production']);
  p.ok(['env', 'add', 'staging']);
  const bin = join(p.home, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'hako'), `#!/bin/sh\nexec "${process.execPath}" "${HAKO_BIN}" "$@"\n`);
  chmodSync(join(bin, 'hako'), 0o755);
  return { p, env: { ...p.env, PATH: `${bin}:${p.env['PATH']}` } };
}

const BASH_CASES: [string, string[]][] = [
  ['hako ', [...new Set(COMMANDS.map((c) => c.words[0]!))].sort()],
  ['hako key ex', ['export']],
  ['hako recipients ', ['add', 'ls', 'rm']],
  ['hako get --e', ['--env']],
  ['hako get -n --env production NAME --j', ['--json']],
  ['hako get NAME --env ', ['development', 'production', 'staging']],
  ['hako --env pro', ['production']],
  ['hako --env production ge', ['get']],
  ['hako run --via ', ['env', 'fd3', 'files']],
  ['hako export --format ', ['dotenv', 'json', 'k8s-secret', 'shell']],
  ['hako typegen -l ', ['go', 'ts']],
  ['hako completion ', ['--help', 'bash', 'fish', 'zsh']],
  ['hako completion b', ['bash']],
];

test('bash: the script loads, registers `hako`, and completes commands, subcommands, options and values', (t) => {
  const { p, env } = setup(t);
  const lines = BASH_CASES.map(
    ([line]) =>
      `COMP_LINE=${JSON.stringify(line)}; read -ra COMP_WORDS <<< "$COMP_LINE"; ` +
      `[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _hako; ` +
      `printf '%s\\n' "$(printf '%s\\n' "\${COMPREPLY[@]}" | sort | tr '\\n' ' ')"`,
  );
  const script = ['source <(hako completion bash) || exit 9', 'complete -p hako', ...lines].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { cwd: p.dir, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const out = r.stdout.split('\n');
  assert.equal(out[0], 'complete -o default -F _hako hako');
  BASH_CASES.forEach(([line, want], i) => {
    const got = out[i + 1]!.trim().split(' ').filter(Boolean);
    if (line === 'hako ') for (const w of want) assert.ok(got.includes(w), `${line}: ${w} offered`);
    else assert.deepEqual(got, want, line);
  });
});

test('the scripts are made from the table: every command and option appears in each', () => {
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    const s = completionScript(shell, COMMANDS);
    for (const c of COMMANDS) {
      for (const w of c.words) assert.ok(s.includes(w), `${shell}: ${c.words.join(' ')}`);
      for (const o of Object.keys(c.options)) assert.ok(s.includes(shell === 'fish' ? `-l ${o}` : `--${o}`), `${shell}: --${o}`);
    }
  }
});

test('fish: `complete -C` answers from the generated script', (t) => {
  if (!needTools(t, 'fish')) return;
  const { p, env } = setup(t);
  const script = [
    'hako completion fish | source',
    ...['hako key ex', 'hako recipients ', 'hako get NAME --env pro', 'hako run --via f'].map(
      (l) => `complete -C ${JSON.stringify(l)} | string replace -r '\\t.*' '' | string join ' '`,
    ),
  ].join('\n');
  const r = spawnSync('fish', ['--no-config', '-c', script], { cwd: p.dir, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['export', 'add ls rm', 'production', 'fd3 files']);
});

test('zsh: the script loads after compinit, registers _hako, and its function answers', (t) => {
  if (!needTools(t, 'zsh')) return;
  const { p, env } = setup(t);
  const loaded = spawnSync(
    'zsh',
    [
      '-f',
      '-c',
      'autoload -Uz compinit && compinit -u -D && source <(hako completion zsh) && whence -w _hako && print -r -- ${_comps[hako]}',
    ],
    { cwd: p.dir, env: { ...env, HOME: p.home }, encoding: 'utf8' },
  );
  assert.equal(loaded.status, 0, loaded.stderr);
  assert.equal(loaded.stdout, '_hako: function\n_hako\n');
  // The completion function itself, with zsh's completion builtins replaced by printers:
  // what it would offer for each command line (zsh then filters by the typed prefix).
  const cases: [string[], string[]][] = [
    [
      ['hako', 'key', 'ex'],
      ['export', 'import', 'ls', 'rotate'],
    ],
    [
      ['hako', 'get', 'X', '--env', ''],
      ['development', 'production', 'staging'],
    ],
    [
      ['hako', 'run', '--via', ''],
      ['env', 'fd3', 'files'],
    ],
    [
      ['hako', 'completion', ''],
      ['bash', 'zsh', 'fish', '--help'],
    ],
    [['hako', 'typegen', '--out', ''], ['(files)']],
  ];
  const script = [
    'source <(hako completion zsh)',
    'compadd() { local seen=0 a; for a in "$@"; do if (( seen )); then print -r -- $a; elif [[ $a == -- ]]; then seen=1; fi; done }',
    '_describe() { local x; for x in "${(@P)2}"; do print -r -- ${x%%:*}; done }',
    '_files() { print -r -- "(files)" }',
    ...cases.map(
      ([w]) => `words=(${w.map((x) => (x === '' ? "''" : x)).join(' ')}); CURRENT=${w.length}; print -r -- "$(_hako | tr '\\n' ' ')"`,
    ),
  ].join('\n');
  const r = spawnSync('zsh', ['-f', '-c', script], { cwd: p.dir, env: { ...env, HOME: p.home }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trimEnd().split('\n');
  cases.forEach(([w, want], i) => assert.deepEqual(out[i]!.trim().split(' '), want, w.join(' ')));
});
