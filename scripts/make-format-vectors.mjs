// Writes test/vectors/native/*.json: format 1 vectors (success and failure, with their keys).
// Run once after `npm run build`; the output is committed and pinned. Encryption is random,
// so running it again gives different (equally valid) bytes.
import { writeFileSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { EnvironmentCipher } from '../build/src/core/crypto/environment-cipher.js';
import { deriveKeyFromPassphrase, DEFAULT_KDF } from '../build/src/core/crypto/argon2id.js';
import { encodeSecretsFile } from '../build/src/core/formats/secrets-file.js';

const dir = 'test/vectors/native';
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.json')) unlinkSync(`${dir}/${f}`);

function env(name, values, opts = {}) {
  const keyId = opts.keyId ?? randomBytes(8).toString('hex');
  const key = opts.key ?? randomBytes(32);
  const c = new EnvironmentCipher(name, keyId, key);
  const rec = { keyId, check: c.makeCheck(), chain: [], recipients: new Map(), secrets: new Map(), meta: new Map() };
  if (opts.passphrase) rec.passphrase = { ...DEFAULT_KDF };
  for (const [k, v] of Object.entries(values)) rec.secrets.set(k, typeof v === 'string' ? c.seal(k, v) : c.sealBytes(k, v));
  return { name, rec, key, keyId, cipher: c };
}
function file(envs, schema = new Map()) {
  return { version: 1, environments: new Map(envs.map((e) => [e.name, e.rec])), schema };
}
function keysOf(...envs) {
  return Object.fromEntries(envs.map((e) => [e.name, { key_id: e.keyId, key: e.key.toString('base64') }]));
}
function write(name, description, text, keys, open, expect) {
  writeFileSync(`${dir}/${name}.json`, JSON.stringify({ name, description, keys, open, expect, file: text }, null, 2) + '\n');
}

const values = {
  API_TOKEN: 'tok_live_4f2a',
  DATABASE_URL: 'postgres://app:pässwörd@db:5432/app?ssl=true',
  EMPTY: '',
  MULTILINE: '-----BEGIN KEY-----\nabc\n-----END KEY-----\n',
  QUOTES: `a "b" 'c' \\ = é 🔑`,
};
const prod = env('production', values);
const staging = env('staging', { API_TOKEN: 'tok_test_77', ONLY_STAGING: 'x' });
const base = file(
  [prod, staging],
  new Map([
    ['API_TOKEN', { required: true, description: 'payments API' }],
    ['SENTRY_DSN', { required: false }],
  ]),
);
const baseText = encodeSecretsFile(base);

write('ok-two-environments', 'two environments with a schema; open production', baseText, keysOf(prod, staging), 'production', {
  ok: true,
  values,
});
write('ok-open-staging', 'the same file, open staging', baseText, keysOf(prod, staging), 'staging', {
  ok: true,
  values: { API_TOKEN: 'tok_test_77', ONLY_STAGING: 'x' },
});
const empty = env('preview-1', {});
write(
  'ok-empty-environment',
  'an environment with no secrets: the check alone decides the key',
  encodeSecretsFile(file([empty])),
  keysOf(empty),
  'preview-1',
  { ok: true, values: {} },
);

const ppKeyId = randomBytes(8).toString('hex');
const passphrase = 'correct horse battery staple';
const ppKey = await deriveKeyFromPassphrase(passphrase, ppKeyId, DEFAULT_KDF);
const pp = env('production', { SECRET: 'from a passphrase' }, { keyId: ppKeyId, key: ppKey, passphrase: true });
const ppKeys = keysOf(pp);
ppKeys.production.passphrase = passphrase;
write(
  'ok-passphrase',
  'key derived with Argon2id from the passphrase (key given too)',
  encodeSecretsFile(file([pp])),
  ppKeys,
  'production',
  { ok: true, values: { SECRET: 'from a passphrase' } },
);

const obj = JSON.parse(baseText);
const minified = JSON.stringify({
  version: 1,
  environments: { staging: obj.environments.staging, production: obj.environments.production },
  schema: obj.schema,
});
write(
  'ok-not-canonical',
  'valid but not canonical (minified, keys unsorted): readers accept it, writers re-encode canonically',
  minified,
  keysOf(prod, staging),
  'production',
  { ok: true, values, canonical: false },
);

const mutate = (fn) => {
  const o = JSON.parse(baseText);
  fn(o);
  return JSON.stringify(o, null, 2) + '\n';
};
const flip = (token) => {
  const raw = Buffer.from(token.slice(3), 'base64');
  raw[14] ^= 0x01;
  return 'v1:' + raw.toString('base64');
};
const K = keysOf(prod, staging);
write(
  'fail-flipped-byte',
  'one ciphertext bit flipped in DATABASE_URL',
  mutate((o) => (o.environments.production.secrets.DATABASE_URL = flip(o.environments.production.secrets.DATABASE_URL))),
  K,
  'production',
  { error: 'E_TAMPERED', secret: 'DATABASE_URL' },
);
write(
  'fail-swapped-values',
  'API_TOKEN and DATABASE_URL ciphertexts swapped',
  mutate((o) => {
    const s = o.environments.production.secrets;
    [s.API_TOKEN, s.DATABASE_URL] = [s.DATABASE_URL, s.API_TOKEN];
  }),
  K,
  'production',
  { error: 'E_TAMPERED', secret: 'API_TOKEN' },
);
write(
  'fail-moved-between-environments',
  'staging API_TOKEN copied over production API_TOKEN',
  mutate((o) => (o.environments.production.secrets.API_TOKEN = o.environments.staging.secrets.API_TOKEN)),
  K,
  'production',
  { error: 'E_TAMPERED', secret: 'API_TOKEN' },
);
write(
  'fail-key-id-changed',
  'key_id of production changed: the check no longer opens',
  mutate((o) => (o.environments.production.key_id = 'ffffffffffffffff')),
  K,
  'production',
  { error: 'E_WRONG_KEY' },
);
write(
  'fail-check-replaced',
  "production's check replaced by staging's",
  mutate((o) => (o.environments.production.check = o.environments.staging.check)),
  K,
  'production',
  { error: 'E_WRONG_KEY' },
);
write(
  'fail-wrong-key',
  "production opened with staging's key",
  baseText,
  { production: { key_id: prod.keyId, key: staging.key.toString('base64') } },
  'production',
  { error: 'E_WRONG_KEY' },
);
const badUtf8 = env('production', { BINARY: Buffer.from([0xff, 0xfe, 0x00, 0x41]) });
write(
  'fail-not-utf8',
  'a correctly encrypted value that is not UTF-8 is refused',
  encodeSecretsFile(file([badUtf8])),
  keysOf(badUtf8),
  'production',
  { error: 'E_TAMPERED', secret: 'BINARY' },
);
write(
  'fail-unknown-top-field',
  'an unknown top-level field',
  mutate((o) => (o.comment = 'hi')),
  K,
  'production',
  { error: 'E_FORMAT' },
);
write(
  'fail-unknown-env-field',
  'an unknown field in an environment',
  mutate((o) => (o.environments.production.sops = 'x.yaml')),
  K,
  'production',
  { error: 'E_FORMAT' },
);
write(
  'fail-newer-version',
  'format version 3',
  mutate((o) => (o.version = 3)),
  K,
  'production',
  { error: 'E_VERSION' },
);
write(
  'fail-version-missing',
  'no version',
  mutate((o) => delete o.version),
  K,
  'production',
  { error: 'E_FORMAT' },
);
write(
  'fail-duplicate-key',
  'API_TOKEN appears twice in production (JSON.parse would keep the last)',
  baseText.replace(/("API_TOKEN": "v1:[^"]+",\n)/, (m) => m + m.replace(/v1:[A-Za-z0-9+/=]+/, staging.rec.secrets.get('API_TOKEN'))),
  K,
  'production',
  { error: 'E_FORMAT' },
);
write(
  'fail-base64-not-canonical',
  'a token whose base64 lost its padding',
  mutate((o) => (o.environments.production.secrets.EMPTY = o.environments.production.secrets.EMPTY.replace(/=+$/, ''))),
  K,
  'production',
  { error: 'E_FORMAT' },
);
write(
  'fail-token-too-short',
  'a token shorter than nonce and tag',
  mutate((o) => (o.environments.production.secrets.EMPTY = 'v1:' + Buffer.alloc(20).toString('base64'))),
  K,
  'production',
  { error: 'E_FORMAT' },
);
write(
  'fail-invalid-secret-name',
  'a lower-case secret name',
  mutate((o) => (o.environments.production.secrets.api_token = o.environments.production.secrets.API_TOKEN)),
  K,
  'production',
  { error: 'E_FORMAT' },
);
write(
  'fail-invalid-environment-name',
  'an environment name with a capital letter',
  mutate((o) => (o.environments.Production = o.environments.production)),
  K,
  'production',
  { error: 'E_FORMAT' },
);
write(
  'fail-key-id-uppercase',
  'key_id must be lower-case hex',
  mutate((o) => (o.environments.production.key_id = o.environments.production.key_id.toUpperCase().replace(/^[0-9]/, 'A'))),
  K,
  'production',
  { error: 'E_FORMAT' },
);
write(
  'fail-kdf-out-of-range',
  'passphrase parameters beyond the limits (m = 64 GiB)',
  mutate((o) => (o.environments.production.passphrase = { kdf: 'argon2id', m: 67108864, p: 4, t: 3 })),
  K,
  'production',
  { error: 'E_FORMAT' },
);
write('fail-trailing-data', 'data after the JSON value', baseText + '{}\n', K, 'production', { error: 'E_FORMAT' });
console.log(readdirSync(dir).length, 'vectors');
