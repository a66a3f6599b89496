/**
 * `hako sops …`: the sops workflow on SOPS files (age recipients; PGP through gpg).
 *
 * Reads and writes go through the codec in core/sops. The data key is opened with this
 * machine's age identities (found the way sops finds them) or gpg; master keys hako cannot
 * use (KMS, GCP, Azure, Vault) are named in the error when nothing else opens the file, and
 * kept untouched when a write keeps the data key. Writes are atomic and keep the file's
 * mode. Errors carry sops's exit codes (E_SOPS_*), so scripts written for sops keep working.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { HakoError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { gatherAgeIdentities } from '../core/keys/age-identity-source.js';
import { parseRecipient, ageRecipientFor } from '../core/keys/age-recipient.js';
import { gpgDecrypt, gpgEncrypt } from '../core/keys/sops-pgp.js';
import { ageUnwrap, ageWrap } from '../core/sops/age-master-key.js';
import { matchCreationRule, parseSopsConfig, type CreationRule, type SopsConfig } from '../core/sops/config.js';
import { DataKeyError, newDataKey, recoverDataKey, wrapDataKey, type Recipient } from '../core/sops/data-key.js';
import { masterKeyEnc, masterKeyId, type MasterKey, type SopsMetadata } from '../core/sops/metadata.js';
import {
  MacMismatchError,
  NotEncryptedError,
  emitPlain,
  newMetadata,
  openSopsFile,
  readPlainFile,
  readSopsFile,
  writeSopsFile,
  type Opened,
  type SopsFile,
} from '../core/sops/sops-file.js';
import { isStoreKind, storeForPath, StoreError, type StoreKind } from '../core/sops/store.js';
import { SopsDecryptError } from '../core/sops/tree-crypt.js';
import { getKey, isComment, isList, isMap, newList, newMap, type SopsMap, type SopsValue } from '../core/sops/tree.js';
import { ValueCipher } from '../core/sops/value-cipher.js';
import { MetadataError } from '../core/sops/metadata.js';
import { ConfigError } from '../core/sops/config.js';
import type { CryptRule } from '../core/sops/crypt-rules.js';
import type { ServiceContext } from './context.js';

export type SopsPathStep = string | number;

function abs(ctx: ServiceContext, path: string): string {
  return isAbsolute(path) ? path : resolve(ctx.cwd, path);
}

export function storeKindFor(path: string, override: string | undefined): StoreKind {
  if (override === undefined) return storeForPath(path);
  if (!isStoreKind(override))
    throw new HakoError('E_USAGE', `unknown file type "${override.slice(0, 20)}"`, 'one of: yaml, json, dotenv, ini, binary');
  return override;
}

function readInput(ctx: ServiceContext, path: string): Buffer {
  const p = abs(ctx, path);
  if (!existsSync(p)) throw new HakoError('E_SOPS_NO_FILE', `${path}: no such file`, 'check the path');
  return readFileSync(p);
}

function formatError(path: string, err: unknown): never {
  if (err instanceof HakoError) throw err;
  if (err instanceof NotEncryptedError)
    throw new HakoError('E_FORMAT', `${path}: ${err.message}`, 'sops metadata not found: is it a SOPS file?');
  if (err instanceof StoreError || err instanceof MetadataError || err instanceof ConfigError)
    throw new HakoError('E_FORMAT', `${path}: ${err.message}`, 'the file is not one sops wrote, or it was damaged');
  throw err;
}

export function loadSopsFile(ctx: ServiceContext, path: string, type?: string): SopsFile {
  const text = readInput(ctx, path).toString('utf8');
  try {
    return readSopsFile(text, storeKindFor(path, type));
  } catch (err) {
    return formatError(path, err);
  }
}

/** Opens the data key with this machine's age identities or gpg. */
export async function dataKeyOf(ctx: ServiceContext, md: SopsMetadata, path: string): Promise<Uint8Array> {
  const set = await gatherAgeIdentities(ctx.env);
  const ids = set.identities.map((i) => i.identity);
  const order = (ctx.env['SOPS_DECRYPTION_ORDER'] ?? 'age,pgp').split(',').map((s) => s.trim());
  try {
    return await recoverDataKey(
      md,
      async (k) => {
        if (k.kind === 'age') return ageUnwrap(masterKeyEnc(k), ids);
        if (k.kind === 'pgp') return gpgDecrypt(masterKeyEnc(k), ctx.env);
        throw new Error('hako does not use this kind of key (use sops for it)');
      },
      order,
    );
  } catch (err) {
    if (!(err instanceof DataKeyError)) throw err;
    const tried = err.tried.map((t) => `${t.kind} ${shorten(t.id)}: ${t.reason}`).join('; ');
    const looked = set.identities.length
      ? `${set.identities.length} age identit${set.identities.length === 1 ? 'y' : 'ies'} found`
      : `no age identity found (looked at ${set.looked.join(', ')})`;
    // An identity that was found but refused (a key file others can read, a bad SOPS_AGE_KEY_CMD)
    // is the likeliest reason: say so, and give its fix first.
    const refused = set.problems.length ? `; not used: ${set.problems.map((p) => p.message).join('; ')}` : '';
    throw new HakoError(
      'E_SOPS_NO_KEY',
      `${path}: cannot open the data key: ${err.message} (${tried}; ${looked}${refused})`,
      set.problems[0]?.hint ?? 'set SOPS_AGE_KEY_FILE to a key file whose recipient is in the file, or import the PGP key into gpg',
    );
  }
}

