/**
 * Bench fixtures: hako projects and dotenvx files holding the same secrets.
 *
 * hako files are written with the library in build/src (one cipher, one canonical encode),
 * not with thousands of `hako set` calls, so a 10,000-secret project takes a second to make.
 * The bytes are exactly what `hako set` would write: same cipher, same canonical encoder.
 * dotenvx files are plain .env files encrypted by the real `dotenvx encrypt`, so dotenvx
 * decrypts what it made itself.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, DOTENVX_BIN, dotenvxEnv } from './tools.mjs';

const lib = (p) => import(pathToFileURL(join(REPO_ROOT, 'build', 'src', p)).href);
const { EnvironmentCipher } = await lib('core/crypto/environment-cipher.js');
const { emptySecretsFile, encodeSecretsFile, newEnvironmentRecord } = await lib('core/formats/secrets-file.js');
const { genesisLink } = await lib('core/trust/key-chain.js');
const { updatePins } = await lib('core/trust/pin-store.js');
const { writeKeyFile } = await lib('core/keys/key-file-source.js');
const { newEnvironmentKey, newKeyId } = await lib('core/crypto/random.js');
const { deriveKeyFromPassphrase, DEFAULT_KDF } = await lib('core/crypto/argon2id.js');

export const BENCH_ENV = 'bench';

const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
// Characters that base64, hex, URL and JSON escaping each spell differently.
const RICH_CHARS = `${TOKEN_CHARS}/+=:@.!?&%é€ "\\`;

function randomString(length, alphabet) {
  let s = '';
  for (const b of randomBytes(length)) s += alphabet[b % alphabet.length];
  return s;
}

/**
 * Deterministic names, random values. Plain values look like API tokens (40 URL-safe
 * characters); `rich` values (24-63 characters) hold quotes, backslashes, spaces and
 * non-ASCII, so every encoding of them differs from the raw bytes.
 */
export function makeSecrets(count, { rich = false } = {}) {
  const secrets = new Map();
  for (let i = 0; i < count; i++) {
    const value = rich ? randomString(24 + (i % 40), RICH_CHARS) : randomString(40, TOKEN_CHARS);
    secrets.set(`SECRET_${String(i).padStart(5, '0')}`, value);
  }
  return secrets;
}

export function tempRoot() {
  return mkdtempSync(join(tmpdir(), 'hako-bench-'));
}

/**
 * A hako project at `dir` with one environment holding `secrets`, its key in a key file
 * under `home` (or derived from `passphrase`, Argon2id with the default parameters).
 */
export async function makeHakoProject(dir, home, secrets, { passphrase } = {}) {
  mkdirSync(join(dir, '.hako'), { recursive: true });
  const keyId = newKeyId();
  const key = passphrase === undefined ? newEnvironmentKey() : await deriveKeyFromPassphrase(passphrase, keyId, DEFAULT_KDF);
  const cipher = new EnvironmentCipher(BENCH_ENV, keyId, key);
  const record = newEnvironmentRecord(keyId, cipher.makeCheck(), [genesisLink(BENCH_ENV, keyId, key)]);
  if (passphrase !== undefined) record.passphrase = { ...DEFAULT_KDF };
  else writeKeyFile(keyId, key, { HAKO_HOME: home });
  for (const [name, value] of secrets) record.secrets.set(name, cipher.seal(name, value));
  const file = emptySecretsFile();
  file.environments.set(BENCH_ENV, record);
  writeFileSync(join(dir, '.hako', 'secrets.json'), encodeSecretsFile(file));
  // What `hako env add` does on the machine that made it: trust this environment's key chain.
  await updatePins(dir, { HAKO_HOME: home }, (pins) => {
    pins.environments.set(BENCH_ENV, { keyId, chain: [...record.chain], at: new Date().toISOString() });
  });
  // The derived key is returned so the bench can check the argon2 CLI derives the same one.
  return { dir, home, keyId, secrets, derivedKey: passphrase === undefined ? null : key };
}

/**
 * `dir/.env` with `secrets`, encrypted by `dotenvx encrypt` (its private key goes to
 * dir/.env.keys). Asynchronous, so several files can be encrypted at once: dotenvx takes
 * about 14 ms per value.
 */
export function makeDotenvxFile(dir, secrets, configDir) {
  mkdirSync(dir, { recursive: true });
  const lines = [...secrets].map(([name, value]) => `${name}="${value}"`);
  writeFileSync(join(dir, '.env'), `${lines.join('\n')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DOTENVX_BIN, 'encrypt', '-f', '.env'], {
      cwd: dir,
      env: dotenvxEnv(configDir),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve({ dir, file: join(dir, '.env') }) : reject(new Error(`dotenvx encrypt failed: ${out}`)),
    );
  });
}
