/**
 * Keys and age identities in the OS keychain: choosing a usable store before anything
 * changes, storing a key (read back before it counts as stored), listing what hako keeps
 * there, and removing an entry together with its record.
 *
 * Where a key went is recorded per key id in $HAKO_HOME/keychain/ (names and ids only), so
 * later commands look it up in the same store, and `key rotate` keeps a keychain key in the
 * keychain.
 */
import { HakoError, isHakoError } from '../core/errors.js';
import { KEY_ID } from '../core/names.js';
import {
  backendName,
  chooseKeychain,
  openKeychain,
  type Keychain,
  type KeychainRequest,
  type KeychainStore,
} from '../core/keychain/keychain.js';
import {
  IDENTITY_SERVICE,
  identityId,
  KEY_SERVICE,
  listIdentityRecords,
  listKeyRecords,
  readIdentityRecord,
  readKeyRecord,
  removeIdentityRecord,
  removeKeyRecord,
  writeIdentityRecord,
  writeKeyRecord,
} from '../core/keychain/records.js';
import { keyFilePath, readKeyFile } from '../core/keys/key-file-source.js';
import type { ServiceContext } from './context.js';

/** Where a new or imported key is kept on this machine. */
export type KeyHome = { kind: 'file' } | { kind: 'keychain'; keychain: Keychain };

export const KEY_FILE_HOME: KeyHome = { kind: 'file' };

/**
 * A keychain to store something in, probed first: when none is usable this throws before
 * anything was changed. Warns when the store is the kernel keyring.
 */
export async function keychainHome(ctx: ServiceContext, request: KeychainRequest): Promise<KeyHome> {
  const keychain = await chooseKeychain(request);
  if (keychain.store === 'kernel') {
    ctx.notice('warning: the kernel keyring is memory only: what hako stores there is gone at reboot; keep another copy');
  }
  return { kind: 'keychain', keychain };
}

/** The keychain a recorded key lives in, probed, for storing its successor in the same place. */
export async function keychainOfKey(ctx: ServiceContext, keyId: string): Promise<KeyHome | null> {
  const record = readKeyRecord(ctx.env, keyId);
  if (!record) return null;
  return keychainHome(ctx, requestFor(record.store));
}

function requestFor(store: KeychainStore): KeychainRequest {
  return store === 'os' ? 'auto' : store;
}

/** How messages name a key's home: the key file path, or "keychain (Secret Service)". */
export function homeLabel(home: KeyHome, keyId: string, env: NodeJS.ProcessEnv): string {
  return home.kind === 'file' ? keyFilePath(keyId, env) : `keychain (${home.keychain.backend})`;
}

/**
 * Stores K in the keychain under its key id, reads it back, then records where it went.
 * Returns false when the keychain already held exactly this key.
 */
export async function storeKeyInKeychain(
  ctx: ServiceContext,
  keychain: Keychain,
  env: string,
  keyId: string,
  key: Buffer,
): Promise<boolean> {
  const text = key.toString('base64');
  const before = await keychain.get(KEY_SERVICE, keyId);
  const fresh = before !== text;
  if (fresh) {
    await keychain.set(KEY_SERVICE, keyId, text);
    if ((await keychain.get(KEY_SERVICE, keyId)) !== text) {
      throw new HakoError(
        'E_KEYCHAIN',
        `the ${keychain.backend} did not keep the key it was given`,
        'check the keychain service, or use a key file',
      );
    }
  }
  const record = readKeyRecord(ctx.env, keyId);
  if (fresh || !record || record.store !== keychain.store || record.env !== env)
    writeKeyRecord(ctx.env, { env, keyId, store: keychain.store });
  const file = keyFilePath(keyId, ctx.env);
  let hasFile = false;
  try {
    hasFile = readKeyFile(file) !== null;
  } catch {
    hasFile = true;
  }
  if (hasFile)
    ctx.notice(`note: the key file ${file} holds this key too and is looked at first; remove it to keep the key only in the keychain`);
  return fresh;
}

