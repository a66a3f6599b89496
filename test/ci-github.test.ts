/**
 * GitHub Actions, run locally against a simulated runner (test/github-runner.ts): the step
 * masks every value and its base64/URL/JSON/hex forms before anything prints them, hands
 * the values to later steps through $GITHUB_ENV exactly (multi-line ones too), and a value
 * holding delimiter-like lines cannot add a variable. The composite action (action.yml) is
 * run the same way, step by step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { environmentFileEntry } from '../src/core/formats/github-actions.js';
import { REPO_ROOT, type Project, hakoInProcessByDefault } from './helpers.js';
import { AWKWARD, binWithHako, ciScratch, FakeCli, pathWith, projectWithValues } from './ci-helpers.js';
import { parseEnvironmentFile, printedForms, runBashStep, RunnerLog } from './github-runner.js';

hakoInProcessByDefault();

const VALUES: Record<string, string> = { ...AWKWARD, PORT: '80', EMPTY: '' };

/** Files the runner creates for a step, and a job environment without the developer's keys. */
function runnerFiles(p: Project, hakoEnv = 'development'): { dir: string; env: NodeJS.ProcessEnv; envFile: string; outputFile: string } {
  const dir = ciScratch('gh-runner-');
  const envFile = join(dir, 'set_env_1');
  const outputFile = join(dir, 'set_output_1');
  writeFileSync(envFile, '');
  writeFileSync(outputFile, '');
  const bundle = p.ok(['key', 'export', '--env', hakoEnv]).stdout.trim();
  // A fresh runner: no key files, only the repository secret.
  const env = {
    ...p.env,
    HAKO_HOME: ciScratch('hako-runner-home-'),
    HAKO_KEY: bundle,
    GITHUB_ACTIONS: 'true',
    GITHUB_ENV: envFile,
    GITHUB_OUTPUT: outputFile,
  };
  return { dir, env, envFile, outputFile };
}

/** A later step that prints every value in every spelling a program might use. */
const PRINT_ALL = `
for name in "$@"; do
  printf '%s=%s\\n' "$name" "\${!name}"
  printf '%s' "\${!name}" | base64 -w0; echo
  printf '%s' "\${!name}" | "$NODE" -e 'const v=require("fs").readFileSync(0,"utf8"); console.log(Buffer.from(v).toString("base64url")); console.log(Buffer.from(v).toString("hex")); console.log(encodeURIComponent(v)); console.log(JSON.stringify({v}))'
done
`;

function assertMasked(log: RunnerLog, values: Record<string, string>): void {
  const text = log.text();
  for (const [name, value] of Object.entries(values)) {
    if (value.replace(/\s/g, '').length < 4) continue;
    for (const form of printedForms(value)) assert.ok(!text.includes(form), `a form of ${name} shows in the runner log`);
  }
}

test('hako ci export --github: masks first, then every value reaches later steps exactly', () => {
  const p = projectWithValues(VALUES);
  try {
    const r = runnerFiles(p);
    const res = p.run(['ci', 'export', '--github'], { env: r.env });
    assert.equal(res.code, 0, res.stderr);
    for (const line of res.stdout.split('\n').filter(Boolean)) assert.match(line, /^::add-mask::/);
    assert.match(res.stderr, /not masked, shorter than 4 characters: PORT\n/);
    const log = new RunnerLog();
    log.feed(res.stdout + res.stderr);

    const written = readFileSync(r.envFile, 'utf8');
    const env = parseEnvironmentFile(written);
    assert.deepEqual(Object.fromEntries(env), VALUES);
    assert.ok(!written.includes(r.env['HAKO_KEY']!), 'the key bundle in $GITHUB_ENV');
    assert.equal(readFileSync(r.outputFile, 'utf8'), '');

    // The next step: the runner puts the variables in its environment; it prints them all.
    const step = runBashStep(r.dir, PRINT_ALL, { PATH: process.env['PATH'], NODE: process.execPath, ...Object.fromEntries(env) }, p.dir);
    assert.equal(step.code, 0, step.output);
    log.feed(step.output);
    // bash's `set -- names` form: pass names as arguments.
    const step2 = runBashStep(
      r.dir,
      `set -- ${Object.keys(VALUES).join(' ')}\n${PRINT_ALL}`,
      { PATH: process.env['PATH'], NODE: process.execPath, ...Object.fromEntries(env) },
      p.dir,
    );
    assert.equal(step2.code, 0, step2.output);
    log.feed(step2.output);
    assertMasked(log, VALUES);
    assert.match(log.text(), /API_TOKEN=\*\*\*/);
    assert.match(log.text(), /PORT=80/); // too short to mask, and said so
    // Nothing but the masking hid them: without it, they show.
    const unmasked = new RunnerLog();
    unmasked.feed(step2.output);
    assert.ok(unmasked.text().includes(VALUES['API_TOKEN']!));
  } finally {
    p.cleanup();
  }
});

