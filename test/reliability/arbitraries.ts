/**
 * fast-check generators for the reliability suite: valid names, tokens and whole models of
 * each format (for parse(encode(m)) == m), and hostile inputs built three ways: raw strings,
 * character-level edits of valid encodings, and JSON-tree edits (a field set to any value,
 * removed, renamed or added) that reach the validation behind the syntax.
 */
import fc from 'fast-check';
import type { EnvironmentRecord, SchemaEntry, SecretsFile } from '../../src/core/formats/secrets-file.js';
import type { KdfParams } from '../../src/core/crypto/argon2id.js';
import type { KeyBundle } from '../../src/core/formats/key-bundle.js';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const UPPER = LOWER.toUpperCase();

const charOf = (chars: string) => fc.constantFrom(...chars.split(''));
const word = (first: string, rest: string, maxRest: number) =>
  fc.tuple(charOf(first), fc.string({ unit: charOf(rest), maxLength: maxRest })).map(([a, b]) => a + b);

/** Any UTF-16 code unit sequence, lone surrogates included (what JSON "\udXXX" can express). */
export const anyChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);
export const anyString = (maxLength = 40) => fc.string({ unit: anyChar, maxLength });

/** Text a person could store as a secret: any Unicode scalar except NUL. */
export const storableValue = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.string({ unit: charOf(' \t\n\r"\'\\$#=`\u00a0\u2028\ufeffxA0'), maxLength: 20 }),
  )
  .map((s) => s.replace(/\0/g, ''));

export const envName = word(LOWER, `${LOWER}${DIGITS}-`, 14);
export const secretName = word(`${UPPER}_`, `${UPPER}${DIGITS}_`, 20);
export const keyId = fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex'));
export const token = fc.uint8Array({ minLength: 28, maxLength: 90 }).map((b) => `v1:${Buffer.from(b).toString('base64')}`);
export const base64Blob = fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b).toString('base64'));

export const kdfParams: fc.Arbitrary<KdfParams> = fc
  .record({ p: fc.integer({ min: 1, max: 64 }), t: fc.integer({ min: 1, max: 64 }), extra: fc.integer({ min: 0, max: 4_194_304 }) })
  .map(({ p, t, extra }) => ({ kdf: 'argon2id' as const, p, t, m: Math.min(4_194_304, 8 * p + extra) }));

/** A recipient line as the format allows it: printable ASCII, no leading space. */
export const recipient = fc.oneof(
  fc.string({ unit: charOf('023456789acdefghjklmnpqrstuvwxyz'), minLength: 10, maxLength: 62 }).map((s) => `age1${s}`),
  fc
    .tuple(
      charOf('!#$%&()*+-./:;<=>?@[]^_{|}~AZaz09'),
      fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
    )
    .map(([a, b]) => a + b),
);

const uniqueMap = <V>(key: fc.Arbitrary<string>, value: fc.Arbitrary<V>, maxLength: number) =>
  fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength }).map((pairs) => new Map(pairs));

export const environmentRecord: fc.Arbitrary<EnvironmentRecord> = fc
  .record({
    keyId,
    check: token,
    passphrase: fc.option(kdfParams, { nil: undefined }),
    recipients: uniqueMap(recipient, base64Blob, 3),
    secrets: uniqueMap(secretName, token, 6),
  })
  .map(({ passphrase, ...rest }) => ({ ...rest, chain: [], meta: new Map(), ...(passphrase ? { passphrase } : {}) }));

export const schemaEntry: fc.Arbitrary<SchemaEntry> = fc
  .record({ required: fc.boolean(), description: fc.option(anyString(60), { nil: undefined }) })
  .map(({ required, description }) => (description === undefined ? { required } : { required, description }));

export const secretsFileModel: fc.Arbitrary<SecretsFile> = fc
  .record({ environments: uniqueMap(envName, environmentRecord, 4), schema: uniqueMap(secretName, schemaEntry, 3) })
  .map(({ environments, schema }) => ({ version: 1 as const, environments, schema }));

export const keyBundleModel: fc.Arbitrary<KeyBundle> = fc
  .record({ env: envName, keyId, key: fc.uint8Array({ minLength: 32, maxLength: 32 }) })
  .map(({ env, keyId: id, key }) => ({ env, keyId: id, key: Buffer.from(key) }));

