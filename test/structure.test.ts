/**
 * The shape of the code. Imports point inwards only: cli → commands → services → core. `launcher/` (starting
 * programs) is used by services and by `agent/` (which starts app instances); `agent/` and `ui/` sit beside `commands/`; `sdk/` (what apps
 * import) depends on nothing of hako, and `typegen/` only on core. This test reads every
 * import in src/ (static, `export … from`, dynamic `import()` and `require()`) and fails on
 * one that points the wrong way. To change the rules, change MAY_IMPORT and say why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { REPO_ROOT } from './helpers.js';

const SRC = join(REPO_ROOT, 'src');

/** Layer → the layers its files may import (its own always included). */
const MAY_IMPORT: Record<string, string[]> = {
  cli: ['commands', 'agent', 'ui', 'services', 'core'],
  commands: ['agent', 'ui', 'services', 'core'],
  // The agent starts app instances with the launcher's deliveries (fd 3, env, files) and redactor.
  agent: ['commands', 'ui', 'services', 'launcher', 'core'],
  ui: ['commands', 'agent', 'services', 'core'],
  services: ['launcher', 'typegen', 'core'],
  launcher: ['core'],
  typegen: ['core'],
  sdk: [],
  core: [],
  // src/index.ts: the library entry, over services and core.
  '(root)': ['services', 'core'],
};

function layerOf(file: string): string {
  const rel = relative(SRC, file).split(sep);
  return rel.length === 1 ? '(root)' : rel[0]!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;

/** Every relative import of a file, with its line. */
export function importsOf(text: string): { spec: string; line: number }[] {
  const out: { spec: string; line: number }[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[2]!;
    if (spec.startsWith('.')) out.push({ spec, line: text.slice(0, m.index).split('\n').length });
  }
  return out;
}

function violations(): string[] {
  const bad: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = layerOf(file);
    const allowed = MAY_IMPORT[from];
    const text = readFileSync(file, 'utf8');
    for (const { spec, line } of importsOf(text)) {
      const target = resolve(dirname(file), spec);
      const where = `src/${relative(SRC, file)}:${line} imports ${spec}`;
      if (!target.startsWith(SRC + sep)) {
        bad.push(`${where}: outside src/`);
        continue;
      }
      const to = layerOf(target);
      if (allowed === undefined) bad.push(`${where}: the folder src/${from}/ has no rule in MAY_IMPORT`);
      else if (to !== from && !allowed.includes(to))
        bad.push(`${where}: ${from} may not import ${to} (allowed: ${allowed.join(', ') || 'nothing'})`);
    }
  }
  return bad;
}

test('imports in src/ point inwards only', () => {
  assert.deepEqual(violations(), []);
});

test('the check sees every kind of import', () => {
  const text = [
    "import { a } from '../cli/main.js';",
    "import type { B } from '../cli/command.js';",
    "export { c } from '../commands/x.js';",
    "import '../cli/side-effect.js';",
    "const m = await import('../cli/lazy.js');",
    "const r = require('../cli/req.js');",
    "import { readFileSync } from 'node:fs';",
  ].join('\n');
  assert.deepEqual(
    importsOf(text).map((i) => i.spec),
    ['../cli/main.js', '../cli/command.js', '../commands/x.js', '../cli/side-effect.js', '../cli/lazy.js', '../cli/req.js'],
  );
});

test('source comments stand alone: none cites a design section or an issue number', () => {
  const cited: string[] = [];
  for (const file of sourceFiles(SRC)) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((l, i) => {
        if (/DESIGN §|\b[Ii]ssue \d+/.test(l)) cited.push(`src/${relative(SRC, file)}:${i + 1}: ${l.trim()}`);
      });
  }
  assert.deepEqual(cited, []);
});

test('tests read nothing outside the repository (vectors live in test/vectors)', () => {
  const TEST = join(REPO_ROOT, 'test');
  const outside: string[] = [];
  for (const file of sourceFiles(TEST)) {
    const text = readFileSync(file, 'utf8');
    if (/\/work\/shared|'\.\.', 'shared'|HAKO_SHARED_VECTORS/.test(text) && !file.endsWith('structure.test.ts')) {
      outside.push(relative(REPO_ROOT, file));
    }
  }
  assert.deepEqual(outside, []);
});

test('.ci/run runs the README test command, with every tool required', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const ci = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8');
  assert.match(readme, /\nnpm install && npm test\n/);
  assert.match(ci, /stage test "npm install && npm test"/);
  assert.match(ci, /export HAKO_REQUIRE_TOOLS=1/);
  for (const stage of ['npm run lint', 'npm run test:integration']) assert.ok(ci.includes(stage), stage);
});