/** Stores a new age identity in the keychain, read back, and records it. */
export async function storeIdentityInKeychain(
  ctx: ServiceContext,
  keychain: Keychain,
  identity: string,
  recipient: string,
  kind: string,
): Promise<string> {
  const id = identityId(recipient);
  if (readIdentityRecord(ctx.env, id))
    throw new HakoError('E_EXISTS', `the keychain already holds identity ${id}`, 'list it: hako keychain ls');
  await keychain.set(IDENTITY_SERVICE, id, identity);
  if ((await keychain.get(IDENTITY_SERVICE, id)) !== identity) {
    throw new HakoError(
      'E_KEYCHAIN',
      `the ${keychain.backend} did not keep the identity it was given`,
      'check the keychain service, or use a file',
    );
  }
  writeIdentityRecord(ctx.env, { id, kind, recipient, store: keychain.store });
  return id;
}

export interface KeychainEntry {
  kind: 'key' | 'identity';
  /** Key id, or the identity's id. */
  id: string;
  /** The environment (keys) or the recipient (identities). */
  what: string;
  store: KeychainStore;
  backend: string;
  /** Whether the keychain still holds it; null when the keychain could not be asked. */
  present: boolean | null;
  problem?: string;
}

/** Everything hako recorded as stored in the keychain, each checked against the keychain. */
export async function listKeychain(ctx: ServiceContext): Promise<KeychainEntry[]> {
  const out: KeychainEntry[] = [];
  const rows: { kind: 'key' | 'identity'; id: string; what: string; store: KeychainStore; service: string }[] = [
    ...listKeyRecords(ctx.env).map((r) => ({ kind: 'key' as const, id: r.keyId, what: r.env, store: r.store, service: KEY_SERVICE })),
    ...listIdentityRecords(ctx.env).map((r) => ({
      kind: 'identity' as const,
      id: r.id,
      what: r.recipient,
      store: r.store,
      service: IDENTITY_SERVICE,
    })),
  ];
  for (const r of rows) {
    const entry: KeychainEntry = { kind: r.kind, id: r.id, what: r.what, store: r.store, backend: backendName(r.store), present: null };
    try {
      const keychain = await openKeychain(r.store);
      entry.backend = keychain.backend;
      entry.present = (await keychain.get(r.service, r.id)) !== null;
    } catch (err) {
      if (!isHakoError(err)) throw err;
      entry.problem = err.message;
    }
    out.push(entry);
  }
  return out;
}

/**
 * Deletes a key (by key id) or an age identity (by id or recipient) from the keychain and
 * drops its record. The record goes only once the keychain entry is gone.
 */
export async function removeFromKeychain(
  ctx: ServiceContext,
  idOrRecipient: string,
): Promise<{ kind: 'key' | 'identity'; id: string; backend: string; existed: boolean }> {
  const key = KEY_ID.test(idOrRecipient) ? readKeyRecord(ctx.env, idOrRecipient) : null;
  if (key) {
    const keychain = await openKeychain(key.store);
    const existed = await keychain.delete(KEY_SERVICE, key.keyId);
    removeKeyRecord(ctx.env, key.keyId);
    return { kind: 'key', id: key.keyId, backend: keychain.backend, existed };
  }
  const id = KEY_ID.test(idOrRecipient) ? idOrRecipient : identityId(idOrRecipient.trim());
  const identity = readIdentityRecord(ctx.env, id);
  if (identity) {
    const keychain = await openKeychain(identity.store);
    const existed = await keychain.delete(IDENTITY_SERVICE, identity.id);
    removeIdentityRecord(ctx.env, identity.id);
    return { kind: 'identity', id: identity.id, backend: keychain.backend, existed };
  }
  throw new HakoError('E_NO_KEY', 'hako keeps no key or identity by that id in the keychain', 'list what it keeps: hako keychain ls');
}