function shorten(id: string): string {
  return id.length > 40 ? `${id.slice(0, 20)}…${id.slice(-8)}` : id;
}

export function openWithKey(file: SopsFile, key: Uint8Array, path: string, ignoreMac: boolean): Opened {
  try {
    return openSopsFile(file, key, { ignoreMac });
  } catch (err) {
    if (err instanceof MacMismatchError)
      throw new HakoError(
        'E_SOPS_MAC',
        `${path}: ${err.message}${err.stored === null ? '' : ''}`,
        'the file was changed without its key; check its history (git log -p), or pass --ignore-mac to read it anyway',
      );
    if (err instanceof SopsDecryptError)
      throw new HakoError(
        'E_TAMPERED',
        `${path}: the value at ${err.path.join('.') || '(top)'} ${err.message}`,
        'restore the file from version control',
      );
    throw err;
  }
}

export async function openSops(ctx: ServiceContext, path: string, opts: { type?: string; ignoreMac?: boolean } = {}) {
  const file = loadSopsFile(ctx, path, opts.type);
  const key = await dataKeyOf(ctx, file.metadata, path);
  return { file, key, opened: openWithKey(file, key, path, !!opts.ignoreMac) };
}

/** `["a"]["b"][0]` → ['a', 'b', 0] (sops's --extract and set/unset paths). */
export function parseTreePath(text: string): SopsPathStep[] {
  const out: SopsPathStep[] = [];
  const re = /\s*\[\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(-?\d+))\s*\]/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new HakoError('E_USAGE', 'not a tree path (like ["key"][0])', 'write each step in brackets: ["a"]["b"][0]');
    if (m[1] !== undefined) out.push(JSON.parse(`"${m[1]}"`) as string);
    else if (m[2] !== undefined) out.push(m[2].replace(/\\(.)/g, '$1'));
    else out.push(Number(m[3]));
    at = re.lastIndex;
    if (text.slice(at).trim() === '') break;
  }
  if (!out.length) throw new HakoError('E_USAGE', 'an empty tree path', 'give at least one step, like ["key"]');
  return out;
}

/** A JSON value as sops's `set` reads it: numbers are floats, objects keep their key order. */
export function jsonToSops(text: string): SopsValue {
  const { readJson } = jsonReader;
  try {
    const wrapped = readJson(`{"v":${text}}`).doc;
    const v = getKey(wrapped, 'v')!;
    const floats = (x: SopsValue): SopsValue => {
      if (typeof x === 'bigint') return Number(x);
      if (isMap(x)) return newMap(x.items.map((i) => (isComment(i) ? i : { key: i.key, value: floats(i.value) })));
      if (isList(x)) return newList(x.items.map((i) => (isComment(i) ? i : floats(i as SopsValue))));
      return x;
    };
    return floats(v);
  } catch {
    throw new HakoError(
      'E_USAGE',
      'the value is not JSON',
      'a string needs its quotes: \'"text"\'; numbers, true/false, objects and lists are JSON too',
    );
  }
}
import * as jsonReader from '../core/sops/json-store.js';

