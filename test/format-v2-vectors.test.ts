// Format 2 vectors in test/vectors/native-v2 (key chains, metadata, SOPS bindings), read by the
// library and, for what succeeds, by an independent reading of docs/FORMAT.md (spec-check.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers.js';
import { specChainValid, specOpen, specOpenV2 } from './spec-check.js';
import { encodeSecretsFile, parseSecretsFile } from '../src/core/formats/secrets-file.js';
import { EnvironmentCipher } from '../src/core/crypto/environment-cipher.js';
import { metaText } from '../src/core/formats/secret-meta.js';
import { verifyEntryChain } from '../src/services/continuity.js';
import { HakoError } from '../src/core/errors.js';

interface Vector {
  name: string;
  description: string;
  keys: Record<string, { key_id: string; key: string }>;
  open: string | null;
  expect: { ok: true; values?: Record<string, string>; parseOnly?: boolean } | { error: string; secret?: string };
  file: string;
}

const dir = join(REPO_ROOT, 'test', 'vectors', 'native-v2');
const vectors: Vector[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));

/** What a conforming reader does: parse, check the key against check and chain, open every value. */
function readVector(v: Vector): Record<string, string> {
  const file = parseSecretsFile(v.file);
  if (v.open === null) return {};
  const env = file.environments.get(v.open)!;
  const key = Buffer.from(v.keys[v.open]!.key, 'base64');
  const cipher = new EnvironmentCipher(v.open, env.keyId, key);
  if (!cipher.opensCheck(env.check)) throw new HakoError('E_WRONG_KEY', 'check does not open');
  verifyEntryChain(v.open, env, { key, label: 'the vector', explicitHead: true });
  return Object.fromEntries([...env.secrets].map(([n, t]) => [n, cipher.open(n, t, metaText(env.meta.get(n)))]));
}

test('format 2 has success and failure vectors', () => {
  assert.ok(vectors.filter((v) => 'ok' in v.expect).length >= 4);
  assert.ok(vectors.filter((v) => 'error' in v.expect).length >= 10);
});

for (const v of vectors) {
  test(`v2 vector ${v.name}: ${v.description}`, () => {
    if ('ok' in v.expect) {
      const values = readVector(v);
      assert.equal(encodeSecretsFile(parseSecretsFile(v.file)), v.file, 'canonical encoding');
      if (v.expect.parseOnly) return;
      assert.deepEqual(values, v.expect.values);
      const raw = JSON.parse(v.file).environments[v.open!];
      const key = Buffer.from(v.keys[v.open!]!.key, 'base64');
      assert.ok(specChainValid(v.open!, raw.chain, key), 'the chain verifies independently');
      for (const [n, value] of Object.entries(v.expect.values!)) {
        const entry = raw.secrets[n];
        const token = typeof entry === 'string' ? entry : entry.value;
        const meta =
          typeof entry === 'string'
            ? ''
            : [entry.expires && `expires=${entry.expires}`, entry.rotate_every && `rotate_every=${entry.rotate_every}`]
                .filter(Boolean)
                .join(';');
        const plain = token.startsWith('v1:')
          ? specOpen(key, v.open!, raw.key_id, n, token)
          : specOpenV2(key, v.open!, raw.key_id, n, meta, token);
        assert.equal(plain.toString('utf8'), value);
      }
    } else {
      const expected = v.expect;
      assert.throws(
        () => readVector(v),
        (err: unknown) => {
          assert.ok(err instanceof HakoError, String(err));
          assert.equal(err.code, expected.error, err.message);
          if (expected.secret) assert.match(err.message, new RegExp(expected.secret));
          return true;
        },
      );
    }
  });
}
