/**
 * The shortcuts taken for start-up speed (bench/README.md) give the answers of the plain
 * code they replace: base64 checked from an offset, strings written without JSON.stringify
 * when JSON would not escape them, maps sorted only when they are not already.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { base64DecodedLength, isBase64Strict } from '../src/core/crypto/base64.js';
import { encodeSecretsFile, parseSecretsFile, type EnvironmentRecord, type SecretsFile } from '../src/core/formats/secrets-file.js';

const base64ish = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'AQgwBb+/=9Z-_ :'.split('')), maxLength: 16 }),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64')),
);

test('isBase64Strict and base64DecodedLength from an offset equal the same on the slice', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 5 }), base64ish, (prefix, s) => {
      const whole = prefix + s;
      assert.equal(isBase64Strict(whole, prefix.length), isBase64Strict(s), JSON.stringify(whole));
      if (isBase64Strict(s)) assert.equal(base64DecodedLength(whole, prefix.length), base64DecodedLength(s));
    }),
    { numRuns: 20000 },
  );
});

const token = fc.uint8Array({ minLength: 28, maxLength: 60 }).map((b) => `v1:${Buffer.from(b).toString('base64')}`);
const secretName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,20}$/);
// Recipients may hold any printable ASCII, quotes and backslashes included: JSON escapes those.
const recipient = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,30}$/);

function record(secrets: [string, string][], recipients: [string, string][]): EnvironmentRecord {
  return {
    keyId: '0123456789abcdef',
    check: `v1:${Buffer.alloc(30, 7).toString('base64')}`,
    chain: [],
    recipients: new Map(recipients),
    secrets: new Map(secrets),
    meta: new Map(),
  };
}

test('the encoder writes every string as JSON.stringify would, in sorted order, whatever order the maps are in', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(secretName, token), { selector: ([n]) => n, maxLength: 30 }),
      fc.uniqueArray(
        fc.tuple(
          recipient,
          fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b).toString('base64')),
        ),
        { selector: ([r]) => r, maxLength: 5 },
      ),
      fc.string({ maxLength: 40 }),
      (secrets, recipients, description) => {
        const file: SecretsFile = {
          version: 1,
          environments: new Map([['production', record(secrets, recipients)]]),
          schema: new Map([['API_KEY', { required: true, description }]]),
        };
        const text = encodeSecretsFile(file);
        const json = JSON.parse(text);
        const env = json.environments.production;
        for (const [n, t] of secrets) assert.equal(env.secrets[n], t);
        for (const [r, w] of recipients) assert.equal(env.recipients[r], w);
        assert.equal(json.schema.API_KEY.description, description);
        // Each entry on its own line, spelled exactly as JSON.stringify spells it, in sorted order.
        for (const entries of [secrets, recipients]) {
          const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          const at = sorted.map(([k, v]) => text.indexOf(`\n        ${JSON.stringify(k)}: ${JSON.stringify(v)}`));
          for (let i = 0; i < at.length; i++) {
            assert.ok(at[i]! >= 0, sorted[i]![0]);
            if (i > 0) assert.ok(at[i]! > at[i - 1]!, 'sorted');
          }
        }
        // Reversed insertion order encodes to the same bytes, and the bytes read back to the same file.
        const reversed: SecretsFile = {
          ...file,
          environments: new Map([['production', record([...secrets].reverse(), [...recipients].reverse())]]),
        };
        assert.equal(encodeSecretsFile(reversed), text);
        assert.equal(encodeSecretsFile(parseSecretsFile(text)), text);
      },
    ),
    { numRuns: 500 },
  );
});
