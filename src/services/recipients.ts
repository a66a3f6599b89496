/**
 * Per-person access: the environment key wrapped to each person's (or machine's)
 * age recipient in `recipients`, and `.hako/recipients.md` kept in step for reviewers.
 *
 * Adding needs the environment open on this machine and changes one line of secrets.json.
 * Removing is for the future only (the removed person may have copied the key and read
 * values), so it replaces the key: new key id, every value re-encrypted, the new key wrapped
 * for everyone left, and the names returned as a rotation checklist. Removing the last way
 * in (no recipient and no passphrase left) needs `force`. Every check runs before the first
 * write; secrets.json is written under its lock, then recipients.md under its own.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HakoError, isHakoError } from '../core/errors.js';
import { assertEnvName } from '../core/names.js';
import { newEnvironmentKey, newKeyId } from '../core/crypto/random.js';
import { DEFAULT_KDF, deriveKeyFromPassphrase } from '../core/crypto/argon2id.js';
import type { EnvironmentRecord, SecretsFile } from '../core/formats/secrets-file.js';
import {
  encodeRecipientsDoc,
  parseRecipientsDoc,
  RECIPIENTS_DOC_NAME,
  UNSAFE_CELL,
  type RecipientMeta,
  type RecipientRow,
} from '../core/formats/recipients-doc.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { staleLockNotice, withFileLock } from '../core/fs/lock.js';
import { canonicalRecipient, parseRecipient, type RecipientKind } from '../core/keys/age-recipient.js';
import { entriesByRecipient } from '../core/keys/age-identity-source.js';
import { wrapKeyForRecipient } from '../core/keys/recipient-wrap.js';
import { changedMeanwhile, rekeyEnvironment, type NextKey } from './rekey.js';
import { writeKeyFile } from '../core/keys/key-file-source.js';
import { homeLabel, keychainOfKey, storeKeyInKeychain } from './keychain.js';
import {
  assertWritable,
  findProject,
  loadSecretsFile,
  openEnvironment,
  requireEnvironment,
  updateSecretsFile,
  type Project,
} from './project.js';
import { genesisLink } from '../core/trust/key-chain.js';
import type { ServiceContext } from './context.js';
import { pinEnvironment } from './continuity.js';
import { bindingPathFor, boundRecipientsOf, changeBoundKeys } from './sops-env.js';

export interface RecipientLabels {
  name?: string;
  role?: string;
}

export interface AddedRecipient {
  env: string;
  recipient: string;
  kind: RecipientKind;
  doc: string;
}

export async function addRecipient(ctx: ServiceContext, env: string, text: string, labels: RecipientLabels = {}): Promise<AddedRecipient> {
  assertEnvName(env);
  const spec = parseRecipient(text);
  const name = checkLabel(labels.name, 'name', 200);
  const role = checkLabel(labels.role, 'role', 64);
  const project = findProject(ctx);
  const file = loadSecretsFile(project);
  if (requireEnvironment(file, env).sops) return addBoundRecipient(ctx, project, file, env, spec.canonical, spec.kind, name, role);
  if (entriesByRecipient(requireEnvironment(file, env).recipients).has(spec.canonical)) throw alreadyThere(env, spec.canonical);
  readDocMeta(project); // a damaged recipients.md stops us before anything is written
  const opened = await openOrExplain(ctx, file, env, 'adding a recipient');
  assertWritable(env, opened);
  const wrapped = await wrapKeyForRecipient(opened.key, spec.canonical);
  await updateSecretsFile(ctx, project, (f) => {
    const record = requireEnvironment(f, env);
    if (record.keyId !== opened.cipher.keyId) throw changedMeanwhile(env);
    if (entriesByRecipient(record.recipients).has(spec.canonical)) throw alreadyThere(env, spec.canonical);
    record.recipients.set(spec.canonical, wrapped);
    if (record.chain.length === 0) record.chain = [genesisLink(env, record.keyId, opened.key)];
  });
  const update: Partial<RecipientMeta> = { added: today(ctx.env) };
  if (name !== undefined) update.name = name;
  if (role !== undefined) update.role = role;
  const doc = await syncRecipientsDoc(ctx, project, new Map([[spec.canonical, update]]));
  return { env, recipient: spec.canonical, kind: spec.kind, doc };
}

export interface RemoveOptions {
  /** Remove even when no recipient and no passphrase would be left. */
  force?: boolean;
  /** Derive the new key from this (new) passphrase. */
  passphrase?: string;
  /** Switch a passphrase environment to a random key. */
  random?: boolean;
}

export interface RemovedRecipient {
  env: string;
  recipient: string;
  oldKeyId: string;
  newKeyId: string;
  /** Every secret name of the environment: the rotation checklist. */
  names: string[];
  remaining: number;
  /** The key file written for the new key on this machine, if any. */
  keyFile: string | null;
  doc: string;
}

