/**
 * The runner mirror file, `$HAKO_HOME/mirror/<workspace-hash>.json` (docs/CI.md):
 *
 *   { "hako_mirror": 1,
 *     "environments": { "<env>": { "names": [...], "synced_at": "<ISO time>" } },
 *     "encryption": { "kdf": "pbkdf2-sha512", "iterations": N, "salt": "<base64>",
 *                     "cipher": "aes-256-gcm", "nonce": "<base64>", "aad": "hako-mirror:1" },
 *     "ciphertext": "<base64 of ciphertext ‖ tag>" }
 *
 * The plaintext under the ciphertext is UTF-8 JSON `{ "<env>": { "<NAME>": "<value>" } }`.
 * A plaintext cache (asked for with --plaintext-cache) has `"encryption": null` and that
 * object as `"secrets"` instead. `environments` is what `hako mirror status` shows without
 * the key; readers take names and values from the decrypted part only.
 */
import { HakoError } from '../errors.js';
import { ENV_NAME, SECRET_NAME } from '../names.js';
import { decodeBase64Strict } from '../crypto/base64.js';
import { MAX_ITERATIONS, MIN_ITERATIONS, MIRROR_AAD, MIRROR_CIPHER, MIRROR_KDF, type MirrorSealed } from '../crypto/mirror-cipher.js';

export type MirrorSecrets = Record<string, Record<string, string>>;

export interface MirrorMeta {
  names: string[];
  synced_at: string;
}

export interface MirrorFile {
  environments: Record<string, MirrorMeta>;
  sealed: MirrorSealed | null;
  /** Only in a plaintext cache. */
  secrets: MirrorSecrets | null;
}

export function encodeMirrorFile(file: MirrorFile): string {
  const out: Record<string, unknown> = { hako_mirror: 1, environments: file.environments };
  if (file.sealed) {
    out['encryption'] = {
      kdf: MIRROR_KDF,
      iterations: file.sealed.iterations,
      salt: file.sealed.salt.toString('base64'),
      cipher: MIRROR_CIPHER,
      nonce: file.sealed.nonce.toString('base64'),
      aad: MIRROR_AAD,
    };
    out['ciphertext'] = file.sealed.ciphertext.toString('base64');
  } else {
    out['encryption'] = null;
    out['secrets'] = file.secrets ?? {};
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

function bad(path: string, what: string): HakoError {
  return new HakoError('E_FORMAT', `${path}: not a hako runner mirror (${what})`, 'remove it with hako mirror rm and sync again');
}

export function parseMirrorFile(text: string, path: string): MirrorFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad(path, 'not JSON');
  }
  const o = raw as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || o['hako_mirror'] !== 1) throw bad(path, 'no "hako_mirror": 1');
  const environments: Record<string, MirrorMeta> = {};
  const envs = o['environments'];
  if (typeof envs !== 'object' || envs === null) throw bad(path, 'environments');
  for (const [env, m] of Object.entries(envs as Record<string, unknown>)) {
    const meta = m as Record<string, unknown>;
    if (!ENV_NAME.test(env) || typeof meta !== 'object' || meta === null) throw bad(path, 'environment entry');
    const names = meta['names'];
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && SECRET_NAME.test(n))) throw bad(path, 'names');
    if (typeof meta['synced_at'] !== 'string') throw bad(path, 'synced_at');
    environments[env] = { names: names as string[], synced_at: meta['synced_at'] };
  }
  const enc = o['encryption'];
  if (enc === null) return { environments, sealed: null, secrets: parseSecrets(o['secrets'], path) };
  const e = enc as Record<string, unknown>;
  if (typeof e !== 'object' || e['kdf'] !== MIRROR_KDF || e['cipher'] !== MIRROR_CIPHER || e['aad'] !== MIRROR_AAD) {
    throw bad(path, 'unknown encryption');
  }
  const iterations = e['iterations'];
  if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw bad(path, `iterations outside ${MIN_ITERATIONS}..${MAX_ITERATIONS}`);
  }
  const salt = typeof e['salt'] === 'string' ? decodeBase64Strict(e['salt']) : null;
  const nonce = typeof e['nonce'] === 'string' ? decodeBase64Strict(e['nonce']) : null;
  const ciphertext = typeof o['ciphertext'] === 'string' ? decodeBase64Strict(o['ciphertext']) : null;
  if (!salt || !nonce || !ciphertext) throw bad(path, 'salt, nonce or ciphertext');
  return { environments, sealed: { iterations, salt, nonce, ciphertext }, secrets: null };
}

/** `{ env: { NAME: value } }`, checked. */
export function parseSecrets(raw: unknown, path: string): MirrorSecrets {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(path, 'secrets');
  const out: MirrorSecrets = {};
  for (const [env, values] of Object.entries(raw as Record<string, unknown>)) {
    if (!ENV_NAME.test(env) || typeof values !== 'object' || values === null || Array.isArray(values)) throw bad(path, 'secrets');
    const m: Record<string, string> = {};
    for (const [name, v] of Object.entries(values as Record<string, unknown>)) {
      if (!SECRET_NAME.test(name) || typeof v !== 'string') throw bad(path, 'secret entry');
      m[name] = v;
    }
    out[env] = m;
  }
  return out;
}
