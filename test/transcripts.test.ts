// CLI behaviour as transcripts (test/transcripts/*.txt), in the spirit of age's testscript files.
//
//   $ command            run with bash in a fresh project (git repo + `hako init`), `hako` on PATH
//   text                 an expected stdout line
//   [stderr] text        an expected stderr line
//   [exit N]             the expected exit code (default 0)
//   # comment            ignored (blank lines count only between output lines of a step)
// In expected lines {{DIR}} is the project folder, {{HOME}} its HAKO_HOME, {{KEYID}} 16 hex
// characters and {{*}} anything. stdout and stderr are each compared line by line, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAKO_BIN, Project, REPO_ROOT } from './helpers.js';

interface Step {
  command: string;
  line: number;
  stdout: string[];
  stderr: string[];
  exit: number;
}

function parse(text: string): Step[] {
  const steps: Step[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.startsWith('$ ')) steps.push({ command: raw.slice(2), line: i + 1, stdout: [], stderr: [], exit: 0 });
    else if (raw.startsWith('#') && steps.length === 0) return;
    else if (raw.startsWith('# ')) return;
    else {
      const step = steps[steps.length - 1];
      if (!step) {
        if (raw.trim() === '') return;
        throw new Error(`line ${i + 1}: expected output before any command`);
      }
      const exit = /^\[exit (\d+)\]$/.exec(raw);
      if (exit) step.exit = Number(exit[1]);
      else if (raw.startsWith('[stderr] ')) step.stderr.push(raw.slice(9));
      else step.stdout.push(raw);
    }
  });
  for (const step of steps) while (step.stdout.length && step.stdout[step.stdout.length - 1] === '') step.stdout.pop();
  return steps;
}

function pattern(expected: string, vars: Record<string, string>): RegExp {
  const parts = expected.split(/(\{\{[A-Z*]+\}\})/).map((part) => {
    if (part === '{{KEYID}}') return '[0-9a-f]{16}';
    if (part === '{{*}}') return '.*';
    const m = /^\{\{([A-Z]+)\}\}$/.exec(part);
    const literal = m ? vars[m[1]!] : part;
    if (literal === undefined) throw new Error(`unknown placeholder ${part}`);
    return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('')}$`);
}

function compare(actual: string, expected: string[], vars: Record<string, string>, what: string): void {
  const lines = actual === '' ? [] : actual.replace(/\n$/, '').split('\n');
  assert.equal(lines.length, expected.length, `${what}: ${lines.length} lines, expected ${expected.length}:\n${actual}`);
  expected.forEach((e, i) => assert.match(lines[i]!, pattern(e, vars), `${what}, line ${i + 1}`));
}

const dir = join(REPO_ROOT, 'test', 'transcripts');
for (const name of readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort()) {
  test(`transcript ${name}`, (t) => {
    const p = new Project();
    t.after(() => p.cleanup());
    const bin = join(p.home, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'hako'), `#!/bin/sh\nexec "${process.execPath}" "${HAKO_BIN}" "$@"\n`);
    chmodSync(join(bin, 'hako'), 0o755);
    const vars = { DIR: p.dir, HOME: p.home };
    for (const step of parse(readFileSync(join(dir, name), 'utf8'))) {
      const r = spawnSync('bash', ['-c', step.command], {
        cwd: p.dir,
        env: { ...p.env, PATH: `${bin}:${p.env['PATH']}` },
        encoding: 'utf8',
      });
      const where = `${name}:${step.line} $ ${step.command}`;
      assert.equal(r.status, step.exit, `${where}: exit code (stderr: ${r.stderr})`);
      compare(r.stdout, step.stdout, vars, `${where} stdout`);
      compare(r.stderr, step.stderr, vars, `${where} stderr`);
    }
  });
}