/** name → value maps as import files hold them (names as hako requires). */
export const valueMap = uniqueMap(secretName, storableValue, 8);

// ------------------------------------------------------------------ hostile inputs

/** Fragments that parsers of these formats treat specially. */
const FRAGMENTS = [
  '"',
  "'",
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '\\',
  '\\u',
  '\\ud800',
  'null',
  'true',
  '1e999',
  '-0',
  '0x10',
  '\u0000',
  '\ufeff',
  '\ud800',
  '\n',
  '\r',
  '\r\n',
  ' ',
  '\t',
  '=',
  '#',
  ' #',
  'export ',
  '&a ',
  '*a',
  '<<: ',
  '!!binary ',
  '---\n',
  '%YAML 1.1\n',
  '? ',
  '- ',
  '|\n',
  '>\n',
  '__proto__',
  'constructor',
  'v1:',
  'hako-key:',
  'hako-key:1:',
  'hako-key:2:',
  '=',
  '==',
  'age1',
  '$',
  '${A}',
];

type Edit = { kind: number; at: number; len: number; text: string };
const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.integer({ min: 0, max: 5 }),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 16 }),
  text: fc.oneof(fc.constantFrom(...FRAGMENTS), anyString(6)),
});

function applyEdit(s: string, e: Edit): string {
  const at = s.length === 0 ? 0 : e.at % (s.length + 1);
  switch (e.kind) {
    case 0: // replace one code unit
      return s.slice(0, at) + e.text.slice(0, 1) + s.slice(at + 1);
    case 1: // insert
      return s.slice(0, at) + e.text + s.slice(at);
    case 2: // delete a span
      return s.slice(0, at) + s.slice(at + e.len);
    case 3: // duplicate a span
      return s.slice(0, at + e.len) + s.slice(at, at + e.len) + s.slice(at + e.len);
    case 4: // truncate
      return s.slice(0, at);
    default: // flip one bit of a code unit
      return at < s.length ? s.slice(0, at) + String.fromCharCode(s.charCodeAt(at) ^ (1 << (e.len % 16))) + s.slice(at + 1) : s;
  }
}

/** 1–4 character-level edits of a valid encoding. */
export function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([s, edits]) => edits.reduce(applyEdit, s));
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

const treeEdit = fc.record({
  pick: fc.nat(),
  kind: fc.integer({ min: 0, max: 3 }),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, token, keyId, envName, secretName, fc.constant(1), fc.constant(2)),
  key: fc.oneof(
    secretName,
    envName,
    fc.constantFrom(
      '__proto__',
      'version',
      'check',
      'key_id',
      'secrets',
      'env',
      'id',
      'key',
      '',
      'a\nhako: error: forged',
      '\u001b[2J',
      'x\u202ey',
      '\u009b31m',
    ),
    anyString(8),
  ),
});

/** 1–3 edits of the JSON tree of a valid encoding, re-serialised (pretty or compact). */
export function treeMutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, fc.array(treeEdit, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([text, edits, pretty]) => {
    let root = JSON.parse(text) as Json;
    for (const e of edits) {
      const all = paths(root);
      const path = all[e.pick % all.length]!;
      if (path.length === 0) {
        root = e.kind === 0 ? (e.value as Json) : root;
        continue;
      }
      const parent = path.slice(0, -1).reduce<Json>((o, k) => (o as Record<string, Json>)[k as string]!, root) as
        Record<string, Json> | Json[];
      const last = path[path.length - 1]!;
      if (Array.isArray(parent)) parent[last as number] = e.value as Json;
      else if (e.kind === 0) parent[last as string] = e.value as Json;
      else if (e.kind === 1) delete parent[last as string];
      else if (e.kind === 2) {
        const v = parent[last as string]!;
        delete parent[last as string];
        Object.defineProperty(parent, e.key, { value: v, enumerable: true, writable: true, configurable: true });
      } else Object.defineProperty(parent, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
    }
    return pretty ? `${JSON.stringify(root, null, 2)}\n` : JSON.stringify(root);
  });
}

/** Raw strings of every shape: any code units, ASCII with controls, JSON of anything. */
export const rawText = fc.oneof(
  anyString(200),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  fc.string({ unit: fc.constantFrom(...FRAGMENTS), maxLength: 30 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
);
