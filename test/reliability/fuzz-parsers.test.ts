/**
 * Property and fuzz tests for every parser in PARSERS (test/reliability/parsers.ts):
 * - any input parses, or fails with a HakoError whose code the parser may throw, with a
 *   one-line message and a hint (never a TypeError, never a message quoting the input);
 * - generated models survive parse(encode(m)) == m, and canonical text re-encodes to the
 *   same bytes;
 * - big and deep inputs finish (the test timeout is the hang guard, not a timing claim;
 *   in npm run test:deep only: megabytes per input, too slow for the fast tier);
 * - errors of the import formats never quote a value.
 * Counts: HAKO_DEEP=1 runs 10,000 cases per property; npm test a few hundred.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { HakoError } from '../../src/core/errors.js';
import { encodeDotenv, parseDotenv } from '../../src/core/formats/dotenv.js';
import { parseJsonMap, parseYamlMap } from '../../src/core/formats/structured.js';
import { encodeExport } from '../../src/services/transfer.js';
import { stringify as stringifyYaml } from 'yaml';
import { PARSERS } from './parsers.js';
import { checkInput } from './contract.js';
import { runLargeInput } from './large-input-worker.js';
import { cases, DEEP, failureReport, fcParams, recordArea } from './depth.js';
import { secretName } from './arbitraries.js';

const RUNS = Number(process.env['HAKO_FUZZ_RUNS']) || cases(300, 10_000);
const HANG_LIMIT_MS = 60_000;

/** Runtime warnings (process.emitWarning) a parser caused: the CLI would print them on stderr. */
const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
async function noNewWarnings(before: number): Promise<void> {
  await new Promise((r) => setImmediate(r));
  if (warnings.length > before) throw new Error(`a parser made Node print a warning: ${warnings[before]}`);
}

for (const p of PARSERS) {
  describe(`fuzz ${p.name}: ${p.covers}`, () => {
    let tried = 0;
    let failures = 0;
    after(() => recordArea({ area: `fuzz:${p.name}`, tried, failures }));

    test(`any input parses or fails with ${p.codes.join('/')} (${RUNS} cases)`, async () => {
      const before = warnings.length;
      const d = await fc.check(
        fc.asyncProperty(p.inputs, (input) => checkInput(p, input)),
        fcParams(RUNS),
      );
      tried += d.numRuns;
      if (d.failed) failures++;
      if (d.failed) assert.fail(failureReport(d, fc.defaultReportMessage(d)));
      await noNewWarnings(before);
    });

    const rt = p.roundTrip;
    if (rt) {
      test(`parse(encode(m)) == m${rt.reencode ? ' and encode(parse(text)) gives back the same bytes' : ''} (${RUNS} cases)`, async () => {
        const d = await fc.check(
          fc.asyncProperty(rt.cases, async ({ model, text }) => {
            const parsed = await p.parse(text);
            assert.deepStrictEqual(rt.decoded(parsed), model);
            if (rt.reencode) assert.equal(rt.reencode(parsed), text);
          }),
          fcParams(RUNS),
        );
        tried += d.numRuns;
        if (d.failed) failures++;
        if (d.failed) assert.fail(failureReport(d, fc.defaultReportMessage(d)));
      });
    }

    // Each runs in a worker the test stops after HANG_LIMIT_MS: a hang guard, not a timing
    // claim (a linear parser needs well under a second; the quadratic dotenv scan took minutes).
    // Megabytes per input: npm run test:deep only.
    if (DEEP)
      test('large and deeply nested inputs finish', async () => {
        const count = p.large().length;
        for (let k = 0; k < count; k++) {
          tried++;
          const r = await runLargeInput(p.name, k, HANG_LIMIT_MS);
          if (!r.ok) {
            failures++;
            assert.fail(r.error);
          }
        }
      });
  });
}

describe('fuzz import errors: no message quotes a value', () => {
  const MARK = 'sekret-';
  const markedValues = fc
    .uniqueArray(
      fc.tuple(secretName, fc.string({ unit: fc.constantFrom(...'abcxyz019 "\'\\#=$'.split('')), minLength: 3, maxLength: 12 })),
      { selector: ([k]) => k, minLength: 1, maxLength: 6 },
    )
    .map((pairs) => new Map(pairs.map(([k, v]) => [k, `${MARK}${v}`])));
  const formats = [
    { name: 'dotenv', encode: (m: Map<string, string>) => encodeDotenv(m), parse: (t: string) => parseDotenv(t, 'in.env') },
    { name: 'json', encode: (m: Map<string, string>) => encodeExport(m, 'json'), parse: (t: string) => parseJsonMap(t, 'in.json') },
    {
      name: 'yaml',
      encode: (m: Map<string, string>) => stringifyYaml(Object.fromEntries(m)),
      parse: (t: string) => parseYamlMap(t, 'in.yaml'),
    },
  ];
  let tried = 0;
  let failures = 0;
  after(() => recordArea({ area: 'fuzz:import-errors-quote-no-value', tried, failures }));
  for (const f of formats) {
    test(`${f.name}: refused files never echo a value`, async () => {
      const breaker = fc.constantFrom('"', "'", '\\x', '{', '}', '\n  x', '\nx', '=', ': ', '[', '&', '*z', '#', ',');
      const d = await fc.check(
        fc.asyncProperty(markedValues, fc.nat(), breaker, async (values, at, frag) => {
          const text = f.encode(values);
          const i = at % (text.length + 1);
          try {
            await f.parse(text.slice(0, i) + frag + text.slice(i));
          } catch (err) {
            const e = err as HakoError;
            for (const v of values.values()) {
              if (e.message.includes(v) || (e.hint ?? '').includes(v)) throw new Error(`a ${f.name} error quotes a value: ${e.message}`);
            }
          }
        }),
        fcParams(Math.ceil(RUNS / 3)),
      );
      tried += d.numRuns;
      if (d.failed) failures++;
      if (d.failed) assert.fail(failureReport(d, fc.defaultReportMessage(d)));
    });
  }
});