export function extractValue(docs: SopsMap[], path: SopsPathStep[]): SopsValue {
  let cur: SopsValue = docs[0] ?? newMap();
  for (const step of path) {
    if (typeof step === 'string' && isMap(cur)) {
      const next = getKey(cur, step);
      if (next === undefined)
        throw new HakoError('E_USAGE', `the key "${step.slice(0, 40)}" was not found`, 'check the path with hako sops decrypt');
      cur = next;
    } else if (typeof step === 'number' && isList(cur)) {
      const items = cur.items.filter((i) => !isComment(i)) as SopsValue[];
      if (step < 0 || step >= items.length)
        throw new HakoError('E_USAGE', `index ${step} is out of range`, 'check the path with hako sops decrypt');
      cur = items[step]!;
    } else throw new HakoError('E_USAGE', 'the path does not match the structure of the file', 'check the path with hako sops decrypt');
  }
  return cur;
}

/** sops's Tree.Set: replaces or appends along the path, creating what is missing. */
export function setValue(doc: SopsMap, path: SopsPathStep[], value: SopsValue): SopsMap {
  const go = (cur: SopsValue | undefined, i: number): SopsValue => {
    if (i === path.length) return value;
    const step = path[i]!;
    if (typeof step === 'string') {
      const m = isMap(cur) ? cur : newMap();
      const idx = m.items.findIndex((it) => !isComment(it) && it.key === step);
      const items = [...m.items];
      if (idx >= 0) items[idx] = { key: step, value: go((items[idx] as { value: SopsValue }).value, i + 1) };
      else items.push({ key: step, value: go(undefined, i + 1) });
      return { type: 'map', items };
    }
    const l = isList(cur) ? cur : newList();
    const items = [...l.items];
    let seen = -1;
    const pos = items.findIndex((it) => !isComment(it) && ++seen === step);
    if (pos >= 0) items[pos] = go(items[pos] as SopsValue, i + 1);
    else items.push(go(undefined, i + 1));
    return { type: 'list', items };
  };
  return go(doc, 0) as SopsMap;
}

/** sops's Tree.Unset; false when the path does not exist. */
export function unsetValue(doc: SopsMap, path: SopsPathStep[]): SopsMap | null {
  const go = (cur: SopsValue, i: number): SopsValue | null => {
    const step = path[i]!;
    const last = i === path.length - 1;
    if (typeof step === 'string' && isMap(cur)) {
      const idx = cur.items.findIndex((it) => !isComment(it) && it.key === step);
      if (idx < 0) return null;
      const items = [...cur.items];
      if (last) items.splice(idx, 1);
      else {
        const inner = go((items[idx] as { value: SopsValue }).value, i + 1);
        if (inner === null) return null;
        items[idx] = { key: step, value: inner };
      }
      return { type: 'map', items };
    }
    if (typeof step === 'number' && isList(cur)) {
      let seen = -1;
      const pos = cur.items.findIndex((it) => !isComment(it) && ++seen === step);
      if (pos < 0) return null;
      const items = [...cur.items];
      if (last) items.splice(pos, 1);
      else {
        const inner = go(items[pos] as SopsValue, i + 1);
        if (inner === null) return null;
        items[pos] = inner;
      }
      return { type: 'list', items };
    }
    return null;
  };
  return go(doc, 0) as SopsMap | null;
}

function writeBack(ctx: ServiceContext, path: string, text: string | Uint8Array): void {
  const p = abs(ctx, path);
  let mode = 0o600;
  try {
    mode = statSync(p).mode & 0o777;
  } catch {
    /* a new file */
  }
  writeFileAtomic(p, text, { mode });
}

export interface SetRequest {
  path: string;
  type?: string;
  treePath: SopsPathStep[];
  value: SopsValue;
  idempotent?: boolean;
}