test('a value holding delimiter-like lines cannot add a variable', () => {
  const hostile = [
    'first',
    'EOF',
    'ghadelimiter_00000000-0000-0000-0000-000000000000',
    'EVIL=1',
    'INJECTED<<EOF',
    'x',
    'EOF',
    'NODE_OPTIONS=--require /tmp/evil.js',
  ].join('\n');
  const p = projectWithValues({ HOSTILE: hostile, NEXT: 'next-value' });
  try {
    const r = runnerFiles(p);
    const res = p.run(['ci', 'export', '--github'], { env: r.env });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(Object.fromEntries(parseEnvironmentFile(readFileSync(r.envFile, 'utf8'))), { HOSTILE: hostile, NEXT: 'next-value' });
  } finally {
    p.cleanup();
  }
  // The delimiter is never one the value contains, even when the first random pick is.
  const picks = ['EOF', 'ghadelimiter_a', 'ghadelimiter_b'];
  const entry = environmentFileEntry('A', 'x\nEOF\nB=1\nghadelimiter_a\n', () => picks.shift()!);
  assert.ok(entry.startsWith('A<<ghadelimiter_b\n'));
  assert.deepEqual([...parseEnvironmentFile(entry)], [['A', 'x\nEOF\nB=1\nghadelimiter_a\n']]);
});

test('environment file entries round-trip through the runner parser for any values', () => {
  const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,20}$/);
  const value = fc.oneof(
    fc.string({ unit: 'grapheme' }),
    fc.array(fc.constantFrom('EOF', '', 'A=1', 'B<<EOF', '\r', 'x'), { maxLength: 8 }).map((l) => l.join('\n')),
  );
  fc.assert(
    fc.property(fc.dictionary(name, value, { maxKeys: 6 }), (values) => {
      const text = Object.entries(values)
        .map(([n, v]) => environmentFileEntry(n, v))
        .join('');
      assert.deepEqual(Object.fromEntries(parseEnvironmentFile(text)), { ...values });
    }),
    { numRuns: 300 },
  );
});

test('--step-outputs writes $GITHUB_OUTPUT; --only picks names; a missing name fails', () => {
  const p = projectWithValues(VALUES);
  try {
    const r = runnerFiles(p);
    const res = p.run(['ci', 'export', '--github', '--step-outputs', '--only', 'API_TOKEN,MULTI_LINE'], { env: r.env });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(readFileSync(r.envFile, 'utf8'), '');
    assert.deepEqual(Object.fromEntries(parseEnvironmentFile(readFileSync(r.outputFile, 'utf8'))), {
      API_TOKEN: VALUES['API_TOKEN'],
      MULTI_LINE: VALUES['MULTI_LINE'],
    });
    const log = new RunnerLog();
    log.feed(res.stdout);
    assert.ok(log.secrets.includes(VALUES['API_TOKEN']!));
    assert.ok(!log.secrets.includes(VALUES['DB_URL']!), 'a name not exported was masked');
    const missing = p.run(['ci', 'export', '--github', '--only', 'NOPE'], { env: r.env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no secret NOPE/);
  } finally {
    p.cleanup();
  }
});

test('refusals leave $GITHUB_ENV untouched and print no value: process-control names, no runner, no key', () => {
  const p = projectWithValues({ APP: 'app-value-1234', NODE_OPTIONS: '--require ./evil.js' });
  try {
    const r = runnerFiles(p);
    const refused = p.run(['ci', 'export', '--github'], { env: r.env });
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /would set NODE_OPTIONS/);
    assert.equal(readFileSync(r.envFile, 'utf8'), '');
    const allowed = p.run(['ci', 'export', '--github', '--allow', 'NODE_OPTIONS'], { env: r.env });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(parseEnvironmentFile(readFileSync(r.envFile, 'utf8')).get('NODE_OPTIONS'), '--require ./evil.js');

    const { GITHUB_ENV: _e, ...noRunner } = r.env;
    const outside = p.run(['ci', 'export', '--github'], { env: noRunner });
    assert.equal(outside.code, 2);
    assert.match(outside.stderr, /\$GITHUB_ENV is not set/);
    assert.equal(p.run(['ci', 'export'], { env: r.env }).code, 2);

    writeFileSync(r.envFile, '');
    const { HAKO_KEY: _k, ...noKey } = r.env;
    const locked = p.run(['ci', 'export', '--github'], { env: noKey });
    assert.equal(locked.code, 3);
    assert.equal(locked.stdout, '');
    assert.equal(readFileSync(r.envFile, 'utf8'), '');
  } finally {
    p.cleanup();
  }
});

interface ActionStep {
  name: string;
  shell: string;
  run: string;
  env?: Record<string, string>;
  'working-directory'?: string;
}

