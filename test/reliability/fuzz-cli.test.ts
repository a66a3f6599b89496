/**
 * Fuzzing the CLI as a whole, in process through `main()`, with a sample through the binary:
 * - random command lines (real words, options, names, junk) against a real project: every
 *   run ends with an exit code hako documents, never an internal error or a stack trace,
 *   and stderr holds only `hako:` lines;
 * - import → export round trips for dotenv, JSON and YAML with generated values (unicode,
 *   quotes, newlines, lone surrogates, NUL): the values come back exactly, or the import is
 *   refused as a whole (E_INVALID_VALUE / E_INVALID_NAME) with nothing written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify as stringifyYaml } from 'yaml';
import { encodeExport } from '../../src/services/transfer.js';
import { encodePortableDotenvLine } from '../../src/core/formats/dotenv.js';

function portableDotenv(v: string): boolean {
  try {
    encodePortableDotenvLine('V', v);
    return true;
  } catch {
    return false;
  }
}
import { Project, runHako } from '../helpers.js';
import { hakoInProcess, onlyHakoLines } from './in-process.js';
import { cases, failureReport, fcParams, recordArea } from './depth.js';
import { anyString, envName, secretName, storableValue } from './arbitraries.js';
import { PARSERS } from './parsers.js';

// Exit 7 (trust) is right when a case restores secrets.json behind a rotation an earlier case made: a rollback.
const DOCUMENTED_EXITS = new Set([0, 1, 2, 3, 4, 5, 6, 7, 130]);

describe('fuzz the command line', () => {
  let p: Project;
  let snapshot: string;
  let secretsPath: string;
  before(() => {
    p = new Project();
    p.set('DATABASE_URL', 'postgres://fuzz:pw@db/app');
    p.set('API_TOKEN', 'tok-fuzz', 'production');
    p.ok(['env', 'add', 'fuzz']); // the hostile imports below land here when they parse
    p.env = { ...p.env, EDITOR: 'true', VISUAL: '' };
    secretsPath = join(p.dir, '.hako', 'secrets.json');
    snapshot = readFileSync(secretsPath, 'utf8');
  });
  after(() => p.cleanup());

  const words = fc.constantFrom(
    'init',
    'set',
    'get',
    'rm',
    'ls',
    'import',
    'export',
    'edit',
    'env',
    'add',
    'key',
    'rotate',
    'help',
    '--help',
    '-h',
    '--version',
    '--env',
    '-e',
    '--json',
    '--all-envs',
    '--yes',
    '--format',
    'json',
    'dotenv',
    'shell',
    'yaml',
    '--from-file',
    '-n',
    '--no-newline',
    '--passphrase',
    '--random',
    'development',
    'production',
    'DATABASE_URL',
    'API_TOKEN',
    '--',
    '-',
    '--env=',
    '--unknown',
    'A=b',
  );
  const arg = fc.oneof(
    { weight: 6, arbitrary: words },
    envName,
    secretName,
    anyString(12),
    fc.constant('/dev/null'),
    fc.constant('nonexistent.env'),
  );
  const argv = fc.array(arg, { maxLength: 6 });

  test(`random command lines end with a documented exit and only hako lines on stderr (${cases(300, 10_000)} cases)`, async () => {
    const d = await fc.check(
      fc.asyncProperty(argv, fc.option(storableValue, { nil: '' }), async (args, stdin) => {
        writeFileSync(secretsPath, snapshot);
        const r = await hakoInProcess(args, { cwd: p.dir, env: p.env, stdin });
        assert.ok(r.code !== null && DOCUMENTED_EXITS.has(r.code), `exit ${r.code} for ${JSON.stringify(args)}: ${r.stderr}`);
        assert.ok(onlyHakoLines(r.stderr), `not only hako lines for ${JSON.stringify(args)}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /internal error/);
      }),
      fcParams(cases(300, 10_000)),
    );
    writeFileSync(secretsPath, snapshot);
    recordArea({ area: 'fuzz:cli-argv', tried: d.numRuns, failures: d.failed ? 1 : 0 });
    if (d.failed) assert.fail(failureReport(d, fc.defaultReportMessage(d)));
  });

  test('a sample of random command lines through the real binary', async () => {
    // A real argv cannot hold a NUL byte (execve ends the string there): such samples are for the in-process run.
    const samples = fc.sample(
      argv.filter((a) => a.every((x) => !x.includes('\0'))),
      cases(10, 150),
    );
    let failures = 0;
    for (const args of samples) {
      writeFileSync(secretsPath, snapshot);
      const r = runHako(args, { cwd: p.dir, env: p.env });
      if (r.code === null || !DOCUMENTED_EXITS.has(r.code) || !onlyHakoLines(r.stderr)) failures++;
      assert.ok(r.code !== null && DOCUMENTED_EXITS.has(r.code), `exit ${r.code} for ${JSON.stringify(args)}: ${r.stderr}`);
      assert.ok(onlyHakoLines(r.stderr), `stderr for ${JSON.stringify(args)}: ${r.stderr}`);
    }
    writeFileSync(secretsPath, snapshot);
    recordArea({ area: 'fuzz:cli-argv-binary', tried: samples.length, failures });
  });

  // What only a real process shows: a runtime warning, a stack trace, a module that fails to
  // load in the bundle (the YAML import once did, with an internal error).
  test('hostile import files and secrets files through the real binary: documented exits, only hako lines', () => {
    const parser = (name: string) => PARSERS.find((x) => x.name === name)!.inputs;
    const files: [string, string[], fc.Arbitrary<string>][] = [
      ['in.env', ['import', 'in.env', '--env', 'fuzz'], parser('dotenv')],
      ['in.json', ['import', 'in.json', '--env', 'fuzz'], parser('json-import')],
      ['in.yaml', ['import', 'in.yaml', '--env', 'fuzz'], parser('yaml-import')],
      ['.hako/secrets.json', ['ls'], parser('secrets-file')],
      ['.hako/secrets.json', ['get', 'DATABASE_URL'], parser('secrets-file')],
    ];
    let tried = 0;
    const problems: string[] = [];
    for (const [file, args, inputs] of files) {
      for (const text of fc.sample(inputs, cases(4, 60))) {
        tried++;
        writeFileSync(secretsPath, snapshot);
        writeFileSync(join(p.dir, file), text);
        const r = runHako(args, { cwd: p.dir, env: p.env });
        if (r.code === null || !DOCUMENTED_EXITS.has(r.code) || !onlyHakoLines(r.stderr))
          problems.push(`${args.join(' ')} on ${JSON.stringify(text.slice(0, 80))}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
      }
    }
    writeFileSync(secretsPath, snapshot);
    recordArea({ area: 'fuzz:cli-files-binary', tried, failures: problems.length });
    assert.deepEqual(problems, []);
  });
});

describe('import → export round trips through the CLI', () => {
  let p: Project;
  before(() => {
    p = new Project();
  });
  after(() => p.cleanup());

  /** Values as import files can spell them: any UTF-16, lone surrogates and NUL included. */
  const values = fc
    .uniqueArray(fc.tuple(secretName, fc.oneof({ weight: 6, arbitrary: storableValue }, { weight: 1, arbitrary: anyString(20) })), {
      selector: ([k]) => k,
      minLength: 1,
      maxLength: 6,
    })
    .map((pairs) => new Map(pairs));
  // `carried`: the value the file really holds. JSON and YAML escape a lone surrogate (\ud800);
  // a dotenv file is plain UTF-8, where one cannot exist and is written as U+FFFD.
  const asUtf8 = (v: string) => Buffer.from(v, 'utf8').toString('utf8');
  const formats: {
    ext: string;
    encode: (m: Map<string, string>) => string;
    carried: (v: string) => string;
    keep?: (v: string) => boolean;
  }[] = [
    // Only values a portable dotenv line can hold (the export refuses the others: findings-dotenv.test.ts).
    { ext: 'env', encode: (m) => encodeExport(m, 'dotenv'), carried: asUtf8, keep: (v) => portableDotenv(asUtf8(v)) },
    { ext: 'json', encode: (m) => encodeExport(m, 'json'), carried: (v) => v },
    { ext: 'yaml', encode: (m) => stringifyYaml(Object.fromEntries(m), { blockQuote: false }), carried: (v) => v },
  ];
  /** What no environment variable can hold: NUL, and text that is not Unicode (lone surrogates). */
  const storable = (v: string) => !v.includes('\0') && asUtf8(v) === v;

  for (const f of formats) {
    test(`${f.ext}: every value comes back exactly, or the import is refused whole (${cases(60, 10_000)} cases)`, async () => {
      const file = join(p.dir, `in.${f.ext}`);
      let refused = 0;
      const d = await fc.check(
        fc.asyncProperty(f.keep ? values.map((m) => new Map([...m].filter(([, v]) => f.keep!(v)))) : values, async (m) => {
          await hakoInProcess(['env', 'add', 'roundtrip'], { cwd: p.dir, env: p.env }); // exit 1 when a refused case left it
          const before = readFileSync(join(p.dir, '.hako', 'secrets.json'), 'utf8');
          writeFileSync(file, f.encode(m), 'utf8');
          const imp = await hakoInProcess(['import', file, '--env', 'roundtrip'], { cwd: p.dir, env: p.env });
          const mustRefuse = [...m.values()].some((v) => !storable(f.carried(v)));
          if (imp.code !== 0 || mustRefuse) {
            refused++;
            assert.equal(imp.code, 2, `import ${mustRefuse ? 'of an unstorable value ' : ''}ended with exit ${imp.code}: ${imp.stderr}`);
            assert.equal(readFileSync(join(p.dir, '.hako', 'secrets.json'), 'utf8'), before, 'a refused import wrote something');
            return;
          }
          const exp = await hakoInProcess(['export', '--env', 'roundtrip', '--format', 'json'], { cwd: p.dir, env: p.env });
          assert.equal(exp.code, 0, exp.stderr);
          const back = JSON.parse(exp.stdout) as Record<string, string>;
          for (const [k, v] of m) assert.equal(back[k], f.carried(v), `${k} did not survive ${f.ext} import`);
          await hakoInProcess(['env', 'rm', 'roundtrip', '--yes'], { cwd: p.dir, env: p.env });
        }),
        fcParams(cases(60, 10_000)),
      );
      recordArea({ area: `fuzz:cli-import-${f.ext}`, tried: d.numRuns, failures: d.failed ? 1 : 0, note: `${refused} refused whole` });
      if (d.failed) assert.fail(failureReport(d, fc.defaultReportMessage(d)));
    });
  }
});