/** `sops set`: only that value's line, `mac` and `lastmodified` change. Returns whether it wrote. */
export async function sopsSet(ctx: ServiceContext, req: SetRequest): Promise<boolean> {
  const { file, opened } = await openSops(ctx, req.path, { type: req.type });
  const docs = opened.docs.map((d, i) => (i === 0 ? setValue(d, req.treePath, req.value) : d));
  if (req.idempotent && JSON.stringify(docs, big) === JSON.stringify(opened.docs, big)) return false;
  const text = writeSopsFile({ kind: file.store.kind, docs, metadata: file.metadata, cipher: opened.cipher, original: file.store });
  writeBack(ctx, req.path, text);
  return true;
}

function big(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return v;
}

export async function sopsUnset(
  ctx: ServiceContext,
  req: { path: string; type?: string; treePath: SopsPathStep[]; idempotent?: boolean },
): Promise<boolean> {
  const { file, opened } = await openSops(ctx, req.path, { type: req.type });
  const doc = unsetValue(opened.docs[0]!, req.treePath);
  if (!doc) {
    if (req.idempotent) return false;
    throw new HakoError('E_USAGE', 'the path was not found in the file', 'check the path with hako sops decrypt');
  }
  const text = writeSopsFile({
    kind: file.store.kind,
    docs: [doc, ...opened.docs.slice(1)],
    metadata: file.metadata,
    cipher: opened.cipher,
    original: file.store,
  });
  writeBack(ctx, req.path, text);
  return true;
}

export async function sopsDecrypt(
  ctx: ServiceContext,
  req: { path: string; type?: string; outputType?: string; extract?: string; ignoreMac?: boolean },
): Promise<string | Uint8Array> {
  const { file, opened } = await openSops(ctx, req.path, { type: req.type, ignoreMac: req.ignoreMac });
  const out = req.outputType ? storeKindFor(req.path, req.outputType) : file.store.kind;
  if (req.extract) {
    const v = extractValue(opened.docs, parseTreePath(req.extract));
    if (isMap(v)) return emitPlain([v], out === 'binary' ? 'json' : out);
    if (isList(v)) return emitPlain([newMap([{ key: 'value', value: v }])], 'json');
    const { valueToString } = await import('../core/sops/sops-file.js');
    return valueToString(v);
  }
  if (out === 'binary' && file.store.kind !== 'binary') return emitPlain(opened.docs, 'json');
  return emitPlain(opened.docs, out);
}

/** `sops filestatus`: encrypted when metadata parses and has a version and a MAC. */
export function sopsFileStatus(ctx: ServiceContext, path: string, type?: string): { encrypted: boolean } {
  try {
    const f = loadSopsFile(ctx, path, type);
    return { encrypted: f.metadata.version !== '' && f.metadata.mac !== '' };
  } catch (err) {
    if (err instanceof HakoError && err.code === 'E_SOPS_NO_FILE') throw err;
    return { encrypted: false };
  }
}

// ---- .sops.yaml ----

export interface LoadedConfig {
  config: SopsConfig;
  dir: string;
  path: string;
}

