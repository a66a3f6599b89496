/**
 * A SOPS file bound as a hako environment: which of its keys are the environment's secrets,
 * and the identifiers hako derives from its data key. No I/O.
 *
 * The secrets are the first document's top-level keys whose value is a scalar and whose name
 * can be an environment variable (`^[A-Za-z_][A-Za-z0-9_]*$`, as `sops exec-env` hands them
 * out; upper case is not required, since SOPS files are often written in lower case). Every
 * other key (nested maps and lists, names with "-" or ".", nulls, comments) stays in the file
 * untouched and is never handed to a program.
 *
 * The data key K plays the part of a native environment key:
 *   key_id = hex(HKDF-SHA256(ikm = K, salt = empty, info = "hako v2 sops key id", 8 bytes))
 *   signer = the chain signer of K (crypto/chain-signer.ts), as for a native key
 *   meta tag = HMAC-SHA256(HKDF(K, "hako v1 tag"), "hako:v2:meta:<env>:<key_id>:<NAME>:<meta>")[0:16]
 * so a file whose data key changed names another key id, and a key change is accepted only
 * with a chain link signed by the previous data key.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { isComment, isList, isMap, type SopsMap, type SopsValue } from './tree.js';

export const SOPS_SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const KEY_ID_INFO = 'hako v2 sops key id';

export function sopsKeyId(dataKey: Uint8Array): string {
  return Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), KEY_ID_INFO, 8)).toString('hex');
}

/** The tag that authenticates a secret's metadata (expires, rotate_every) under the data key. */
export function sopsMetaTag(dataKey: Uint8Array, env: string, keyId: string, name: string, meta: string): string {
  const tagKey = Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'hako v1 tag', 32));
  return createHmac('sha256', tagKey)
    .update(`hako:v2:meta:${env}:${keyId}:${name}:${meta}`, 'utf8')
    .digest()
    .subarray(0, 16)
    .toString('base64');
}

export function sameTag(a: string, b: string): boolean {
  const x = Buffer.from(a, 'base64');
  const y = Buffer.from(b, 'base64');
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface BoundKeys {
  /** Secret names in file order, with their value (plaintext docs) or ciphertext (encrypted docs). */
  secrets: Map<string, SopsValue>;
  /** Top-level keys that are not secrets: kept in the file, never handed out. */
  other: string[];
}

/** Splits the first document's top-level keys into secrets and the rest. */
export function boundKeys(docs: readonly SopsMap[]): BoundKeys {
  const out: BoundKeys = { secrets: new Map(), other: [] };
  const doc = docs[0];
  if (!doc) return out;
  for (const item of doc.items) {
    if (isComment(item)) continue;
    const v = item.value;
    if (v === null || isMap(v) || isList(v) || !SOPS_SECRET_NAME.test(item.key)) out.other.push(item.key);
    else out.secrets.set(item.key, v);
  }
  return out;
}
