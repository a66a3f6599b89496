/**
 * What hako remembers about the keychain, in $HAKO_HOME/keychain/: which keys and age
 * identities it stored there and in which store. These records hold names and ids only,
 * never a key. A record is also what makes the keychain a key source at all: without one,
 * looking for a key never loads the keychain binding.
 *
 *   keychain/keys/<key_id>.json        {"env","key_id","store","version":1}
 *   keychain/identities/<id>.json      {"id","kind","recipient","store","version":1}
 *
 * In the keychain an environment key is service "hako-key", account <key_id>, value the
 * standard base64 of K; an age identity is service "hako-age-identity", account <id> (16 hex
 * of SHA-256 of its recipient), value the AGE-SECRET-KEY-… line.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { HakoError } from '../errors.js';
import { ENV_NAME, KEY_ID } from '../names.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { hakoHome } from '../home.js';
import { isJsonObject, parseStrictJson, type JsonObject } from '../formats/strict-json.js';
import { KEYCHAIN_STORES, type KeychainStore } from './keychain.js';

export const KEY_SERVICE = 'hako-key';
export const IDENTITY_SERVICE = 'hako-age-identity';

export interface KeyRecord {
  env: string;
  keyId: string;
  store: KeychainStore;
}

export interface IdentityRecord {
  id: string;
  kind: string;
  recipient: string;
  store: KeychainStore;
}

export function keychainDir(env: NodeJS.ProcessEnv): string {
  return join(hakoHome(env), 'keychain');
}

function keyRecordPath(env: NodeJS.ProcessEnv, keyId: string): string {
  return join(keychainDir(env), 'keys', `${keyId}.json`);
}

function identityRecordPath(env: NodeJS.ProcessEnv, id: string): string {
  return join(keychainDir(env), 'identities', `${id}.json`);
}

/** The keychain account of an age identity: 16 hex of SHA-256 of its recipient. */
export function identityId(recipient: string): string {
  return createHash('sha256').update(recipient, 'utf8').digest('hex').slice(0, 16);
}

function readJson(path: string): JsonObject | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new HakoError('E_IO', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check its permissions');
  }
  const v = parseStrictJson(text, path);
  if (!isJsonObject(v)) throw damaged(path);
  return v;
}

function damaged(path: string): HakoError {
  return new HakoError('E_FORMAT', `keychain record ${path} is damaged`, 'remove it and store the key again (--keychain)');
}

function storeOf(v: unknown, path: string): KeychainStore {
  if (typeof v !== 'string' || !(KEYCHAIN_STORES as readonly string[]).includes(v)) throw damaged(path);
  return v as KeychainStore;
}

function write(path: string, obj: Record<string, string | number>): void {
  const sorted = Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : 1)));
  writeFileAtomic(path, `${JSON.stringify(sorted)}\n`, { mode: 0o600, dirMode: 0o700 });
}

function remove(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new HakoError('E_IO', `cannot remove ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check its permissions');
  }
}

export function readKeyRecord(env: NodeJS.ProcessEnv, keyId: string): KeyRecord | null {
  if (!KEY_ID.test(keyId)) return null;
  const path = keyRecordPath(env, keyId);
  const v = readJson(path);
  if (!v) return null;
  if (v['version'] !== 1 || v['key_id'] !== keyId || typeof v['env'] !== 'string' || !ENV_NAME.test(v['env'])) throw damaged(path);
  return { env: v['env'], keyId, store: storeOf(v['store'], path) };
}

export function writeKeyRecord(env: NodeJS.ProcessEnv, r: KeyRecord): string {
  const path = keyRecordPath(env, r.keyId);
  write(path, { env: r.env, key_id: r.keyId, store: r.store, version: 1 });
  return path;
}

export function removeKeyRecord(env: NodeJS.ProcessEnv, keyId: string): boolean {
  return remove(keyRecordPath(env, keyId));
}

export function listKeyRecords(env: NodeJS.ProcessEnv): KeyRecord[] {
  return listIds(join(keychainDir(env), 'keys'), KEY_ID)
    .map((id) => readKeyRecord(env, id))
    .filter((r): r is KeyRecord => r !== null);
}

export function readIdentityRecord(env: NodeJS.ProcessEnv, id: string): IdentityRecord | null {
  if (!KEY_ID.test(id)) return null;
  const path = identityRecordPath(env, id);
  const v = readJson(path);
  if (!v) return null;
  const recipient = v['recipient'];
  if (
    v['version'] !== 1 ||
    v['id'] !== id ||
    typeof recipient !== 'string' ||
    identityId(recipient) !== id ||
    typeof v['kind'] !== 'string'
  )
    throw damaged(path);
  return { id, kind: v['kind'], recipient, store: storeOf(v['store'], path) };
}

export function writeIdentityRecord(env: NodeJS.ProcessEnv, r: IdentityRecord): string {
  const path = identityRecordPath(env, r.id);
  write(path, { id: r.id, kind: r.kind, recipient: r.recipient, store: r.store, version: 1 });
  return path;
}

export function removeIdentityRecord(env: NodeJS.ProcessEnv, id: string): boolean {
  return remove(identityRecordPath(env, id));
}

export function listIdentityRecords(env: NodeJS.ProcessEnv): IdentityRecord[] {
  return listIds(join(keychainDir(env), 'identities'), KEY_ID)
    .map((id) => readIdentityRecord(env, id))
    .filter((r): r is IdentityRecord => r !== null);
}

function listIds(dir: string, pattern: RegExp): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json') && pattern.test(n.slice(0, -5)))
    .map((n) => n.slice(0, -5))
    .sort();
}
