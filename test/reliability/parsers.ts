/**
 * The table of parsers the fuzz suite iterates (test/reliability/fuzz-parsers.test.ts).
 *
 * Each entry names the code it covers, the error codes it may throw, a generator of hostile
 * inputs, and, where hako also writes the format, a model generator with the canonical
 * encoder: parse(encode(m)) must equal m and encode(parse(text)) must give back the same
 * bytes. `large` inputs (megabytes, deep nesting, alias bombs) must simply finish.
 *
 * To fuzz a new parser, add one entry here (the age parsers from branch `teams` came in this
 * way once it was merged: identities, recipients, OpenSSH keys, recipients.md, shell words).
 */
import { deepStrictEqual } from 'node:assert/strict';
import fc from 'fast-check';
import { stringify as stringifyYaml } from 'yaml';
import type { ErrorCode, HakoError } from '../../src/core/errors.js';
import { encodeSecretsFile, parseSecretsFile, type SecretsFile } from '../../src/core/formats/secrets-file.js';
import { parseStrictJson, type JsonValue } from '../../src/core/formats/strict-json.js';
import { encodeKeyBundle, parseKeyBundle, parseKeyBundleList, BUNDLE_PREFIX, type KeyBundle } from '../../src/core/formats/key-bundle.js';
import { encodeDotenv, parseDotenv } from '../../src/core/formats/dotenv.js';
import { parseJsonMap, parseYamlMap } from '../../src/core/formats/structured.js';
import { encodeExport, parseImport } from '../../src/services/transfer.js';
import { parseRecipient, type RecipientSpec } from '../../src/core/keys/age-recipient.js';
import { loadIdentities, type IdentitySet } from '../../src/core/keys/age-identities.js';
import { encodeRecipientsDoc, parseRecipientsDoc, type RecipientMeta, type RecipientRow } from '../../src/core/formats/recipients-doc.js';
import { splitShellWords } from '../../src/core/formats/shell-words.js';
import { shellQuote } from '../../src/core/formats/shell.js';
import { anyString, keyBundleModel, mutated, rawText, secretsFileModel, treeMutated, valueMap } from './arbitraries.js';
import {
  TEAM,
  identityFile,
  PEM_BEGIN,
  PEM_END,
  recipientModel,
  recipientRows,
  recipientText,
  SSH_KEYS,
  sshKeyBodyMutated,
} from './team-arbitraries.js';

export interface ParserUnderTest {
  /** Area name in the summary: fuzz:<name>. */
  name: string;
  /** The source files it covers. */
  covers: string;
  /** The only error codes it may throw. */
  codes: readonly ErrorCode[];
  parse(input: string): unknown;
  /** Hostile and near-valid inputs. */
  inputs: fc.Arbitrary<string>;
  /** Checks on an accepted input (e.g. re-encoding it parses back to the same thing). */
  onAccept?(input: string, parsed: unknown): void | Promise<void>;
  /** Checks on a refused input. */
  onReject?(input: string, err: HakoError): void;
  /** Parts of the input that are key material: no message may contain them. */
  secretsIn?(input: string): string[];
  roundTrip?: {
    /** Generated model → the text hako would write (or a user would, for read-only formats). */
    cases: fc.Arbitrary<{ model: unknown; text: string }>;
    /** The parse result in the model's shape. */
    decoded(parsed: unknown): unknown;
    /** Re-encoding a parsed canonical text must give back the same bytes. */
    reencode?(parsed: unknown): string;
  };
  /** Big or deep inputs that must finish (the test's timeout is the hang guard). */
  large: () => string[];
}

/** Types each entry, then erases them for the table. */
function entry<M, P>(e: {
  name: string;
  covers: string;
  codes: readonly ErrorCode[];
  parse(input: string): P | Promise<P>;
  inputs: fc.Arbitrary<string>;
  onAccept?(input: string, parsed: P): void | Promise<void>;
  onReject?(input: string, err: HakoError): void;
  secretsIn?(input: string): string[];
  roundTrip?: { model: fc.Arbitrary<M>; encode(m: M): string; decoded(p: P): M; canonical: boolean };
  large: () => string[];
}): ParserUnderTest {
  const rt = e.roundTrip;
  const out: ParserUnderTest = {
    name: e.name,
    covers: e.covers,
    codes: e.codes,
    parse: e.parse,
    inputs: e.inputs,
    large: e.large,
  };
  if (e.onAccept) out.onAccept = e.onAccept as ParserUnderTest['onAccept'];
  if (e.onReject) out.onReject = e.onReject;
  if (e.secretsIn) out.secretsIn = e.secretsIn;
  if (rt) {
    out.roundTrip = {
      cases: rt.model.map((model) => ({ model, text: rt.encode(model) })),
      decoded: (p) => rt.decoded(p as P),
    };
    if (rt.canonical) out.roundTrip.reencode = (p) => rt.encode(rt.decoded(p as P));
  }
  return out;
}

