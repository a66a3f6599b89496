// Acceptance 3 of the SOPS work: generated trees (nested maps, lists, ints, floats, bools,
// empty strings, unicode keys, comments) through every store: encrypt → decrypt is the
// identity, and the file hako wrote opens in the independent spec reading with its MAC
// verified. Modest depth in `npm test`, deeper with HAKO_DEEP=1 (npm run test:deep).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { cases, fcParams } from './reliability/depth.js';
import { specDecrypt } from './sops/spec-reader.js';
import { ageWrap } from '../src/core/sops/age-master-key.js';
import { newMetadata, openSopsFile, readSopsFile, writeSopsFile, readPlainFile, emitPlain } from '../src/core/sops/sops-file.js';
import { ValueCipher } from '../src/core/sops/value-cipher.js';
import type { StoreKind } from '../src/core/sops/store.js';
import type { MasterKey } from '../src/core/sops/metadata.js';
import type { SopsComment, SopsMap, SopsValue } from '../src/core/sops/tree.js';

const RUNS = cases(25, 400);

const keyText = fc
  .string({ unit: fc.constantFrom(...'abcXYZ_-.é日本 019'.split('')), minLength: 1, maxLength: 8 })
  .filter((k) => k.trim() === k && !/^\d/.test(k) && k !== 'sops' && !k.startsWith('sops_'));
const text = fc.string({ unit: fc.constantFrom(...'ab Zé€日\'"#:-[]{},&*!|>%@`\\\t'.split(''), 'x'), maxLength: 12 });
const comment = fc
  .string({ unit: fc.constantFrom(...' abc#éZ:'.split('')), maxLength: 10 })
  .map((t): SopsComment => ({ type: 'comment', text: ` ${t}` }));