export async function removeRecipient(ctx: ServiceContext, env: string, text: string, opts: RemoveOptions = {}): Promise<RemovedRecipient> {
  assertEnvName(env);
  const project = findProject(ctx);
  const file = loadSecretsFile(project);
  const record = requireEnvironment(file, env);
  if (record.sops) return removeBoundRecipient(ctx, project, file, env, text);
  const stored = findStored(record, text);
  if (stored === null) {
    throw new HakoError(
      'E_NO_RECIPIENT',
      `that recipient has no access to environment '${env}'`,
      `list who has: hako recipients ls --env ${env}`,
    );
  }
  if (record.passphrase && opts.passphrase === undefined && !opts.random) {
    throw new HakoError(
      'E_USAGE',
      `environment '${env}' uses a passphrase, and removing a recipient replaces its key`,
      'give --passphrase to derive the new key from a new passphrase, or --random to switch to a random key',
    );
  }
  const remaining = [...record.recipients.keys()].filter((r) => r !== stored);
  const passphraseLeft = opts.passphrase !== undefined;
  if (remaining.length === 0 && !passphraseLeft && !opts.force) {
    throw new HakoError(
      'E_USAGE',
      `removing the last recipient of '${env}' would leave no way in but a key file on this machine`,
      `add the recipient who takes over first (hako recipients add … --env ${env}), or pass --force and share the new key yourself (hako key export --env ${env})`,
    );
  }
  readDocMeta(project);
  const old = await openOrExplain(ctx, file, env, 'removing a recipient');
  assertWritable(env, old);

  const keyId = newKeyId();
  const next: NextKey = {
    keyId,
    key: passphraseLeft ? await deriveKeyFromPassphrase(opts.passphrase!, keyId, record.passphrase ?? DEFAULT_KDF) : newEnvironmentKey(),
  };
  if (passphraseLeft) next.passphrase = record.passphrase ?? DEFAULT_KDF;
  // This machine keeps its way in if it came by key file or keychain; with nobody else left it must.
  const keychain = old.kind === 'keychain' ? await keychainOfKey(ctx, old.cipher.keyId) : null;
  const needsKeyFile = !keychain && (old.kind === 'key-file' || (remaining.length === 0 && !passphraseLeft));
  // Saved before secrets.json is written: never a lost key.
  let keyFile: string | null = null;
  if (keychain?.kind === 'keychain') {
    await storeKeyInKeychain(ctx, keychain.keychain, env, keyId, next.key);
    keyFile = homeLabel(keychain, keyId, ctx.env);
  } else if (needsKeyFile) keyFile = writeKeyFile(keyId, next.key, ctx.env);
  const names = await rekeyEnvironment(ctx, project, env, old, record, next, remaining);
  const doc = await syncRecipientsDoc(ctx, project, new Map());
  return {
    env,
    recipient: canonicalRecipient(stored) ?? stored,
    oldKeyId: old.cipher.keyId,
    newKeyId: keyId,
    names,
    remaining: remaining.length,
    keyFile,
    doc,
  };
}

export interface RecipientListing extends RecipientRow {
  kind: RecipientKind | 'unknown';
}

/** Everyone with a recipients entry (in `env` only, when given), with their labels. */
export function listRecipients(ctx: ServiceContext, env?: string): RecipientListing[] {
  const project = findProject(ctx);
  const file = loadSecretsFile(project);
  if (env !== undefined) requireEnvironment(file, assertEnvName(env));
  const rows = recipientRows(project, file, readDocMeta(project));
  return rows
    .filter((r) => env === undefined || r.environments.includes(env))
    .map((r) => {
      let kind: RecipientListing['kind'] = 'unknown';
      try {
        kind = parseRecipient(r.recipient).kind;
      } catch {
        kind = 'unknown';
      }
      return { ...r, kind };
    });
}

// ---------------------------------------------------------------- recipients.md

function docPath(project: Project): string {
  return join(project.root, RECIPIENTS_DOC_NAME);
}