/** Null-prototype objects (strict-json) → plain ones, so deep equality compares content only. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

const toMap = (entries: { name: string; value: string }[]) => new Map(entries.map((e) => [e.name, e.value]));

const SAMPLE_FILE = encodeSecretsFile({
  version: 1,
  environments: new Map([
    [
      'production',
      {
        keyId: '0123456789abcdef',
        check: `v1:${Buffer.alloc(32, 1).toString('base64')}`,
        chain: [],
        recipients: new Map(),
        secrets: new Map([['DATABASE_URL', `v1:${Buffer.alloc(40, 2).toString('base64')}`]]),
        meta: new Map(),
      },
    ],
  ]),
  schema: new Map(),
});

const bundleJson = (b: KeyBundle) => JSON.stringify({ env: b.env, id: b.keyId, key: b.key.toString('base64') });
const asBundle = (json: string) => BUNDLE_PREFIX + Buffer.from(json, 'utf8').toString('base64url');

const DOTENV_LINE = fc.oneof(
  fc.constantFrom(
    'A=1',
    'export B=2',
    '# c',
    '',
    'C="x\\ny"',
    "D='lit'",
    'E=a # c',
    'F="multi',
    'line"',
    'G=',
    ' H = v ',
    'I="a"b',
    'J="\\q"',
    'K',
  ),
  fc.string({ unit: fc.constantFrom('A', '=', '"', "'", '\\', '#', ' ', 'n', '$', 'export ', '\t', '\r'), maxLength: 12 }),
);

export const PARSERS: ParserUnderTest[] = [
  entry<SecretsFile, SecretsFile>({
    name: 'secrets-file',
    covers: 'src/core/formats/secrets-file.ts (+ strict-json.ts)',
    codes: ['E_FORMAT', 'E_VERSION'],
    parse: (t) => parseSecretsFile(t, 'secrets.json'),
    inputs: fc.oneof(
      rawText,
      mutated(fc.oneof(fc.constant(SAMPLE_FILE), secretsFileModel.map(encodeSecretsFile))),
      treeMutated(secretsFileModel.map(encodeSecretsFile)),
    ),
    onAccept: (_t, file) => {
      const again = encodeSecretsFile(file);
      deepStrictEqual(parseSecretsFile(again), file);
    },
    roundTrip: { model: secretsFileModel, encode: encodeSecretsFile, decoded: (f) => f, canonical: true },
    large: () => [
      '{"environments":'.repeat(100_000),
      `${'['.repeat(200_000)}${']'.repeat(200_000)}`,
      `{"version":1,"environments":{},"schema":{${Array.from({ length: 50_000 }, (_, i) => `"N${i}":{"required":true}`).join(',')}}}`,
      `"${'\\u0041'.repeat(300_000)}"`,
      `{"version":${'9'.repeat(100_000)}}`,
    ],
  }),

  entry<unknown, JsonValue>({
    name: 'strict-json',
    covers: 'src/core/formats/strict-json.ts',
    codes: ['E_FORMAT'],
    parse: (t) => parseStrictJson(t, 'input'),
    inputs: fc.oneof(rawText, mutated(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v, null, 1)))),
    // Differential against JSON.parse: whatever strict-json accepts, JSON.parse reads the same way.
    onAccept: (t, v) => deepStrictEqual(plain(v), JSON.parse(t.replace(/^\ufeff/, ''))),
    onReject: (t, err) => {
      let lax: unknown;
      try {
        lax = JSON.parse(t);
      } catch {
        return; // both refuse
      }
      // JSON.parse accepts it: strict-json may only refuse duplicates, depth or giant numbers.
      if (!/duplicate key|nested too deeply|number/.test(err.message))
        throw new Error(`strict-json refused what JSON.parse reads (${typeof lax}): ${err.message}`);
    },
    // JSON has no -0: the model is what JSON can say.
    roundTrip: {
      model: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown),
      encode: (v) => JSON.stringify(v),
      decoded: plain,
      canonical: true,
    },
    large: () => [
      `${'['.repeat(300_000)}`,
      `"${'x'.repeat(2_000_000)}`,
      `{${'"a":1,'.repeat(100_000)}"a":2}`,
      '1'.repeat(500_000),
      ' '.repeat(2_000_000),
    ],
  }),

  entry<KeyBundle, KeyBundle>({
    name: 'key-bundle',
    covers: 'src/core/formats/key-bundle.ts',
    codes: ['E_BUNDLE', 'E_VERSION'],
    parse: parseKeyBundle,
    inputs: fc.oneof(
      rawText,
      mutated(keyBundleModel.map(encodeKeyBundle)),
      treeMutated(keyBundleModel.map(bundleJson)).map(asBundle),
      mutated(keyBundleModel.map(bundleJson)).map(asBundle),
      keyBundleModel.map((b) => asBundle(bundleJson(b).replace('{', `{"env":"${b.env === 'a' ? 'b' : 'a'}",`))),
    ),
    onAccept: (t, b) => {
      deepStrictEqual(parseKeyBundle(encodeKeyBundle(b)), b);
      // What was accepted is what any strict reader sees: no duplicate fields, valid UTF-8.
      const payload = Buffer.from(t.trim().slice(BUNDLE_PREFIX.length), 'base64url');
      deepStrictEqual(
        plain(parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(payload), 'payload')),
        JSON.parse(payload.toString('utf8')),
      );
    },
    roundTrip: { model: keyBundleModel, encode: encodeKeyBundle, decoded: (b) => b, canonical: true },
    large: () => [
      `${BUNDLE_PREFIX}${'A'.repeat(3_000_000)}`,
      asBundle(`{"env":"a","id":"0123456789abcdef","key":"${'A'.repeat(1_000_000)}"}`),
      asBundle('['.repeat(100_000)),
    ],
  }),

  entry<KeyBundle[], KeyBundle[]>({
    name: 'key-bundle-list',
    covers: 'src/core/formats/key-bundle.ts (HAKO_KEY)',
    codes: ['E_BUNDLE', 'E_VERSION'],
    parse: parseKeyBundleList,
    inputs: fc.oneof(rawText, mutated(fc.array(keyBundleModel, { maxLength: 4 }).map((bs) => bs.map(encodeKeyBundle).join(', ')))),
    roundTrip: {
      model: fc.array(keyBundleModel, { maxLength: 4 }),
      encode: (bs) => bs.map(encodeKeyBundle).join(','),
      decoded: (bs) => bs,
      canonical: true,
    },
    large: () => [
      Array.from({ length: 20_000 }, () => encodeKeyBundle({ env: 'a', keyId: '0123456789abcdef', key: Buffer.alloc(32) })).join('\n'),
      ','.repeat(2_000_000),
    ],
  }),

  entry<Map<string, string>, ReturnType<typeof parseDotenv>>({
    name: 'dotenv',
    covers: 'src/core/formats/dotenv.ts',
    codes: ['E_FORMAT'],
    parse: (t) => parseDotenv(t, 'input.env'),
    inputs: fc.oneof(
      rawText,
      mutated(valueMap.map(encodeDotenv)),
      fc.array(DOTENV_LINE, { maxLength: 8 }).map((ls) => ls.join('\n')),
    ),
    onAccept: (_t, entries) => {
      const m = toMap(entries);
      const names = entries.map((e) => e.name).filter((n) => /^[A-Z_][A-Z0-9_]*$/.test(n));
      const kept = new Map([...m].filter(([k]) => names.includes(k)));
      deepStrictEqual(toMap(parseDotenv(encodeDotenv(kept))), kept);
    },
    roundTrip: { model: valueMap, encode: encodeDotenv, decoded: toMap, canonical: true }, // hako's own dialect (edit); export: findings-dotenv
    large: () => [
      `A="\n${'x\n'.repeat(400_000)}`,
      `A="${'\\"'.repeat(300_000)}`,
      `A=${'x'.repeat(2_000_000)}`,
      Array.from({ length: 100_000 }, (_, i) => `A${i}=${i}`).join('\n'),
      `${'\n'.repeat(1_000_000)}A`,
    ],
  }),

  entry<Map<string, string>, Map<string, string>>({
    name: 'json-import',
    covers: 'src/core/formats/structured.ts (JSON)',
    codes: ['E_FORMAT'],
    parse: (t) => parseJsonMap(t, 'input.json'),
    inputs: fc.oneof(
      rawText,
      mutated(valueMap.map((m) => encodeExport(m, 'json'))),
      treeMutated(valueMap.map((m) => encodeExport(m, 'json'))),
    ),
    roundTrip: { model: valueMap, encode: (m) => encodeExport(m, 'json'), decoded: (m) => m, canonical: true },
    large: () => [`{${Array.from({ length: 100_000 }, (_, i) => `"A${i}":"${i}"`).join(',')}}`, `{"A":${'['.repeat(100_000)}`],
  }),

  entry<Map<string, string>, Map<string, string>>({
    name: 'yaml-import',
    covers: 'src/core/formats/structured.ts (YAML)',
    codes: ['E_FORMAT'],
    parse: (t) => parseYamlMap(t, 'input.yaml'),
    inputs: fc.oneof(
      rawText,
      mutated(valueMap.map(yamlOf)),
      fc
        .array(
          fc.constantFrom(
            'A: 1',
            'B: &x v',
            'C: *x',
            'D: *nope',
            '<<: {E: 1}',
            '? [a]\n: b',
            'F: !!binary aGk=',
            'G:',
            'H: [1]',
            '- x',
            '---',
            'I: "\\ud800"',
            'J: 0x1F',
            'K: .inf',
            'L: |\n  x',
            '%YAML 1.1',
            'M: !!foo x',
            '  N: 1',
          ),
          { maxLength: 6 },
        )
        .map((ls) => ls.join('\n')),
    ),
    roundTrip: { model: valueMap, encode: yamlOf, decoded: (m) => m, canonical: false },
    large: () => [
      // An alias bomb: nine levels of nine-fold references.
      [
        'a: &a ["x","x","x","x","x","x","x","x","x"]',
        ...Array.from(
          { length: 8 },
          (_, i) =>
            `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
              .fill(`*${String.fromCharCode(97 + i)}`)
              .join(',')}]`,
        ),
      ].join('\n'),
      `A: ${'['.repeat(20_000)}`,
      Array.from({ length: 50_000 }, (_, i) => `A${i}: v${i}`).join('\n'),
    ],
  }),

  entry<unknown, Map<string, string>[]>({
    name: 'import-bytes',
    covers: 'src/services/transfer.ts parseImport (bytes → UTF-8 → dotenv/JSON/YAML → names)',
    codes: ['E_FORMAT', 'E_INVALID_NAME', 'E_INVALID_VALUE'],
    // The input's code units are taken as bytes (latin1), so any byte sequence is reachable.
    parse: async (t) => {
      const bytes = Buffer.from(t, 'latin1');
      const out: Map<string, string>[] = [];
      const errors: unknown[] = [];
      for (const f of ['dotenv', 'json', 'yaml'] as const) {
        try {
          out.push(await parseImport(bytes, f, `input.${f}`));
        } catch (err) {
          errors.push(err);
        }
      }
      if (out.length === 0) throw errors[0];
      return out;
    },
    inputs: fc.oneof(
      fc.string({ unit: 'binary-ascii', maxLength: 200 }),
      mutated(valueMap.map((m) => Buffer.from(encodeDotenv(m), 'utf8').toString('latin1'))),
    ),
    large: () => [`${'\xff'.repeat(1_000_000)}`],
  }),

  // ---- from branch `teams` (age and ssh) ----

  entry<string, RecipientSpec>({
    name: 'age-recipient',
    covers: 'src/core/keys/age-recipient.ts, src/core/formats/openssh-key.ts (public key lines)',
    codes: ['E_AGE'],
    parse: parseRecipient,
    inputs: fc.oneof(
      rawText,
      mutated(recipientText),
      recipientText.map((r) => `  ${r.toUpperCase()}\n`),
      fc.constantFrom(...TEAM.identities).map((i) => `${i}`),
    ),
    // A private key pasted where a recipient belongs is refused without being echoed.
    secretsIn: (t) => (t.match(/AGE-SECRET-KEY-[A-Z0-9-]+/gi) ?? []).map((k) => k.slice(16)),
    onAccept: (_t, spec) => deepStrictEqual(parseRecipient(spec.canonical), spec),
    roundTrip: { model: recipientModel, encode: (m) => m, decoded: (s) => s.canonical, canonical: true },
    large: () => [`age1${'q'.repeat(3_000_000)}`, `ssh-ed25519 ${'A'.repeat(3_000_000)}`, `ssh-ed25519 AAAA ${'x '.repeat(1_000_000)}`],
  }),

  entry<string[], IdentitySet>({
    name: 'age-identities',
    covers: 'src/core/keys/age-identities.ts (identity files, SOPS_AGE_KEY words)',
    codes: ['E_AGE'],
    parse: async (t) => {
      // Both spellings sops accepts: one identity per line, and words separated by blanks or commas.
      const lines = await loadIdentities({
        texts: [{ origin: 'fuzz file', format: 'lines', text: t, explicit: true }],
        problems: [],
        looked: [],
      });
      const words = await loadIdentities({
        texts: [{ origin: 'FUZZ_VAR', format: 'words', text: t, explicit: true }],
        problems: [],
        looked: [],
      });
      const problem = lines.problems[0] ?? words.problems[0];
      if (problem) throw problem;
      return lines;
    },
    inputs: fc.oneof(rawText, mutated(identityFile), identityFile),
    secretsIn: (t) => (t.match(/AGE-SECRET-KEY-[A-Z0-9-]+/gi) ?? []).map((k) => k.slice(16)).filter((k) => k.length >= 12),
    roundTrip: {
      model: fc
        .array(fc.nat(TEAM.identities.length - 1), { minLength: 1, maxLength: 4 })
        .map((ix) => [...new Set(ix)].map((i) => TEAM.identities[i]!)),
      encode: (ids) =>
        ['# created: 2024-01-01T00:00:00Z', ...ids.flatMap((id) => [`# public key: ${TEAM.recipientOf.get(id)}`, id]), ''].join('\n'),
      decoded: (set) => set.identities.map((i) => i.identity as string),
      canonical: false,
    },
    large: () => [
      Array.from({ length: 2_000 }, () => TEAM.identities[0]).join('\n'),
      `AGE-SECRET-KEY-1${'Q'.repeat(2_000_000)}`,
      '# comment\n'.repeat(300_000),
    ],
  }),

  entry<unknown, IdentitySet>({
    name: 'ssh-private-key',
    covers: 'src/core/formats/openssh-key.ts (private key files) via src/core/keys/age-identities.ts',
    codes: ['E_AGE'],
    parse: async (t) => {
      const set = await loadIdentities({
        texts: [{ origin: 'fuzz key', format: 'ssh', text: t, explicit: true }],
        problems: [],
        looked: [],
      });
      if (set.problems[0]) throw set.problems[0];
      return set;
    },
    inputs: fc.oneof(rawText, mutated(fc.constantFrom(...SSH_KEYS)), sshKeyBodyMutated),
    secretsIn: (t) =>
      t
        .split('\n')
        .filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l.trim()))
        .map((l) => l.trim()),
    large: () => [`${PEM_BEGIN}\n${'A'.repeat(4_000_000)}\n${PEM_END}`, `${PEM_BEGIN}\n${'AAAA\n'.repeat(400_000)}${PEM_END}`],
  }),

  entry<RecipientRow[], Map<string, RecipientMeta>>({
    name: 'recipients-doc',
    covers: 'src/core/formats/recipients-doc.ts (.hako/recipients.md)',
    codes: ['E_FORMAT'],
    parse: (t) => parseRecipientsDoc(t),
    inputs: fc.oneof(rawText, mutated(recipientRows.map(encodeRecipientsDoc))),
    roundTrip: {
      model: recipientRows,
      encode: encodeRecipientsDoc,
      decoded: (m) => [...m].map(([recipient, meta]) => ({ recipient, ...meta, environments: [] as string[] })),
      canonical: false,
    },
    large: () => [
      encodeRecipientsDoc(
        Array.from({ length: 20_000 }, (_, i) => ({ recipient: `age1${i}`, name: 'n', role: 'r', added: '', environments: [] })),
      ),
      `${'| a '.repeat(500_000)}|`,
    ],
  }),

  entry<string[], string[]>({
    name: 'shell-words',
    covers: 'src/core/formats/shell-words.ts (SOPS_AGE_KEY_CMD)',
    codes: ['E_USAGE'],
    parse: (t) => splitShellWords(t, 'SOPS_AGE_KEY_CMD'),
    inputs: fc.oneof(rawText, mutated(fc.array(anyString(10), { maxLength: 5 }).map((ws) => ws.map(shellQuote).join(' ')))),
    roundTrip: {
      model: fc.array(anyString(12), { maxLength: 6 }),
      encode: (ws) => ws.map(shellQuote).join(' '),
      decoded: (ws) => ws,
      canonical: false,
    },
    large: () => [`'${'x'.repeat(3_000_000)}`, '\\'.repeat(2_000_000), `"${'\\"'.repeat(1_000_000)}`],
  }),
];

/**
 * The YAML another tool would write for these values (the yaml library's own encoder). Block
 * scalars are off: yaml 2.9.1 writes " \n" as `|+` with a first line of spaces, which it then
 * reads back as "\n" itself (found by this suite; hako reads such text as the library does).
 */
function yamlOf(m: Map<string, string>): string {
  return stringifyYaml(Object.fromEntries(m), { blockQuote: false });
}
