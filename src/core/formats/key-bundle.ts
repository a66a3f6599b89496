/**
 * Key bundles: one environment key as one pasteable line (docs/FORMAT.md).
 *   hako-key:1:<base64url, no padding, of {"env":"…","id":"<key_id>","key":"<base64 of K>"}>
 * Parse and encode only; whether a bundle opens an environment is the key store's question.
 */
import { HakoError } from '../errors.js';
import { ENV_NAME, KEY_ID } from '../names.js';
import { decodeBase64Strict, decodeBase64UrlStrict } from '../crypto/base64.js';
import { KEY_BYTES } from '../crypto/random.js';
import { isJsonObject, parseStrictJson, type JsonValue } from './strict-json.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const BUNDLE_PREFIX = 'hako-key:1:';

export interface KeyBundle {
  env: string;
  keyId: string;
  key: Buffer;
}

export function encodeKeyBundle(b: KeyBundle): string {
  const json = JSON.stringify({ env: b.env, id: b.keyId, key: b.key.toString('base64') });
  return BUNDLE_PREFIX + Buffer.from(json, 'utf8').toString('base64url');
}

const broken = (why: string): HakoError =>
  new HakoError(
    'E_BUNDLE',
    `not a valid hako key bundle: ${why}`,
    'copy the whole line printed by `hako key export`, starting with hako-key:1:',
  );

export function parseKeyBundle(text: string): KeyBundle {
  const s = text.trim();
  if (!s.startsWith('hako-key:')) throw broken('it does not start with hako-key:1:');
  if (!s.startsWith(BUNDLE_PREFIX)) {
    throw new HakoError('E_VERSION', 'this key bundle has a newer version than this hako reads', 'upgrade hako to import it');
  }
  const raw = decodeBase64UrlStrict(s.slice(BUNDLE_PREFIX.length));
  if (!raw || raw.length === 0) throw broken('the encoding is damaged (truncated or changed characters)');
  // Strict: valid UTF-8 and no duplicate fields, so no two readers see two different keys.
  let obj: JsonValue;
  try {
    obj = parseStrictJson(UTF8.decode(raw), 'key bundle');
  } catch {
    throw broken('the content is damaged');
  }
  if (!isJsonObject(obj)) throw broken('the content is damaged');
  const o = obj;
  const keys = Object.keys(o).sort().join(',');
  if (keys !== 'env,id,key') throw broken('unexpected fields');
  const { env, id, key } = o;
  if (typeof env !== 'string' || !ENV_NAME.test(env)) throw broken('bad environment name');
  if (typeof id !== 'string' || !KEY_ID.test(id)) throw broken('bad key id');
  const k = typeof key === 'string' ? decodeBase64Strict(key) : null;
  if (!k || k.length !== KEY_BYTES) throw broken('the key is not 32 bytes');
  return { env, keyId: id, key: k };
}

/** HAKO_KEY may hold several bundles separated by commas or whitespace. */
export function parseKeyBundleList(text: string): KeyBundle[] {
  return text
    .split(/[\s,]+/)
    .filter((s) => s.length > 0)
    .map(parseKeyBundle);
}