/** `.sops.yaml` from the working directory upwards (or --config / SOPS_CONFIG). */
export function findSopsConfig(ctx: ServiceContext, explicit?: string): LoadedConfig | null {
  const named = explicit ?? ctx.env['SOPS_CONFIG'];
  let path: string | null = null;
  if (named) path = abs(ctx, named);
  else {
    let dir = ctx.cwd;
    for (let i = 0; i < 100; i++) {
      const p = join(dir, '.sops.yaml');
      if (existsSync(p)) {
        path = p;
        break;
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  if (!path) return null;
  if (!existsSync(path)) throw new HakoError('E_USAGE', `${named}: no such config file`, 'check --config or SOPS_CONFIG');
  try {
    return { config: parseSopsConfig(readFileSync(path, 'utf8')), dir: dirname(path), path };
  } catch (err) {
    return formatError(path, err);
  }
}

export interface KeyChoice {
  age: string[];
  pgp: string[];
  shamirThreshold?: number;
  rule?: CryptRule;
  macOnlyEncrypted?: boolean;
}

function ruleFor(ctx: ServiceContext, cfg: LoadedConfig | null, path: string, filenameOverride?: string): CreationRule | null {
  if (!cfg || !cfg.config.rules.length) return null;
  const target = abs(ctx, filenameOverride ?? path);
  const rule = matchCreationRule(cfg.config, cfg.dir, target);
  if (!rule)
    throw new HakoError(
      'E_USAGE',
      `no matching creation rules found in ${cfg.path} for ${path}`,
      'add a rule whose path_regex matches the file, or one without path_regex',
    );
  return rule;
}

export async function wrapFor(ctx: ServiceContext, r: Recipient, payload: Uint8Array): Promise<MasterKey> {
  if (r.kind === 'age') {
    const spec = parseRecipient(r.id);
    return ageWrap(r.id.trim(), await ageRecipientFor(spec), payload);
  }
  if (r.kind === 'pgp') {
    const enc = gpgEncrypt(r.id, payload, ctx.env);
    return { kind: 'pgp', fields: { created_at: `${new Date().toISOString().slice(0, 19)}Z`, enc, fp: r.id } };
  }
  throw new HakoError('E_USAGE', `hako cannot encrypt to ${r.kind} keys`, 'use age or PGP recipients, or sops itself for cloud KMS');
}

function groupsFromRule(rule: CreationRule): { groups: Recipient[][]; skipped: string[] } {
  const skipped: string[] = [];
  const groups = rule.keyGroups.map((g) => {
    for (const o of g.other) skipped.push(`${o.kind} ${o.id}`);
    return [...g.age.map((id) => ({ kind: 'age' as const, id })), ...g.pgp.map((id) => ({ kind: 'pgp' as const, id }))];
  });
  return { groups, skipped };
}

export interface EncryptRequest {
  path: string;
  type?: string;
  outputType?: string;
  age?: string[];
  pgp?: string[];
  rule?: CryptRule;
  shamirThreshold?: number;
  macOnlyEncrypted?: boolean;
  config?: string;
  filenameOverride?: string;
  input?: Buffer;
}

/** `sops encrypt`: the encrypted text (every value gets a new IV; a new data key). */
export async function sopsEncrypt(ctx: ServiceContext, req: EncryptRequest): Promise<string> {
  const kind = storeKindFor(req.filenameOverride ?? req.path, req.type);
  const input = req.input ?? readInput(ctx, req.path);
  let docs: SopsMap[];
  try {
    docs = readPlainFile(input, kind);
  } catch (err) {
    if (err instanceof NotEncryptedError)
      throw new HakoError('E_SOPS_ENCRYPTED', `${req.path}: the file is already encrypted`, 'decrypt it first, or use hako sops edit/set');
    return formatError(req.path, err);
  }
  if (kind !== 'binary' && docs.every((d) => !d.items.some((i) => !isComment(i))) && input.length === 0)
    throw new HakoError('E_FORMAT', `${req.path}: the file is empty`, 'nothing to encrypt');
  const cfg = findSopsConfig(ctx, req.config);
  let groups: Recipient[][];
  let threshold = req.shamirThreshold ?? 0;
  let rule: CryptRule | undefined = req.rule;
  let macOnly = req.macOnlyEncrypted;
  const flagKeys = (req.age?.length ?? 0) + (req.pgp?.length ?? 0) > 0;
  const creation = ruleFor(ctx, cfg, req.path, req.filenameOverride);
  if (flagKeys) {
    groups = [
      [...(req.age ?? []).map((id) => ({ kind: 'age' as const, id })), ...(req.pgp ?? []).map((id) => ({ kind: 'pgp' as const, id }))],
    ];
  } else if (creation) {
    const g = groupsFromRule(creation);
    if (g.skipped.length) ctx.notice(`the creation rule also names keys hako cannot encrypt to, left out: ${g.skipped.join(', ')}`);
    groups = g.groups.filter((x) => x.length);
    threshold = req.shamirThreshold ?? creation.shamirThreshold;
  } else {
    throw new HakoError(
      'E_USAGE',
      'no recipients: give --age (or --pgp), or a .sops.yaml creation rule',
      'for example: hako sops encrypt --age age1… file.yaml',
    );
  }
  if (!groups.length || groups.every((g) => !g.length))
    throw new HakoError('E_USAGE', 'the creation rule has no age or PGP keys', 'add age: recipients to the rule');
  if (!rule && creation) rule = creation.rule ?? undefined;
  if (macOnly === undefined && creation) macOnly = creation.macOnlyEncrypted;
  for (const g of groups) for (const r of g) if (r.kind === 'age') parseRecipient(r.id);
  const dataKey = newDataKey();
  const keyGroups = await wrapDataKey(dataKey, groups, threshold, (r, payload) => wrapFor(ctx, r, payload));
  const md = newMetadata(keyGroups, { rule, shamirThreshold: threshold, macOnlyEncrypted: macOnly });
  if (kind === 'binary') md.rule = req.rule ?? null;
  const indent =
    kind === 'yaml'
      ? (cfg?.config.yamlIndent ?? 4)
      : kind === 'json'
        ? (cfg?.config.jsonIndent ?? '\t')
        : kind === 'binary'
          ? (cfg?.config.jsonBinaryIndent ?? '\t')
          : 0;
  return writeSopsFile({ kind, docs, metadata: md, cipher: new ValueCipher(dataKey), indent });
}

export async function sopsEncryptInPlace(ctx: ServiceContext, req: EncryptRequest): Promise<void> {
  writeBack(ctx, req.path, await sopsEncrypt(ctx, req));
}

// ---- key changes ----

function recipientsOf(md: SopsMetadata): Set<string> {
  return new Set(md.keyGroups.flat().map((k) => `${k.kind}:${masterKeyId(k)}`));
}

/** `sops updatekeys`: the data key stays, rewrapped for the matching rule's keys. */
export async function sopsUpdateKeys(
  ctx: ServiceContext,
  req: { path: string; type?: string; config?: string },
): Promise<{ added: string[]; removed: string[] }> {
  const file = loadSopsFile(ctx, req.path, req.type);
  const cfg = findSopsConfig(ctx, req.config);
  if (!cfg) throw new HakoError('E_USAGE', 'no .sops.yaml found', 'updatekeys reads the keys from the matching creation rule');
  const rule = ruleFor(ctx, cfg, req.path)!;
  const { groups } = groupsFromRule(rule);
  const before = recipientsOf(file.metadata);
  const after = new Set(groups.flat().map((r) => `${r.kind}:${r.id}`));
  // Keys hako cannot make (KMS…) that the file has and the rule still names are kept.
  const kept = file.metadata.keyGroups.flat().filter((k) => k.kind !== 'age' && k.kind !== 'pgp');
  for (const k of kept) after.add(`${k.kind}:${masterKeyId(k)}`);
  const added = [...after].filter((x) => !before.has(x));
  const removed = [...before].filter((x) => !after.has(x));
  const sameGroups = file.metadata.keyGroups.length === Math.max(1, groups.length);
  if (!added.length && !removed.length && sameGroups)
    throw new HakoError('E_SOPS_NOT_MODIFIED', `${req.path}: the keys already match the creation rule`, 'nothing to do');
  const key = await dataKeyOf(ctx, file.metadata, req.path);
  const opened = openWithKey(file, key, req.path, false);
  const existing = new Map(file.metadata.keyGroups.flat().map((k) => [`${k.kind}:${masterKeyId(k)}`, k]));
  const single = groups.length <= 1;
  const recips: Recipient[][] = (groups.length ? groups : [[]]).map((g, i) => [
    ...g.map((r) => ({ ...r, ...(single && existing.has(`${r.kind}:${r.id}`) ? { keep: existing.get(`${r.kind}:${r.id}`)! } : {}) })),
    ...(i === 0 ? kept.map((k) => ({ kind: k.kind, id: masterKeyId(k), keep: k })) : []),
  ]);
  // Keeping an entry is only right when it holds the same payload: one group, same data key.
  const threshold = Math.min(file.metadata.shamirThreshold || rule.shamirThreshold || recips.length, recips.length);
  const keyGroups = await wrapDataKey(key, single ? recips : recips.map((g) => g.map(({ keep: _k, ...r }) => r)), threshold, (r, p) =>
    wrapFor(ctx, r, p),
  );
  const md: SopsMetadata = { ...file.metadata, keyGroups, shamirThreshold: keyGroups.length > 1 ? threshold : 0 };
  const text = writeSopsFile({
    kind: file.store.kind,
    docs: opened.docs,
    metadata: md,
    cipher: opened.cipher,
    original: file.store,
    keysChanged: true,
    keepMac: true,
  });
  writeBack(ctx, req.path, text);
  return { added, removed };
}

/** `sops rotate`: a new data key, every value re-encrypted; --add-age/--rm-age change the keys. */
export async function sopsRotate(
  ctx: ServiceContext,
  req: { path: string; type?: string; addAge?: string[]; rmAge?: string[]; addPgp?: string[]; rmPgp?: string[]; inPlace: boolean },
): Promise<string> {
  const file = loadSopsFile(ctx, req.path, req.type);
  const key = await dataKeyOf(ctx, file.metadata, req.path);
  const opened = openWithKey(file, key, req.path, false);
  const blocked = file.metadata.keyGroups.flat().filter((k) => k.kind !== 'age' && k.kind !== 'pgp');
  if (blocked.length)
    throw new HakoError(
      'E_SOPS_NO_KEY',
      `${req.path}: a new data key must be wrapped for ${blocked.map((k) => `${k.kind} ${shorten(masterKeyId(k))}`).join(', ')}, which hako cannot do`,
      'rotate this file with sops itself',
    );
  const rm = new Set([...(req.rmAge ?? []).map((r) => `age:${parseRecipient(r).canonical}`), ...(req.rmPgp ?? []).map((f) => `pgp:${f}`)]);
  const groups: Recipient[][] = file.metadata.keyGroups.map((g, i) => {
    const out: Recipient[] = g
      .filter((k) => !rm.has(`${k.kind}:${k.kind === 'age' ? (canon(masterKeyId(k)) ?? masterKeyId(k)) : masterKeyId(k)}`))
      .map((k) => ({ kind: k.kind, id: masterKeyId(k) }));
    if (i === 0) {
      for (const a of req.addAge ?? []) out.push({ kind: 'age', id: parseRecipient(a).canonical });
      for (const p of req.addPgp ?? []) out.push({ kind: 'pgp', id: p });
    }
    return out;
  });
  if (groups.every((g) => !g.length)) throw new HakoError('E_USAGE', 'no recipient would be left', 'keep at least one recipient');
  const dataKey = newDataKey();
  const keyGroups = await wrapDataKey(dataKey, groups, file.metadata.shamirThreshold, (r, p) => wrapFor(ctx, r, p));
  const md: SopsMetadata = { ...file.metadata, keyGroups };
  const text = writeSopsFile({
    kind: file.store.kind,
    docs: opened.docs,
    metadata: md,
    cipher: new ValueCipher(dataKey),
    original: file.store,
    keysChanged: true,
  });
  if (req.inPlace) writeBack(ctx, req.path, text);
  return text;
}

function canon(r: string): string | null {
  try {
    return parseRecipient(r).canonical;
  } catch {
    return null;
  }
}

/** Edit through a plaintext round trip (`sops edit`): only changed values get new ciphertext. */
export async function sopsApplyEdit(
  ctx: ServiceContext,
  path: string,
  type: string | undefined,
  edited: Buffer,
  opened: { file: SopsFile; opened: Opened },
): Promise<boolean> {
  const kind = opened.file.store.kind;
  let docs: SopsMap[];
  try {
    docs = readPlainFile(edited, kind);
  } catch (err) {
    if (err instanceof NotEncryptedError) throw new HakoError('E_FORMAT', `${path}: the edited file has a sops key`, 'remove it');
    return formatError(path, err);
  }
  void type;
  const text = writeSopsFile({ kind, docs, metadata: opened.file.metadata, cipher: opened.opened.cipher, original: opened.file.store });
  writeBack(ctx, path, text);
  return true;
}
