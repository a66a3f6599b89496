// Writes test/vectors/native-v2/*.json: format 2 vectors (key chains, metadata, SOPS bindings),
// success and failure, with their keys. Run after `npm run build`; the output is committed and
// pinned. Encryption and keys are random, so running it again gives different (equally valid) bytes.
import { writeFileSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { EnvironmentCipher } from '../build/src/core/crypto/environment-cipher.js';
import { encodeSecretsFile, newEnvironmentRecord } from '../build/src/core/formats/secrets-file.js';
import { genesisLink, successorLink } from '../build/src/core/trust/key-chain.js';
import { metaText } from '../build/src/core/formats/secret-meta.js';

const dir = 'test/vectors/native-v2';
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.json')) unlinkSync(`${dir}/${f}`);

const newId = () => randomBytes(8).toString('hex');

/** An environment whose key was rotated `rotations` times; values sealed under the last key. */
function env(name, values, { rotations = 0, meta = {}, v1 = [] } = {}) {
  const keys = [{ keyId: newId(), key: randomBytes(32) }];
  const chain = [genesisLink(name, keys[0].keyId, keys[0].key)];
  for (let i = 0; i < rotations; i++) {
    const next = { keyId: newId(), key: randomBytes(32) };
    chain.push(successorLink(name, keys[keys.length - 1], next));
    keys.push(next);
  }
  const { keyId, key } = keys[keys.length - 1];
  const c = new EnvironmentCipher(name, keyId, key);
  const rec = newEnvironmentRecord(keyId, c.makeCheck(), chain);
  for (const [k, v] of Object.entries(values)) {
    const m = meta[k];
    if (v1.includes(k)) rec.secrets.set(k, legacyToken(c, k, v));
    else rec.secrets.set(k, c.seal(k, v, metaText(m)));
    if (m) rec.meta.set(k, m);
  }
  return { name, rec, key, keyId, keys };
}

/** A format-1 token (AAD without metadata), as an older hako wrote it. */
function legacyToken(cipher, name, value) {
  // EnvironmentCipher writes v2 only; a v1 token is the same GCM with the v1 additional data
  // (its private encrypt is reachable from JavaScript).
  return cipher.encrypt('v1:', Buffer.from(`hako:v1:${cipher.env}:${cipher.keyId}:${name}`), Buffer.from(value));
}

const file = (envs) => ({ version: 2, environments: new Map(envs.map((e) => [e.name, e.rec])), schema: new Map() });
const keysOf = (...envs) => Object.fromEntries(envs.map((e) => [e.name, { key_id: e.keyId, key: e.key.toString('base64') }]));
function write(name, description, text, keys, open, expect) {
  writeFileSync(`${dir}/${name}.json`, JSON.stringify({ name, description, keys, open, expect, file: text }, null, 2) + '\n');
}

const values = { API_TOKEN: 'tok_live_4f2a', DATABASE_URL: 'postgres://app:pässwörd@db:5432/app', EMPTY: '' };
const meta = { API_TOKEN: { expires: '2027-03-01', rotateEvery: '90d' }, DATABASE_URL: { expires: '2026-12-31' } };

const one = env('production', values, { meta });
write(
  'ok-genesis-with-metadata',
  'a new environment: a chain of one link, values with metadata',
  encodeSecretsFile(file([one])),
  keysOf(one),
  'production',
  {
    ok: true,
    values,
  },
);
const rotated = env('production', values, { rotations: 2, meta });
write(
  'ok-rotated-twice',
  'a chain of three links, each signed by the key before it; the last key opens',
  encodeSecretsFile(file([rotated])),
  keysOf(rotated),
  'production',
  {
    ok: true,
    values,
  },
);
const mixed = env('staging', { NEW: 'written by format 2', OLD: 'written by format 1' }, { v1: ['OLD'] });
write(
  'ok-v1-and-v2-tokens',
  'a format-2 file keeps format-1 tokens that were not written again',
  encodeSecretsFile(file([mixed])),
  keysOf(mixed),
  'staging',
  {
    ok: true,
    values: { NEW: 'written by format 2', OLD: 'written by format 1' },
  },
);
const sopsRec = newEnvironmentRecord(one.keyId, '', [genesisLink('production', one.keyId, one.key)]);
sopsRec.sops = { path: 'infra/secrets/prod.enc.yaml', tags: new Map() };
write(
  'ok-sops-binding',
  'an environment bound to a SOPS file: parses (opening needs the SOPS file)',
  encodeSecretsFile({ version: 2, environments: new Map([['production', sopsRec]]), schema: new Map() }),
  {},
  null,
  { ok: true, parseOnly: true },
);

const base = encodeSecretsFile(file([rotated]));
const mutate = (fn) => {
  const o = JSON.parse(base);
  fn(o.environments.production, o);
  return JSON.stringify(o, null, 2) + '\n';
};
const K = keysOf(rotated);
const flip = (s, at) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
write(
  'fail-chain-signature',
  'a byte of the middle link signature changed',
  mutate((e) => (e.chain[1] = flip(e.chain[1], e.chain[1].length - 5))),
  K,
  'production',
  {
    error: 'E_KEY_CHAIN',
  },
);
write(
  'fail-chain-dropped-link',
  'the middle link removed: the last is not signed by the first',
  mutate((e) => e.chain.splice(1, 1)),
  K,
  'production',
  {
    error: 'E_KEY_CHAIN',
  },
);
const other = env('production', {});
write(
  'fail-chain-not-this-key',
  "the chain of another environment with the same key id: the key's signer is not the last link's",
  mutate((e) => (e.chain = [genesisLink('production', e.key_id, other.key)])),
  K,
  'production',
  { error: 'E_KEY_CHAIN' },
);
write(
  'fail-chain-last-not-key-id',
  "the last link is not for the entry's key_id",
  mutate((e) => e.chain.pop()),
  K,
  'production',
  {
    error: 'E_FORMAT',
  },
);
write(
  'fail-chain-empty',
  'an empty chain',
  mutate((e) => (e.chain = [])),
  K,
  'production',
  { error: 'E_FORMAT' },
);
write(
  'fail-expiry-edited',
  'the expiry of API_TOKEN moved by hand',
  mutate((e) => (e.secrets.API_TOKEN.expires = '2099-01-01')),
  K,
  'production',
  {
    error: 'E_TAMPERED',
    secret: 'API_TOKEN',
  },
);
write(
  'fail-expiry-removed',
  'the metadata of API_TOKEN dropped, keeping the token',
  mutate((e) => (e.secrets.API_TOKEN = e.secrets.API_TOKEN.value)),
  K,
  'production',
  {
    error: 'E_TAMPERED',
    secret: 'API_TOKEN',
  },
);
write(
  'fail-bad-expiry-date',
  'an expiry that is not a calendar day',
  mutate((e) => (e.secrets.API_TOKEN.expires = '2027-02-30')),
  K,
  'production',
  {
    error: 'E_FORMAT',
  },
);
write(
  'fail-metadata-on-v1-token',
  'metadata next to a format-1 token',
  mutate((e) => (e.secrets.API_TOKEN.value = 'v1:' + e.secrets.API_TOKEN.value.slice(3))),
  K,
  'production',
  {
    error: 'E_FORMAT',
  },
);
write(
  'fail-unknown-secret-field',
  'an unknown member in a secret object',
  mutate((e) => (e.secrets.API_TOKEN.owner = 'x')),
  K,
  'production',
  {
    error: 'E_FORMAT',
  },
);
write(
  'fail-sops-path-escapes',
  'a SOPS binding whose path leaves the repository',
  mutate((e, o) => (o.environments.production = { chain: e.chain, key_id: e.key_id, sops: '../other/secrets.yaml' })),
  K,
  'production',
  { error: 'E_FORMAT' },
);
write(
  'fail-sops-binding-with-secrets',
  'a SOPS binding that also holds secrets',
  mutate((e, o) => (o.environments.production = { chain: e.chain, key_id: e.key_id, secrets: {}, sops: 'prod.enc.yaml' })),
  K,
  'production',
  { error: 'E_FORMAT' },
);
write(
  'fail-newer-version',
  'format version 3',
  mutate((_e, o) => (o.version = 3)),
  K,
  'production',
  { error: 'E_VERSION' },
);
console.log(`wrote ${readdirSync(dir).length} vectors to ${dir}`);