const leaf = fc.oneof(
  text,
  fc.constant(''),
  fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
  fc.double({ min: -1e15, max: 1e15, noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  fc.boolean(),
);

function uniquePairs(value: fc.Arbitrary<SopsValue>, max: number) {
  return fc.uniqueArray(fc.tuple(keyText, value), { selector: (p) => p[0], minLength: 1, maxLength: max });
}

const yamlValue: fc.Memo<SopsValue> = fc.memo((n) =>
  n <= 1
    ? leaf
    : fc.oneof(
        { weight: 3, arbitrary: leaf },
        {
          weight: 1,
          arbitrary: fc.array(yamlValue(n - 1), { minLength: 1, maxLength: 3 }).map((items): SopsValue => ({ type: 'list', items })),
        },
        { weight: 1, arbitrary: yamlMap(n - 1) },
      ),
);
function yamlMap(n: number): fc.Arbitrary<SopsValue> {
  return fc
    .tuple(uniquePairs(yamlValue(n), 4), fc.array(fc.option(comment, { nil: undefined }), { minLength: 4, maxLength: 4 }))
    .map(([pairs, comments]) => {
      const items: SopsMap['items'] = [];
      pairs.forEach(([key, value], i) => {
        if (comments[i]) items.push(comments[i]!);
        items.push({ key, value });
      });
      return { type: 'map', items };
    });
}

const jsonValue: fc.Memo<SopsValue> = fc.memo((n) =>
  n <= 1
    ? fc.oneof(leaf, fc.constant(null))
    : fc.oneof(
        { weight: 3, arbitrary: fc.oneof(leaf, fc.constant(null)) },
        { weight: 1, arbitrary: fc.array(jsonValue(n - 1), { maxLength: 3 }).map((items): SopsValue => ({ type: 'list', items })) },
        {
          weight: 1,
          arbitrary: uniquePairs(jsonValue(n - 1), 3).map((p): SopsValue => ({
            type: 'map',
            items: p.map(([key, value]) => ({ key, value })),
          })),
        },
      ),
);

const flatText = fc.string({ unit: fc.constantFrom(...'ab Zé€日\'"#:=-[]'.split('')), maxLength: 12 });
const dotenvDoc = fc
  .tuple(
    fc.uniqueArray(
      fc.tuple(
        keyText.filter((k) => !k.includes('=') && !k.startsWith('#')),
        flatText,
      ),
      { selector: (p) => p[0], minLength: 1, maxLength: 6 },
    ),
    fc.option(comment, { nil: undefined }),
  )
  .map(([pairs, c]): SopsMap => ({ type: 'map', items: [...(c ? [c] : []), ...pairs.map(([key, value]) => ({ key, value }))] }));

const iniText = fc.string({ unit: fc.constantFrom(...'abZé€日-_.:/'.split('')), minLength: 1, maxLength: 12 });
const iniKey = fc
  .string({ unit: fc.constantFrom(...'abcXYZ_-.é日'.split('')), minLength: 1, maxLength: 8 })
  .filter((k) => k !== 'sops' && k !== 'DEFAULT');
const iniDoc = fc
  .uniqueArray(
    fc.tuple(
      iniKey,
      fc.uniqueArray(fc.tuple(iniKey, iniText), { selector: (p) => p[0], minLength: 1, maxLength: 4 }),
      fc.option(
        comment.map((c) => ({ ...c, text: c.text.trim() || 'c' })),
        { nil: undefined },
      ),
    ),
    {
      selector: (s) => s[0],
      minLength: 1,
      maxLength: 3,
    },
  )
  .map((sections): SopsMap => ({
    type: 'map',
    items: sections.map(([name, pairs, c]) => ({
      key: name,
      value: { type: 'map', items: [...(c ? [c] : []), ...pairs.map(([key, value]) => ({ key, value }))] },
    })),
  }));

let keyGroup: MasterKey[][] | null = null;
let identity = '';
const dataKey = new Uint8Array(32).fill(9);
async function group(): Promise<MasterKey[][]> {
  if (!keyGroup) {
    identity = await generateX25519Identity();
    keyGroup = [[await ageWrap(await identityToRecipient(identity), await identityToRecipient(identity), dataKey)]];
  }
  return keyGroup;
}

async function roundTrip(kind: StoreKind, docs: SopsMap[], expectDocs: SopsMap[] = docs): Promise<void> {
  const md = newMetadata(await group());
  const text = writeSopsFile({ kind, docs, metadata: md, cipher: new ValueCipher(dataKey) });
  const file = readSopsFile(text, kind);
  const opened = openSopsFile(file, dataKey);
  assert.deepEqual(opened.docs, expectDocs);
  specDecrypt(text, kind, Buffer.from(dataKey));
}

test('SOPS round trip: YAML documents with comments', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(yamlMap(3), { minLength: 1, maxLength: 2 }), async (docs) => roundTrip('yaml', docs as SopsMap[])),
    fcParams(RUNS),
  );
});

test('SOPS round trip: JSON', async () => {
  await fc.assert(
    fc.asyncProperty(uniquePairs(jsonValue(3), 5), async (pairs) =>
      roundTrip('json', [{ type: 'map', items: pairs.map(([key, value]) => ({ key, value })) }]),
    ),
    fcParams(RUNS),
  );
});

test('SOPS round trip: dotenv', async () => {
  await fc.assert(
    fc.asyncProperty(dotenvDoc, async (doc) => roundTrip('dotenv', [doc])),
    fcParams(RUNS),
  );
});

test('SOPS round trip: INI', async () => {
  await fc.assert(
    fc.asyncProperty(iniDoc, async (doc) => roundTrip('ini', [doc])),
    fcParams(RUNS),
  );
});

test('SOPS round trip: binary', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
      const docs = readPlainFile(Buffer.from(bytes), 'binary');
      const md = newMetadata(await group());
      const text = writeSopsFile({ kind: 'binary', docs, metadata: md, cipher: new ValueCipher(dataKey) });
      const opened = openSopsFile(readSopsFile(text, 'binary'), dataKey);
      assert.deepEqual(Buffer.from(emitPlain(opened.docs, 'binary')), Buffer.from(bytes));
    }),
    fcParams(RUNS),
  );
});

test('SOPS plaintext round trip: what decrypt prints reads back as the same tree (YAML, JSON)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(yamlMap(3), { minLength: 1, maxLength: 2 }), async (docs) => {
      const out = emitPlain(docs as SopsMap[], 'yaml') as string;
      assert.deepEqual(readPlainFile(Buffer.from(out), 'yaml'), docs);
    }),
    fcParams(RUNS),
  );
});
