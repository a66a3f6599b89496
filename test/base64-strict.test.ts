/** Strict base64: the fast check gives exactly the answers of "decode, re-encode, compare". */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBase64Strict, isBase64Strict } from '../src/core/crypto/base64.js';
import { decodeToken, isWellFormedToken } from '../src/core/crypto/environment-cipher.js';

function byReEncoding(s: string): Buffer | null {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s ? bytes : null;
}

const nearBase64 = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'AQgwBb+/=9Z-_ \n\u00e9'.split('')), maxLength: 16 }),
  fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b).toString('base64')),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 24 }), fc.nat(), fc.constantFrom(...'ABQgw=+/-'.split(''))).map(([b, i, c]) => {
    const s = Buffer.from(b).toString('base64');
    const at = i % s.length;
    return s.slice(0, at) + c + s.slice(at + 1);
  }),
);

test('decodeBase64Strict accepts exactly the canonical spellings', () => {
  fc.assert(
    fc.property(nearBase64, (s) => {
      const expected = byReEncoding(s);
      assert.equal(isBase64Strict(s), expected !== null, JSON.stringify(s));
      assert.deepEqual(decodeBase64Strict(s), expected);
    }),
    { numRuns: 20000 },
  );
  for (const bad of ['AB=', 'A===', '====', 'AB=A', 'QR==', 'QUJ=', 'QUI=x', 'QU\nI=']) assert.equal(isBase64Strict(bad), false, bad);
  for (const good of ['', 'QQ==', 'QUI=', 'QUJD']) assert.equal(isBase64Strict(good), true, good);
});

test('isWellFormedToken agrees with decodeToken', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        nearBase64.map((s) => `v1:${s}`),
        fc.uint8Array({ maxLength: 40 }).map((b) => `v1:${Buffer.from(b).toString('base64')}`),
        fc.string(),
      ),
      (t) => {
        assert.equal(isWellFormedToken(t), decodeToken(t) !== null, JSON.stringify(t));
      },
    ),
    { numRuns: 20000 },
  );
});