function readDocMeta(project: Project): Map<string, RecipientMeta> {
  const path = docPath(project);
  if (!existsSync(path)) return new Map();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HakoError(
      'E_IO',
      `cannot read ${RECIPIENTS_DOC_NAME}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      'check the file is readable',
    );
  }
  return parseRecipientsDoc(text);
}

/**
 * What `.hako/recipients.md` should hold for `file`, keeping the labels of `currentDoc`
 * (its text, or null when there is none); null when no file is needed (no recipients, no doc).
 * A doc that does not parse is compared as if it had no labels.
 */
export function expectedRecipientsDoc(project: Project, file: SecretsFile, currentDoc: string | null): string | null {
  let meta = new Map<string, RecipientMeta>();
  if (currentDoc !== null) {
    try {
      meta = parseRecipientsDoc(currentDoc);
    } catch {
      meta = new Map();
    }
  }
  const rows = recipientRows(project, file, meta);
  if (rows.length === 0 && currentDoc === null) return null;
  return encodeRecipientsDoc(rows);
}

/** One row per recipient (by canonical spelling) of any environment, sorted. */
function recipientRows(project: Project, file: SecretsFile, meta: Map<string, RecipientMeta>): RecipientRow[] {
  const rows = new Map<string, RecipientRow>();
  for (const [env, record] of file.environments) {
    for (const r of record.sops ? boundRecipientsOf(project, env, record) : record.recipients.keys()) {
      const c = canonicalRecipient(r) ?? r;
      let row = rows.get(c);
      if (!row) {
        row = { recipient: c, name: '', role: '', added: '', ...meta.get(c), environments: [] };
        rows.set(c, row);
      }
      row.environments.push(env);
    }
  }
  for (const row of rows.values()) row.environments.sort();
  return [...rows.values()].sort((a, b) => (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0));
}

/**
 * Rewrites recipients.md from the freshest secrets.json and the labels it holds, applying
 * `updates` (a date only fills an empty Added cell). Under its own lock, so concurrent
 * writers end with a file that matches secrets.json. Returns its path.
 */
async function syncRecipientsDoc(ctx: ServiceContext, project: Project, updates: Map<string, Partial<RecipientMeta>>): Promise<string> {
  const path = docPath(project);
  await withFileLock(
    path,
    () => {
      const file = loadSecretsFile(project);
      const rows = recipientRows(project, file, readDocMeta(project));
      for (const row of rows) {
        const u = updates.get(row.recipient);
        if (!u) continue;
        if (u.name !== undefined) row.name = u.name;
        if (u.role !== undefined) row.role = u.role;
        if (u.added !== undefined && row.added === '') row.added = u.added;
      }
      writeDoc(path, rows);
      // A SOPS file's folder gets its own recipients.md, for the environments bound to files there.
      const byDir = new Map<string, Set<string>>();
      for (const [env, record] of file.environments) {
        if (!record.sops) continue;
        const dir = dirname(join(project.root, record.sops.path));
        if (!byDir.has(dir)) byDir.set(dir, new Set());
        byDir.get(dir)!.add(env);
      }
      for (const [dir, envs] of byDir) {
        const here = rows
          .map((r) => ({ ...r, environments: r.environments.filter((e) => envs.has(e)) }))
          .filter((r) => r.environments.length > 0);
        writeDoc(join(dir, 'recipients.md'), here);
      }
    },
    { onStaleLock: (info) => ctx.notice(staleLockNotice(info)) },
  );
  return path;
}

/** Rewrites `.hako/recipients.md` and the ones beside SOPS files from the current recipients. */
export async function refreshRecipientsDocs(ctx: ServiceContext, project: Project): Promise<void> {
  await syncRecipientsDoc(ctx, project, new Map());
}

function writeDoc(path: string, rows: RecipientRow[]): void {
  const exists = existsSync(path);
  if (rows.length === 0 && !exists) return;
  const text = encodeRecipientsDoc(rows);
  if (exists && readFileSync(path, 'utf8') === text) return;
  writeFileAtomic(path, text, { mode: 0o644 });
}

// ---------------------------------------------------------------- SOPS-bound environments

/** Writes a change of a SOPS binding (a rotation's new key id and chain link) and trusts it here. */
export async function updateBinding(
  ctx: ServiceContext,
  project: Project,
  env: string,
  apply: (r: EnvironmentRecord) => void,
): Promise<void> {
  await updateSecretsFile(ctx, project, (f) => apply(requireEnvironment(f, env)));
  const record = loadSecretsFile(project).environments.get(env);
  if (record) await pinEnvironment(ctx, project, env, record);
}

/**
 * The hako environment bound to the SOPS file at `path` (as given on a command line), or null
 * when there is no project or no binding for it.
 */
export function environmentBoundTo(ctx: ServiceContext, path: string): { project: Project; env: string } | null {
  let project: Project;
  try {
    project = findProject(ctx);
  } catch {
    return null;
  }
  let rel: string;
  try {
    rel = bindingPathFor(ctx, project, path, 'file');
  } catch {
    return null;
  }
  for (const [env, record] of loadSecretsFile(project).environments) if (record.sops?.path === rel) return { project, env };
  return null;
}

/** `hako sops rotate -i` on a bound file: a new data key with its chain link (and recipient changes). */
export async function rotateBoundFile(
  ctx: ServiceContext,
  at: { project: Project; env: string },
  change: { addAge?: string[]; rmAge?: string[] },
): Promise<{ oldKeyId: string; newKeyId: string; names: string[] }> {
  const file = loadSecretsFile(at.project);
  const record = requireEnvironment(file, at.env);
  const old = await openOrExplain(ctx, file, at.env, 'rotating the data key');
  assertWritable(at.env, old);
  const r = await changeBoundKeys(
    ctx,
    at.project,
    at.env,
    { key: old.key, keyId: old.cipher.keyId },
    record,
    { ...change, rotate: true },
    (apply) => updateBinding(ctx, at.project, at.env, apply),
  );
  await syncRecipientsDoc(ctx, at.project, new Map());
  return { oldKeyId: r.oldKeyId, newKeyId: r.newKeyId, names: r.names };
}

async function addBoundRecipient(
  ctx: ServiceContext,
  project: Project,
  file: SecretsFile,
  env: string,
  recipient: string,
  kind: RecipientKind,
  name: string | undefined,
  role: string | undefined,
): Promise<AddedRecipient> {
  const record = requireEnvironment(file, env);
  readDocMeta(project);
  const opened = await openOrExplain(ctx, file, env, 'adding a recipient');
  assertWritable(env, opened);
  await changeBoundKeys(
    ctx,
    project,
    env,
    { key: opened.key, keyId: opened.cipher.keyId },
    record,
    { addAge: [recipient], rotate: false },
    (apply) => updateBinding(ctx, project, env, apply),
  );
  const update: Partial<RecipientMeta> = { added: today(ctx.env) };
  if (name !== undefined) update.name = name;
  if (role !== undefined) update.role = role;
  const doc = await syncRecipientsDoc(ctx, project, new Map([[recipient, update]]));
  return { env, recipient, kind, doc };
}

async function removeBoundRecipient(
  ctx: ServiceContext,
  project: Project,
  file: SecretsFile,
  env: string,
  text: string,
): Promise<RemovedRecipient> {
  const record = requireEnvironment(file, env);
  const want = canonicalRecipient(text) ?? text.trim();
  if (!boundRecipientsOf(project, env, record).includes(want)) {
    throw new HakoError(
      'E_NO_RECIPIENT',
      `that recipient has no access to environment '${env}'`,
      `list who has: hako recipients ls --env ${env}`,
    );
  }
  readDocMeta(project);
  const old = await openOrExplain(ctx, file, env, 'removing a recipient');
  assertWritable(env, old);
  const r = await changeBoundKeys(
    ctx,
    project,
    env,
    { key: old.key, keyId: old.cipher.keyId },
    record,
    { rmAge: [want], rotate: true },
    (apply) => updateBinding(ctx, project, env, apply),
  );
  const doc = await syncRecipientsDoc(ctx, project, new Map());
  return {
    env,
    recipient: want,
    oldKeyId: r.oldKeyId,
    newKeyId: r.newKeyId,
    names: r.names,
    remaining: r.recipients.length,
    keyFile: null,
    doc,
  };
}

// ---------------------------------------------------------------- helpers

function findStored(record: EnvironmentRecord, text: string): string | null {
  const want = canonicalRecipient(text) ?? text.trim();
  for (const r of record.recipients.keys()) if ((canonicalRecipient(r) ?? r) === want) return r;
  return null;
}

function checkLabel(value: string | undefined, what: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v.length > max || UNSAFE_CELL.test(v)) {
    throw new HakoError(
      'E_USAGE',
      `the ${what} must be one line of at most ${max} characters`,
      `e.g. --name "Ravi <ravi@example.com>" --role engineer`,
    );
  }
  return v;
}

function today(env: NodeJS.ProcessEnv): string {
  const epoch = env['SOURCE_DATE_EPOCH'];
  const ms = epoch && /^\d{1,12}$/.test(epoch) ? Number(epoch) * 1000 : Date.now();
  return new Date(ms).toISOString().slice(0, 10);
}

async function openOrExplain(ctx: ServiceContext, file: SecretsFile, env: string, doing: string) {
  try {
    return await openEnvironment(ctx, findProject(ctx), file, env);
  } catch (err) {
    if (isHakoError(err) && err.code === 'E_NO_KEY') {
      throw new HakoError('E_NO_KEY', `${doing} needs the key of '${env}' on this machine: ${err.message}`, err.hint);
    }
    throw err;
  }
}

function alreadyThere(env: string, recipient: string): HakoError {
  return new HakoError(
    'E_EXISTS',
    `${recipient.slice(0, 24)}… already has access to environment '${env}'`,
    `nothing was changed; list recipients with hako recipients ls --env ${env}`,
  );
}
