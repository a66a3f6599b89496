// Issue 2, acceptance 8: format vectors in test/vectors/native, run through the library, the CLI,
// and (for the values) an independent reading of the spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, Project, hakoInProcessByDefault } from './helpers.js';
import { specOpen } from './spec-check.js';
import { parseSecretsFile, encodeSecretsFile } from '../src/core/formats/secrets-file.js';
import { EnvironmentCipher } from '../src/core/crypto/environment-cipher.js';
import { deriveKeyFromPassphrase } from '../src/core/crypto/argon2id.js';
import { encodeKeyBundle } from '../src/core/formats/key-bundle.js';
import { HakoError } from '../src/core/errors.js';

hakoInProcessByDefault();

interface Vector {
  name: string;
  description: string;
  keys: Record<string, { key_id: string; key: string; passphrase?: string }>;
  open: string;
  expect: { ok: true; values: Record<string, string>; canonical?: boolean } | { error: string; secret?: string };
  file: string;
}

const dir = join(REPO_ROOT, 'test', 'vectors', 'native');
const vectors: Vector[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));

/** What a conforming reader does: parse, check the key, open every value. */
async function readVector(v: Vector): Promise<Record<string, string>> {
  const file = parseSecretsFile(v.file);
  const env = file.environments.get(v.open);
  assert.ok(env, 'the environment to open exists');
  const k = v.keys[v.open]!;
  const key =
    k.passphrase && env.passphrase ? await deriveKeyFromPassphrase(k.passphrase, env.keyId, env.passphrase) : Buffer.from(k.key, 'base64');
  const cipher = new EnvironmentCipher(v.open, env.keyId, key);
  if (!cipher.opensCheck(env.check)) throw new HakoError('E_WRONG_KEY', 'check does not open');
  return Object.fromEntries([...env.secrets].map(([n, t]) => [n, cipher.open(n, t)]));
}

test('there are success and failure vectors', () => {
  assert.ok(vectors.filter((v) => 'ok' in v.expect).length >= 4);
  assert.ok(vectors.filter((v) => 'error' in v.expect).length >= 15);
});

for (const v of vectors) {
  test(`vector ${v.name}: ${v.description}`, async () => {
    if ('ok' in v.expect) {
      assert.deepEqual(await readVector(v), v.expect.values);
      const canonical = encodeSecretsFile(parseSecretsFile(v.file)) === v.file;
      assert.equal(canonical, v.expect.canonical ?? true, 'canonical encoding');
      // The spec, read independently, opens the same values.
      const raw = JSON.parse(v.file).environments[v.open];
      const key = Buffer.from(v.keys[v.open]!.key, 'base64');
      assert.equal(specOpen(key, v.open, raw.key_id, '', raw.check).toString(), 'hako');
      for (const [n, value] of Object.entries(v.expect.values))
        assert.equal(specOpen(key, v.open, raw.key_id, n, raw.secrets[n]).toString('utf8'), value);
    } else {
      const expected = v.expect;
      await assert.rejects(readVector(v), (err: unknown) => {
        assert.ok(err instanceof HakoError, `a HakoError, not ${String(err)}`);
        assert.equal(err.code, expected.error);
        if (expected.secret) assert.match(err.message, new RegExp(`\\b${expected.secret}\\b`), 'the message names the secret');
        return true;
      });
    }
  });
}

test('the CLI gives each vector its exit code, and prints values only on success', async (t) => {
  const p = new Project({ init: false });
  t.after(() => p.cleanup());
  mkdirSync(join(p.dir, '.hako'));
  for (const v of vectors) {
    writeFileSync(join(p.dir, '.hako', 'secrets.json'), v.file);
    const k = v.keys[v.open]!;
    let keyId = k.key_id;
    try {
      keyId = JSON.parse(v.file).environments[v.open].key_id ?? keyId;
    } catch {
      /* the file may not parse; any id will do */
    }
    const bundle = encodeKeyBundle({
      env: v.open,
      keyId: /^[0-9a-f]{16}$/.test(keyId) ? keyId : k.key_id,
      key: Buffer.from(k.key, 'base64'),
    });
    // A machine of its own per vector: each vector's environment has a different key.
    const r = p.run(['export', '--env', v.open, '--format', 'json'], { env: { HAKO_KEY: bundle, HAKO_HOME: join(p.home, v.name) } });
    if ('ok' in v.expect) {
      assert.equal(r.code, 0, `${v.name}: ${r.stderr}`);
      assert.deepEqual(JSON.parse(r.stdout), v.expect.values, v.name);
    } else {
      const code = { E_TAMPERED: 4, E_WRONG_KEY: 4, E_FORMAT: 5, E_VERSION: 5 }[v.expect.error];
      assert.equal(r.code, code, `${v.name}: exit code (stderr: ${r.stderr})`);
      assert.equal(r.stdout, '', `${v.name}: nothing printed on stdout`);
      assert.match(r.stderr, /^hako: error: .*\nhako: hint: .+\n$/s, v.name);
    }
  }
});
