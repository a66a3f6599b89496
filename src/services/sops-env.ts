/**
 * Environments bound to a SOPS file: the values live in the SOPS file (encrypted by sops's
 * rules, readable by sops), `.hako/secrets.json` holds the binding: the file's path, the key
 * id derived from its data key, the key chain and per-secret metadata.
 *
 * Opening one reads the file, opens its data key with this machine's age identities (as sops
 * finds them) or gpg, checks the MAC (fail closed: a mismatch opens nothing), and checks that
 * the data key is the one the binding names: a file whose data key changed without a chain
 * link signed by the previous one is refused like a forged native environment. Then the
 * same continuity rules as for native environments apply (pins, git history, anchors).
 *
 * Writes go through the SOPS codec so the file stays sops's: unchanged values keep their
 * ciphertext, only changed lines, `mac` and `lastmodified` move.
 */
import { existsSync, lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { HakoError, isHakoError } from '../core/errors.js';
import { EnvironmentCipher } from '../core/crypto/environment-cipher.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { staleLockNotice, withFileLock } from '../core/fs/lock.js';
import { isSafeRelativePath, newEnvironmentRecord, type EnvironmentRecord, type SecretsFile } from '../core/formats/secrets-file.js';
import { metaText } from '../core/formats/secret-meta.js';
import { boundKeys, sameTag, sopsKeyId, sopsMetaTag } from '../core/sops/binding.js';
import {
  MacMismatchError,
  NotEncryptedError,
  openSopsFile,
  readSopsFile,
  valueToString,
  writeSopsFile,
  type Opened,
  type SopsFile,
} from '../core/sops/sops-file.js';
import { storeForPath, StoreError } from '../core/sops/store.js';
import { SopsDecryptError } from '../core/sops/tree-crypt.js';
import { MetadataError } from '../core/sops/metadata.js';
import type { SopsMap } from '../core/sops/tree.js';
import { genesisLink, successorLink } from '../core/trust/key-chain.js';
import { checkContinuity } from './continuity.js';
import { dataKeyOf, wrapFor } from './sops.js';
import type { YAMLMap } from 'yaml';
import { yamlLibrary } from '../core/sops/yaml-library.js';
import { canonicalRecipient, parseRecipient } from '../core/keys/age-recipient.js';
import { matchCreationRule, parseSopsConfig } from '../core/sops/config.js';
import { newDataKey, wrapDataKey, type Recipient } from '../core/sops/data-key.js';
import { masterKeyId, type MasterKey } from '../core/sops/metadata.js';
import { ValueCipher } from '../core/sops/value-cipher.js';
import type { ServiceContext } from './context.js';
import type { OpenEnvironmentResult, Project } from './project.js';

/** Where a record's SOPS file is, checked to stay inside the repository (no `..`, no symlink out). */
export function boundFilePath(project: Project, rel: string, env: string): string {
  if (!isSafeRelativePath(rel)) throw outside(env, rel);
  const abs = join(project.root, rel);
  // Every existing part of the path must resolve inside the root.
  let probe = abs;
  while (!existsSync(probe) && probe !== project.root) probe = dirname(probe);
  const real = realpathSync(probe);
  if (real !== project.root && !real.startsWith(project.root + sep)) throw outside(env, rel);
  if (existsSync(abs) && lstatSync(abs).isSymbolicLink()) {
    const target = realpathSync(abs);
    if (!target.startsWith(project.root + sep)) throw outside(env, rel);
  }
  return abs;
}

function outside(env: string, rel: string): HakoError {
  return new HakoError(
    'E_UNSAFE_PROJECT',
    `environment '${env}' is bound to ${JSON.stringify(rel.slice(0, 200))}, which is not a file inside the repository`,
    'a SOPS-bound environment must name a file inside the repository (no "..", no symbolic link out of it)',
  );
}

export interface BoundFile {
  abs: string;
  rel: string;
  file: SopsFile;
  text: string;
}

/** The last parse of each bound file in this process (a listing and an open read the same bytes). */
const parsed = new Map<string, BoundFile>();

export function readBoundFile(project: Project, env: string, rel: string): BoundFile {
  const abs = boundFilePath(project, rel, env);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new HakoError(
      'E_SOPS_NO_FILE',
      `environment '${env}' is bound to ${rel}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      'restore the file (git checkout), or remove the binding with hako env rm',
    );
  }
  const cached = parsed.get(abs);
  if (cached && cached.text === text && cached.rel === rel) return cached;
  try {
    const bound = { abs, rel, file: readSopsFile(text, storeForPath(rel)), text };
    parsed.set(abs, bound);
    return bound;
  } catch (err) {
    if (err instanceof NotEncryptedError || err instanceof StoreError || err instanceof MetadataError)
      throw new HakoError('E_FORMAT', `${rel}: ${err.message}`, 'the file is not one sops wrote, or it was damaged; restore it from git');
    throw err;
  }
}

/** The secret names of a bound file, read without any key (keys are plaintext in SOPS files); null when it cannot be read. */
export function boundNamesOf(project: Project, env: string, record: EnvironmentRecord): string[] | null {
  try {
    return [...boundKeys(readBoundFile(project, env, record.sops!.path).file.store.docs).secrets.keys()];
  } catch {
    return null;
  }
}

/** Placeholder for a value not opened yet: not a token, so opening it fails closed. */
const UNOPENED = 'sops:unopened';

/** Gives every SOPS-bound record of a loaded file its names (for listings), without opening anything. */
export function fillBoundNames(project: Project, file: SecretsFile): void {
  for (const [env, record] of file.environments) {
    if (!record.sops || record.secrets.size) continue;
    for (const name of boundNamesOf(project, env, record) ?? []) record.secrets.set(name, UNOPENED);
  }
}

export interface OpenedBinding {
  bound: BoundFile;
  dataKey: Buffer;
  keyId: string;
  opened: Opened;
  /** name → value, file order. */
  values: Map<string, string>;
  /** Top-level keys that are not secrets. */
  other: string[];
}

/** Opens a bound file with `dataKey`: the MAC must match (fail closed). */
export function openBoundWithKey(env: string, bound: BoundFile, dataKey: Buffer): OpenedBinding {
  let opened: Opened;
  try {
    opened = openSopsFile(bound.file, dataKey);
  } catch (err) {
    if (err instanceof MacMismatchError || err instanceof SopsDecryptError)
      throw new HakoError(
        'E_TAMPERED',
        `environment '${env}': ${bound.rel} failed authentication (${err instanceof MacMismatchError ? err.message : `the value at ${err.path.join('.') || '(top)'} ${err.message}`}); nothing was opened`,
        `the file was changed without its data key; restore it from git (git log -p ${bound.rel}) and ask who changed it`,
      );
    throw err;
  }
  const keys = boundKeys(opened.docs);
  const values = new Map<string, string>();
  for (const [name, v] of keys.secrets) values.set(name, valueToString(v));
  return { bound, dataKey, keyId: sopsKeyId(dataKey), opened, values, other: keys.other };
}

async function openDataKey(ctx: ServiceContext, bound: BoundFile): Promise<Buffer> {
  try {
    return Buffer.from(await dataKeyOf(ctx, bound.file.metadata, bound.rel));
  } catch (err) {
    if (isHakoError(err) && err.code === 'E_SOPS_NO_KEY') throw new HakoError('E_NO_KEY', err.message, err.hint);
    throw err;
  }
}

/** Opens the bound file of `env` and checks its data key is the binding's and its metadata tags. */
export async function openBinding(ctx: ServiceContext, project: Project, env: string, record: EnvironmentRecord): Promise<OpenedBinding> {
  const bound = readBoundFile(project, env, record.sops!.path);
  const dataKey = await openDataKey(ctx, bound);
  const keyId = sopsKeyId(dataKey);
  if (keyId !== record.keyId) throw dataKeyChanged(env, bound.rel, record.keyId, keyId);
  const ob = openBoundWithKey(env, bound, dataKey);
  checkTags(env, record, dataKey);
  return ob;
}

function dataKeyChanged(env: string, rel: string, bound: string, now: string): HakoError {
  return new HakoError(
    'E_KEY_CHANGED',
    `environment '${env}': the data key of ${rel} changed without a proof (the binding names key ${bound}, the file now has key ${now})`,
    `restore the file from git (git log -p ${rel}) and ask who replaced it; rotate a SOPS environment with hako (hako key rotate --env ${env}, hako sops rotate, hako recipients rm), which signs the change`,
  );
}

function checkTags(env: string, record: EnvironmentRecord, dataKey: Buffer): void {
  for (const [name, meta] of record.meta) {
    const tag = record.sops!.tags.get(name) ?? '';
    if (!sameTag(tag, sopsMetaTag(dataKey, env, record.keyId, name, metaText(meta))))
      throw new HakoError(
        'E_TAMPERED',
        `the metadata (expires/rotate_every) of ${name} in environment '${env}' failed authentication: it was edited without the data key`,
        `restore .hako/secrets.json from git, or set it again: hako set ${name} --env ${env}`,
      );
  }
}

/**
 * openEnvironment for a SOPS-bound record: the data key must be the binding's, its signer the
 * chain's last link's, and the chain one this machine accepts. The record's `secrets` are
 * filled with values sealed under the data key, so every reader of opened environments
 * (run, export, get, push) works on it unchanged.
 */
export async function openSopsEnvironment(
  ctx: ServiceContext,
  project: Project,
  env: string,
  record: EnvironmentRecord,
): Promise<OpenEnvironmentResult> {
  const ob = await openBinding(ctx, project, env, record);
  const trust = await checkContinuity(
    ctx,
    project,
    env,
    record,
    { key: ob.dataKey, label: `the SOPS file ${ob.bound.rel}`, explicitHead: false },
    null,
  );
  const cipher = new EnvironmentCipher(env, record.keyId, ob.dataKey);
  record.secrets.clear();
  for (const [name, value] of ob.values) record.secrets.set(name, cipher.seal(name, value, metaText(record.meta.get(name))));
  return { cipher, key: ob.dataKey, kind: 'age-identity', label: `SOPS file ${ob.bound.rel}`, trust };
}

/** The lock that serialises writes to one bound file (beside secrets.json's, ignored by git like it). */
function lockTarget(project: Project, env: string): string {
  return join(project.root, '.hako', `sops-${env}`);
}

/**
 * Changes the values of a bound file under its lock: the file is read again, must still
 * open with `dataKey` (else it changed meanwhile), and is written only when `change` returns
 * new documents. Returns what `change` returned.
 */
export async function updateBoundFile<T>(
  ctx: ServiceContext,
  project: Project,
  env: string,
  rel: string,
  dataKey: Buffer,
  change: (ob: OpenedBinding) => { docs: SopsMap[] | null; result: T },
): Promise<T> {
  return withFileLock(
    lockTarget(project, env),
    () => {
      const bound = readBoundFile(project, env, rel);
      if (!sameDataKeyWraps(bound, dataKey)) throw changedMeanwhile(env, rel);
      const ob = openBoundWithKey(env, bound, dataKey);
      const { docs, result } = change(ob);
      if (docs) {
        const text = writeSopsFile({
          kind: bound.file.store.kind,
          docs,
          metadata: bound.file.metadata,
          cipher: ob.opened.cipher,
          original: bound.file.store,
        });
        writeFileAtomic(bound.abs, text, { mode: statSync(bound.abs).mode & 0o777 });
      }
      return result;
    },
    { onStaleLock: (info) => ctx.notice(staleLockNotice(info)) },
  );
}

/** Whether the file read again still uses `dataKey`: its MAC opens with it. */
function sameDataKeyWraps(bound: BoundFile, dataKey: Buffer): boolean {
  try {
    openSopsFile(bound.file, dataKey);
    return true;
  } catch {
    return false;
  }
}

function changedMeanwhile(env: string, rel: string): HakoError {
  return new HakoError(
    'E_KEY_CHANGED',
    `environment '${env}': ${rel} changed its data key meanwhile; nothing was written`,
    'run the command again',
  );
}

/** A path given on the command line → the path relative to the project root, checked to stay inside. */
export function bindingPathFor(ctx: ServiceContext, project: Project, path: string, env: string): string {
  const abs = isAbsolute(path) ? path : resolve(ctx.cwd, path);
  let dir = dirname(abs);
  while (!existsSync(dir)) dir = dirname(dir);
  const realDir = realpathSync(dir);
  const rel = relative(project.root, join(realDir, relative(dir, abs)))
    .split(sep)
    .join('/');
  if (!isSafeRelativePath(rel)) throw outside(env, path);
  boundFilePath(project, rel, env);
  return rel;
}

/** The record binding `env` to the SOPS file `rel` with data key `dataKey` (a new chain). */
export function newBindingRecord(env: string, rel: string, dataKey: Buffer): EnvironmentRecord {
  const keyId = sopsKeyId(dataKey);
  const record = newEnvironmentRecord(keyId, '', [genesisLink(env, keyId, dataKey)]);
  record.sops = { path: rel, tags: new Map() };
  return record;
}

/** Moves a binding to a new data key: the link is signed by the old one; metadata tags are made again. */
export function rebindRecord(env: string, record: EnvironmentRecord, oldKey: Buffer, newKey: Buffer): void {
  const keyId = sopsKeyId(newKey);
  record.chain = [...record.chain, successorLink(env, { keyId: record.keyId, key: oldKey }, { keyId, key: newKey })];
  record.keyId = keyId;
  retag(env, record, newKey);
}

export function retag(env: string, record: EnvironmentRecord, dataKey: Buffer): void {
  const tags = new Map<string, string>();
  for (const [name, meta] of record.meta) tags.set(name, sopsMetaTag(dataKey, env, record.keyId, name, metaText(meta)));
  record.sops!.tags = tags;
}

// ---------------------------------------------------------------- recipients and rotation

/** The age recipients of a bound file (every key group), canonical where they parse. */
export function boundRecipientsOf(project: Project, env: string, record: EnvironmentRecord): string[] {
  try {
    const md = readBoundFile(project, env, record.sops!.path).file.metadata;
    return md.keyGroups
      .flat()
      .filter((k) => k.kind === 'age')
      .map((k) => canonicalRecipient(masterKeyId(k)) ?? masterKeyId(k));
  } catch {
    return [];
  }
}

export interface BoundKeyChange {
  /** age recipients to add (canonical). */
  addAge?: string[];
  /** age recipients to remove (canonical). */
  rmAge?: string[];
  /** A new data key: every value re-encrypted, the chain extended. Without it the data key is rewrapped (add only). */
  rotate: boolean;
}

export interface BoundKeyResult {
  oldKeyId: string;
  newKeyId: string;
  recipients: string[];
  names: string[];
  /** The .sops.yaml that was updated or written, if any. */
  config: string | null;
}

/**
 * Changes who can open a bound file, or its data key. Adding only rewraps the same data key
 * for the new recipient (only the key entries change, as `sops updatekeys`); removing, or a
 * rotation, makes a new data key, re-encrypts every value (as `sops rotate`) and extends the
 * binding's key chain with a link signed by the old data key, so every machine accepts the
 * new key as a proven rotation. The matching `.sops.yaml` rule is kept in step.
 */
export async function changeBoundKeys(
  ctx: ServiceContext,
  project: Project,
  env: string,
  opened: { key: Buffer; keyId: string },
  record: EnvironmentRecord,
  change: BoundKeyChange,
  updateBinding: (apply: (r: EnvironmentRecord) => void) => Promise<void>,
): Promise<BoundKeyResult> {
  const rel = record.sops!.path;
  const oldKey = opened.key;
  const add = (change.addAge ?? []).map((r) => parseRecipient(r).canonical);
  const rm = new Set((change.rmAge ?? []).map((r) => canonicalRecipient(r) ?? r.trim()));
  let newKey: Buffer = oldKey;
  const out = await withFileLock(
    lockTarget(project, env),
    async () => {
      const bound = readBoundFile(project, env, rel);
      if (!sameDataKeyWraps(bound, oldKey)) throw changedMeanwhile(env, rel);
      const ob = openBoundWithKey(env, bound, oldKey);
      const md = bound.file.metadata;
      const canon = (k: MasterKey) =>
        k.kind === 'age' ? (canonicalRecipient(masterKeyId(k)) ?? masterKeyId(k)) : `${k.kind}:${masterKeyId(k)}`;
      const present = new Set(md.keyGroups.flat().map(canon));
      for (const r of add)
        if (present.has(r)) throw new HakoError('E_EXISTS', `${r.slice(0, 24)}… already opens ${rel}`, 'nothing was changed');
      for (const r of rm)
        if (!present.has(r))
          throw new HakoError('E_NO_RECIPIENT', `that recipient is not in ${rel}`, `list who is: hako recipients ls --env ${env}`);
      const rotate = change.rotate || rm.size > 0;
      const others = md.keyGroups.flat().filter((k) => k.kind !== 'age' && k.kind !== 'pgp');
      if (rotate && others.length)
        throw new HakoError(
          'E_SOPS_NO_KEY',
          `${rel}: a new data key must be wrapped for ${others.map((k) => k.kind).join(', ')} keys, which hako cannot do`,
          'rotate this file with sops itself',
        );
      if (md.keyGroups.length > 1 && add.length)
        throw new HakoError(
          'E_USAGE',
          `${rel} splits its data key over ${md.keyGroups.length} key groups`,
          'add recipients to a group with sops updatekeys',
        );
      const groups: Recipient[][] = md.keyGroups.map((g, i) => {
        const kept: Recipient[] = g
          .filter((k) => !rm.has(canon(k)))
          .map((k) => ({ kind: k.kind, id: masterKeyId(k), ...(rotate ? {} : { keep: k }) }));
        if (i === 0) for (const r of add) kept.push({ kind: 'age', id: r });
        return kept;
      });
      if (groups.some((g) => g.length === 0))
        throw new HakoError(
          'E_USAGE',
          `removing it would leave a key group of ${rel} without any key`,
          `add the recipient who takes over first (hako recipients add … --env ${env})`,
        );
      newKey = rotate ? Buffer.from(newDataKey()) : oldKey;
      const keyGroups = await wrapDataKey(newKey, groups, md.shamirThreshold, (r, p) => wrapFor(ctx, r, p));
      const text = writeSopsFile({
        kind: bound.file.store.kind,
        docs: ob.opened.docs,
        metadata: { ...md, keyGroups },
        cipher: rotate ? new ValueCipher(newKey) : ob.opened.cipher,
        original: bound.file.store,
        keysChanged: true,
        keepMac: !rotate,
      });
      const recipients = keyGroups
        .flat()
        .filter((k) => k.kind === 'age')
        .map(canon);
      // The file first (it is what holds the new key), the binding right after.
      writeFileAtomic(bound.abs, text, { mode: statSync(bound.abs).mode & 0o777 });
      return { recipients, names: [...ob.values.keys()].sort(), rotate };
    },
    { onStaleLock: (info) => ctx.notice(staleLockNotice(info)) },
  );
  if (out.rotate) {
    await updateBinding((r) => {
      if (r.keyId !== opened.keyId) throw changedMeanwhile(env, rel);
      rebindRecord(env, r, oldKey, newKey);
    });
  }
  const config = syncSopsConfig(project, join(project.root, rel), add, [...rm]);
  return { oldKeyId: opened.keyId, newKeyId: sopsKeyId(newKey), recipients: out.recipients, names: out.names, config };
}

/**
 * Keeps `.sops.yaml` in step with a recipient change: the rule that matches the file (found
 * from the file's folder upwards, as sops run there finds it) gets the recipients added to
 * and removed from its `age` keys (its first key group's, for `key_groups`). Without any
 * `.sops.yaml` nothing is written; a config with no matching rule is left as it is.
 * Returns the config's path when it changed.
 */
export function syncSopsConfig(project: Project, abs: string, add: string[], rm: string[]): string | null {
  if (!add.length && !rm.length) return null;
  let dir = dirname(abs);
  let path: string | null = null;
  for (;;) {
    const p = join(dir, '.sops.yaml');
    if (existsSync(p)) {
      path = p;
      break;
    }
    if (dir === project.root || dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  if (!path) return null;
  const text = readFileSync(path, 'utf8');
  const rule = matchCreationRule(parseSopsConfig(text), dirname(path), abs);
  if (!rule) return null;
  const { parseDocument, isMap: isYamlMap, isScalar, isSeq } = yamlLibrary();
  const doc = parseDocument(text);
  const node = doc.getIn(['creation_rules', rule.index]) as YAMLMap | undefined;
  if (!isYamlMap(node)) return null;
  const where: (string | number)[] = node.has('key_groups') ? ['key_groups', 0, 'age'] : ['age'];
  const current = node.getIn(where, true) as unknown;
  const before =
    isScalar(current) && typeof current.value === 'string'
      ? current.value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : isSeq(current)
        ? current.items.map((i) => String(isScalar(i) ? i.value : i).trim())
        : [];
  const drop = new Set(rm);
  const next = before.filter((r) => !drop.has(canonicalRecipient(r) ?? r));
  for (const r of add) if (!next.some((x) => (canonicalRecipient(x) ?? x) === r)) next.push(r);
  if (next.join(',') === before.join(',')) return null;
  if (isSeq(current) || next.length === 0) node.setIn(where, doc.createNode(next));
  else node.setIn(where, next.join(','));
  writeFileAtomic(path, doc.toString({ lineWidth: 0 }), { mode: statSync(path).mode & 0o777 });
  return path;
}