/** Runs action.yml's steps as the runner would, with `inputs`, hako on PATH, a fresh runner. */
function runAction(
  p: Project,
  inputs: Record<string, string>,
  hakoEnv = 'production',
): { log: RunnerLog; envFile: string; code: number | null; output: string } {
  const action = parseYaml(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
    runs: { using: string; steps: ActionStep[] };
  };
  assert.equal(action.runs.using, 'composite');
  for (const name of Object.keys(inputs)) assert.ok(name in action.inputs, `action.yml has no input ${name}`);
  const value = (expr: string) =>
    expr.replace(/\$\{\{\s*inputs\.([a-z-]+)\s*\}\}/g, (_m, n: string) => inputs[n] ?? action.inputs[n]?.default ?? '');
  const r = runnerFiles(p, hakoEnv);
  const bin = binWithHako();
  const log = new RunnerLog();
  let output = '';
  for (const step of action.runs.steps) {
    assert.equal(step.shell, 'bash');
    assert.ok(!step.run.includes('${{'), `step "${step.name}" interpolates an expression into its script`);
    const env: NodeJS.ProcessEnv = {
      PATH: pathWith(bin),
      HOME: p.home,
      HAKO_HOME: r.env['HAKO_HOME'],
      GITHUB_ACTIONS: 'true',
      GITHUB_ENV: r.envFile,
      GITHUB_OUTPUT: r.outputFile,
      GITHUB_ACTION_PATH: REPO_ROOT,
    };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = value(v);
    const cwd = join(p.dir, value(step['working-directory'] ?? '.'));
    const res = runBashStep(r.dir, step.run, env, cwd);
    log.feed(res.output);
    output += res.output;
    if (res.code !== 0) return { log, envFile: r.envFile, code: res.code, output };
  }
  return { log, envFile: r.envFile, code: 0, output };
}

test('the composite action (action.yml) exports masked values to later steps', () => {
  const p = projectWithValues(VALUES, 'production');
  try {
    const bundle = p.ok(['key', 'export', '--env', 'production']).stdout.trim();
    const a = runAction(p, { key: bundle, env: 'production' });
    assert.equal(a.code, 0, a.output);
    const env = parseEnvironmentFile(readFileSync(a.envFile, 'utf8'));
    assert.deepEqual(Object.fromEntries(env), VALUES);
    const later = runBashStep(
      ciScratch(),
      `set -- ${Object.keys(VALUES).join(' ')}\n${PRINT_ALL}`,
      { PATH: process.env['PATH'], NODE: process.execPath, ...Object.fromEntries(env) },
      p.dir,
    );
    a.log.feed(later.output);
    assertMasked(a.log, VALUES);
    assert.ok(!a.log.text().includes(bundle));

    const some = runAction(p, { key: bundle, env: 'production', only: 'API_TOKEN, DB_URL' });
    assert.equal(some.code, 0, some.output);
    assert.deepEqual([...parseEnvironmentFile(readFileSync(some.envFile, 'utf8')).keys()], ['API_TOKEN', 'DB_URL']);

    const nokey = runAction(p, { env: 'production' });
    assert.equal(nokey.code, 3, nokey.output);
    assert.match(nokey.output, /no key opens environment 'production'/);
    assert.equal(readFileSync(nokey.envFile, 'utf8'), '');
  } finally {
    p.cleanup();
  }
});

test('the composite action runs one command with the values, its output redacted, nothing exported', () => {
  const p = projectWithValues(VALUES, 'production');
  try {
    const bundle = p.ok(['key', 'export', '--env', 'production']).stdout.trim();
    const run = 'echo "token: $API_TOKEN"; printf %s "$API_TOKEN" | base64; test -z "${HAKO_KEY:-}" && echo "no key here"';
    const a = runAction(p, { key: bundle, env: 'production', run });
    assert.equal(a.code, 0, a.output);
    assert.match(a.output, /token: \[REDACTED:API_TOKEN\]/);
    assert.match(a.output, /^\[REDACTED:API_TOKEN\]$/m);
    assert.match(a.output, /no key here/);
    assert.ok(!a.output.includes(VALUES['API_TOKEN']!));
    assert.equal(readFileSync(a.envFile, 'utf8'), '');
    const failing = runAction(p, { key: bundle, env: 'production', run: 'exit 7' });
    assert.equal(failing.code, 7);
  } finally {
    p.cleanup();
  }
});

test("the action's install step installs hako-secrets at the action's own version when no hako is on PATH", (t) => {
  const action = parseYaml(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as { runs: { steps: ActionStep[] } };
  const install = action.runs.steps[0]!;
  assert.equal(install.name, 'Install hako');
  const dir = ciScratch('fake-npm-');
  const npm = new FakeCli('npm');
  const path = `${npm.dir}:${dirname(process.execPath)}:/usr/bin:/bin`;
  const found = runBashStep(dir, 'command -v hako || true', { PATH: path }, dir);
  if (found.output.trim() !== '') {
    t.skip(`a hako is installed on this machine (${found.output.trim()})`);
    return;
  }
  const r = runBashStep(dir, install.run, { PATH: path, GITHUB_ACTION_PATH: REPO_ROOT }, dir);
  assert.equal(r.code, 0, r.output);
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  assert.deepEqual(
    npm.calls().map((c) => c.argv),
    [['install', '--global', '--no-fund', '--no-audit', `hako-secrets@${version}`]],
  );
  // With a hako on PATH, nothing is installed.
  npm.reset();
  const bin = binWithHako();
  assert.equal(runBashStep(dir, install.run, { PATH: `${bin}:${path}`, GITHUB_ACTION_PATH: REPO_ROOT }, dir).code, 0);
  assert.deepEqual(npm.calls(), []);
});
