/**
 * Secret values: set, get, remove, list, and the whole-environment views that import,
 * export and edit build on. A value that did not change keeps its exact ciphertext, so
 * writing the same value again leaves the file byte-identical and git shows nothing.
 */
import { HakoError } from '../core/errors.js';
import { assertEnvName, assertSecretName, SECRET_NAME } from '../core/names.js';
import { displayName } from '../core/display.js';
import { SOPS_SECRET_NAME } from '../core/sops/binding.js';
import { newMap } from '../core/sops/tree.js';
import { setValue, unsetValue } from './sops.js';
import { retag, updateBoundFile } from './sops-env.js';
import { EnvironmentCipher } from '../core/crypto/environment-cipher.js';
import type { EnvironmentRecord, SecretsFile } from '../core/formats/secrets-file.js';
import { addDays, isEmptyMeta, isIsoDate, isPeriod, metaText, periodDays, type SecretMeta } from '../core/formats/secret-meta.js';
import { genesisLink } from '../core/trust/key-chain.js';
import { pinEnvironment } from './continuity.js';
import {
  assertWritable,
  findProject,
  loadSecretsFile,
  openEnvironment,
  requireEnvironment,
  updateSecretsFile,
  type Project,
} from './project.js';
import type { ServiceContext } from './context.js';
import { probeAccess, type Access } from './environments.js';

export const DEFAULT_ENV = 'development';

export function defaultEnv(ctx: ServiceContext, flag?: string): string {
  return assertEnvName(flag ?? (ctx.env['HAKO_ENV'] || DEFAULT_ENV));
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Turns input bytes into a value hako can store and deliver, or refuses them. */
export function valueFromBytes(bytes: Uint8Array, name: string): string {
  let value: string;
  try {
    value = UTF8.decode(bytes);
  } catch {
    throw new HakoError(
      'E_INVALID_VALUE',
      `the value for ${name} is not valid UTF-8`,
      'store binary data base64-encoded (base64 < file | hako set NAME)',
    );
  }
  assertStorable(value, name);
  return value;
}

/** A lone UTF-16 surrogate: what JSON or YAML can spell ("\\ud800") but UTF-8 cannot hold. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function assertStorable(value: string, name: string): void {
  if (value.includes('\0')) {
    throw new HakoError(
      'E_INVALID_VALUE',
      `the value for ${name} contains a NUL byte, which no environment variable can hold`,
      'store binary data base64-encoded',
    );
  }
  // Stored as UTF-8, such a value would silently come back with U+FFFD in its place.
  if (LONE_SURROGATE.test(value)) {
    throw new HakoError(
      'E_INVALID_VALUE',
      `the value for ${name} is not valid Unicode (a lone surrogate escape such as \\ud800)`,
      'write the character itself, or store binary data base64-encoded',
    );
  }
}

export interface SetResult {
  env: string;
  changed: string[];
  unchanged: string[];
  removed: string[];
}

/**
 * Metadata changes for the names being set: a field left undefined keeps what the secret
 * has, null removes it. With `rotateEvery`, the expiry moves that many days past today.
 */
export interface MetaChange {
  expires?: string | null;
  rotateEvery?: string | null;
}

export function checkMetaChange(change: MetaChange): void {
  if (change.expires && !isIsoDate(change.expires)) {
    throw new HakoError('E_USAGE', `--expires needs a date as YYYY-MM-DD`, 'e.g. --expires 2027-03-01');
  }
  if (change.rotateEvery && !isPeriod(change.rotateEvery)) {
    throw new HakoError('E_USAGE', `--rotate-every needs a number of days such as 90d`, 'e.g. --rotate-every 90d');
  }
}

/** Today (UTC) as YYYY-MM-DD; SOURCE_DATE_EPOCH or HAKO_TODAY fix it for reproducible runs and tests. */
export function today(env: NodeJS.ProcessEnv): string {
  const fixed = env['HAKO_TODAY'];
  if (fixed && isIsoDate(fixed)) return fixed;
  const epoch = env['SOURCE_DATE_EPOCH'];
  const ms = epoch && /^\d{1,12}$/.test(epoch) ? Number(epoch) * 1000 : Date.now();
  return new Date(ms).toISOString().slice(0, 10);
}

function nextMeta(old: SecretMeta | undefined, change: MetaChange, valueChanged: boolean, todayIs: string): SecretMeta | undefined {
  const m: SecretMeta = { ...old };
  if (change.rotateEvery !== undefined) {
    if (change.rotateEvery === null) delete m.rotateEvery;
    else m.rotateEvery = change.rotateEvery;
  }
  if (change.expires !== undefined) {
    if (change.expires === null) delete m.expires;
    else m.expires = change.expires;
  } else if (m.rotateEvery !== undefined && (valueChanged || change.rotateEvery)) {
    m.expires = addDays(todayIs, periodDays(m.rotateEvery));
  }
  return isEmptyMeta(m) ? undefined : m;
}

function sameMeta(a: SecretMeta | undefined, b: SecretMeta | undefined): boolean {
  return metaText(a) === metaText(b);
}

/**
 * Sets several values in one environment in one write (and removes `remove`, for edit).
 * The environment must exist: only `hako init` and `hako env add` create environments, so a
 * mistyped `--env` is refused (with the nearest name) instead of silently getting a new key.
 * The key is resolved before the lock is taken, so a passphrase prompt never holds it.
 */
export async function setSecrets(
  ctx: ServiceContext,
  env: string,
  values: ReadonlyMap<string, string>,
  remove: readonly string[] = [],
  project: Project = findProject(ctx),
  metaChange: MetaChange = {},
): Promise<SetResult> {
  assertEnvName(env);
  checkMetaChange(metaChange);
  const loaded = loadSecretsFile(project);
  if (loaded.environments.get(env)?.sops) return setBoundSecrets(ctx, project, loaded, env, values, remove, metaChange);
  for (const [name, value] of values) {
    assertSecretName(name);
    assertStorable(value, name);
  }
  let opened = await openEnvironment(ctx, project, loaded, env);
  const todayIs = today(ctx.env);
  const { result, written } = await updateSecretsFile(ctx, project, async (file) => {
    const record = requireEnvironment(file, env); // removed meanwhile: refused
    if (opened.cipher.keyId !== record.keyId) opened = await openEnvironment(ctx, project, file, env); // rotated meanwhile
    assertWritable(env, opened);
    const cipher = opened.cipher;
    const out: SetResult = { env, changed: [], unchanged: [], removed: [] };
    for (const [name, value] of values) {
      const old = record.secrets.get(name);
      const oldMeta = record.meta.get(name);
      const sameVal = old !== undefined && sameValue(cipher, name, old, oldMeta, value);
      const meta = nextMeta(oldMeta, metaChange, !sameVal, todayIs);
      if (sameVal && sameMeta(oldMeta, meta)) {
        out.unchanged.push(name);
        continue;
      }
      record.secrets.set(name, cipher.seal(name, value, metaText(meta)));
      if (meta) record.meta.set(name, meta);
      else record.meta.delete(name);
      out.changed.push(name);
    }
    for (const name of remove) {
      if (record.secrets.delete(name)) {
        record.meta.delete(name);
        out.removed.push(name);
      }
    }
    if (record.chain.length === 0 && (out.changed.length || out.removed.length)) {
      record.chain = [genesisLink(env, record.keyId, opened.key)]; // its first write in format 2 starts its chain
    }
    return out;
  });
  if (written) {
    // What this machine just wrote (a chain it just started) is what it trusts.
    const record = loadSecretsFile(project).environments.get(env);
    if (record) await pinEnvironment(ctx, project, env, record);
  }
  return result;
}

/** True when the stored token opens to exactly `value`; a token that fails to open is replaced. */
function sameValue(cipher: EnvironmentCipher, name: string, token: string, meta: SecretMeta | undefined, value: string): boolean {
  const bytes = cipher.openBytes(name, token, metaText(meta));
  return bytes !== null && bytes.equals(Buffer.from(value, 'utf8'));
}

export async function getSecret(ctx: ServiceContext, env: string, name: string): Promise<string> {
  assertEnvName(env);
  const project = findProject(ctx);
  const file = loadSecretsFile(project);
  const record = requireEnvironment(file, env);
  assertNameFor(record, name);
  if (!record.secrets.has(name)) throw noSecret(env, name, record);
  const { cipher } = await openEnvironment(ctx, project, file, env);
  const token = record.secrets.get(name); // a SOPS-bound environment's values are sealed when it opens
  if (token === undefined) throw noSecret(env, name, record);
  return cipher.open(name, token, metaText(record.meta.get(name)));
}

/**
 * Secret names are upper case, except in a SOPS-bound environment, whose names are its
 * file's keys: any environment variable name.
 */
export function assertNameFor(record: EnvironmentRecord | undefined, name: string): string {
  if (!record?.sops) return assertSecretName(name);
  if (!SOPS_SECRET_NAME.test(name)) {
    throw new HakoError(
      'E_INVALID_NAME',
      `invalid secret name ${displayName(name)} for a SOPS-bound environment`,
      'names in a SOPS-bound environment are the file\'s top-level keys that are environment variable names: letters, digits and "_", not starting with a digit',
    );
  }
  return name;
}

/**
 * setSecrets for a SOPS-bound environment: the values go to the SOPS file through the codec
 * (unchanged values keep their ciphertext; `mac` and `lastmodified` are made again); the
 * metadata (expires, rotate_every) stays in the binding, tagged under the data key.
 */
async function setBoundSecrets(
  ctx: ServiceContext,
  project: Project,
  file: SecretsFile,
  env: string,
  values: ReadonlyMap<string, string>,
  remove: readonly string[],
  metaChange: MetaChange,
): Promise<SetResult> {
  const record = requireEnvironment(file, env);
  const wantsMeta = metaChange.expires !== undefined || metaChange.rotateEvery !== undefined;
  for (const [name, value] of values) {
    assertNameFor(record, name);
    if (wantsMeta || record.meta.has(name)) assertSecretName(name); // the binding keeps metadata only for upper-case names
    assertStorable(value, name);
  }
  for (const name of remove) assertNameFor(record, name);
  const opened = await openEnvironment(ctx, project, file, env);
  assertWritable(env, opened);
  const rel = record.sops!.path;
  const out: SetResult = { env, changed: [], unchanged: [], removed: [] };
  const valueChanged = new Set<string>();
  await updateBoundFile(ctx, project, env, rel, opened.key, (ob) => {
    let doc = ob.opened.docs[0] ?? newMap();
    let touched = false;
    for (const [name, value] of values) {
      if (ob.other.includes(name))
        throw new HakoError(
          'E_USAGE',
          `the key ${name} in ${rel} holds a nested value or null, which hako leaves alone`,
          `change it with hako sops set ${rel} '["${name}"]' JSON`,
        );
      if (ob.values.get(name) === value) continue;
      doc = setValue(doc, [name], value);
      valueChanged.add(name);
      touched = true;
    }
    for (const name of remove) {
      if (!ob.values.has(name)) continue;
      doc = unsetValue(doc, [name]) ?? doc;
      out.removed.push(name);
      touched = true;
    }
    return { docs: touched ? [doc, ...ob.opened.docs.slice(1)] : null, result: null };
  });
  const todayIs = today(ctx.env);
  const metaUpdates = new Map<string, SecretMeta | undefined>();
  for (const name of values.keys()) {
    const oldMeta = record.meta.get(name);
    const meta = nextMeta(oldMeta, metaChange, valueChanged.has(name), todayIs);
    if (!sameMeta(oldMeta, meta)) metaUpdates.set(name, meta);
    if (valueChanged.has(name) || metaUpdates.has(name)) out.changed.push(name);
    else out.unchanged.push(name);
  }
  for (const name of out.removed) if (record.meta.has(name)) metaUpdates.set(name, undefined);
  if (metaUpdates.size) {
    await updateSecretsFile(ctx, project, (f) => {
      const r = requireEnvironment(f, env);
      if (r.keyId !== opened.cipher.keyId || !r.sops)
        throw new HakoError('E_KEY_CHANGED', `environment '${env}' changed meanwhile`, 'run the command again');
      for (const [name, meta] of metaUpdates) {
        if (meta) r.meta.set(name, meta);
        else r.meta.delete(name);
      }
      retag(env, r, opened.key);
    });
  }
  return out;
}

function noSecret(env: string, name: string, record: EnvironmentRecord): HakoError {
  return new HakoError(
    'E_NO_SECRET',
    `no secret ${name} in environment '${env}'`,
    record.secrets.size
      ? `list names with hako ls --env ${env}; set it with hako set ${name} --env ${env}`
      : `set it with hako set ${name} --env ${env}`,
  );
}

/** Opens every value of an environment; any failure stops everything (fail closed). */
export async function revealEnvironment(
  ctx: ServiceContext,
  env: string,
  project: Project = findProject(ctx),
): Promise<Map<string, string>> {
  assertEnvName(env);
  return openRecord(ctx, project, loadSecretsFile(project), env);
}

/** Opens every value of `env` in an already loaded file, sorted by name; fail closed. */
export async function openRecord(ctx: ServiceContext, project: Project, file: SecretsFile, env: string): Promise<Map<string, string>> {
  return (await openValues(ctx, project, file, env)).values;
}

export interface OpenedValues {
  values: Map<string, string>;
  keyId: string;
  /** A keyed fingerprint of a value under this environment's key: equal values, equal tags; reveals nothing. */
  fingerprint(name: string, value: string): string;
}

/** Like openRecord, with a keyed fingerprint for telling later whether a value changed. */
export async function openValues(ctx: ServiceContext, project: Project, file: SecretsFile, env: string): Promise<OpenedValues> {
  const record = requireEnvironment(file, env);
  const { cipher } = await openEnvironment(ctx, project, file, env);
  return { values: decryptValues(record, { cipher }), keyId: cipher.keyId, fingerprint: (name, value) => cipher.fingerprint(name, value) };
}

/** Every value of an already opened environment, sorted by name; any failure stops all. */
export function decryptValues(record: EnvironmentRecord, opened: { cipher: EnvironmentCipher }): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, token] of inNameOrder(record.secrets)) out.set(name, opened.cipher.open(name, token, metaText(record.meta.get(name))));
  return out;
}

/** Entries sorted by name; a canonical file already is, so it is only checked. */
function inNameOrder(m: ReadonlyMap<string, string>): Iterable<[string, string]> {
  let prev = '';
  for (const name of m.keys()) {
    if (name < prev) return [...m].sort(([a], [b]) => (a < b ? -1 : 1));
    prev = name;
  }
  return m;
}

export async function removeSecret(ctx: ServiceContext, name: string, scope: { env: string } | { allEnvs: true }): Promise<string[]> {
  const project = findProject(ctx);
  const loaded = loadSecretsFile(project);
  const bound: string[] = [];
  if ('env' in scope) {
    const record = requireEnvironment(loaded, scope.env);
    assertNameFor(record, name);
    if (record.sops) {
      if (!record.secrets.has(name)) throw noSecret(scope.env, name, record);
      await setBoundSecrets(ctx, project, loaded, scope.env, new Map(), [name], {});
      return [scope.env];
    }
  } else {
    if (!SOPS_SECRET_NAME.test(name)) assertSecretName(name);
    for (const [env, record] of loaded.environments) {
      if (!record.sops || !record.secrets.has(name)) continue;
      await setBoundSecrets(ctx, project, loaded, env, new Map(), [name], {});
      bound.push(env);
    }
    if (!SECRET_NAME.test(name)) {
      if (!bound.length) throw new HakoError('E_NO_SECRET', `no secret ${name} in any environment`, 'list names with hako ls');
      return bound.sort();
    }
  }
  const { result } = await updateSecretsFile(ctx, project, (file) => {
    const envs = 'env' in scope ? [scope.env] : [...file.environments.keys()];
    const removedFrom: string[] = [...bound];
    for (const env of envs) {
      const record = 'env' in scope ? requireEnvironment(file, env) : file.environments.get(env)!;
      if (record.sops) continue;
      if (record.secrets.delete(name)) {
        record.meta.delete(name);
        removedFrom.push(env);
      }
    }
    if (removedFrom.length === 0) {
      throw 'env' in scope
        ? noSecret(scope.env, name, requireEnvironment(file, scope.env))
        : new HakoError('E_NO_SECRET', `no secret ${name} in any environment`, 'list names with hako ls');
    }
    return removedFrom.sort();
  });
  return result;
}

export interface SecretListing {
  environments: { name: string; keyId: string; access: Access }[];
  names: {
    name: string;
    present: Record<string, boolean>;
    /** Per environment where the secret has metadata: its expiry and rotation period, and where it stands today. */
    expiry: Record<string, SecretMeta & { status: ExpiryStatus }>;
    declared: boolean;
    required: boolean;
  }[];
}

/** Days before its expiry at which a secret counts as expiring soon. */
export const EXPIRES_SOON_DAYS = 30;

export interface ExpiryStatus {
  state: 'expired' | 'soon' | 'ok' | 'none';
  /** Days from today to the expiry day (negative once past); null without an expiry. */
  days: number | null;
}

/** Where a secret with `meta` stands on `todayIs` (YYYY-MM-DD): expired after its expiry day. */
export function expiryStatus(meta: SecretMeta | undefined, todayIs: string): ExpiryStatus {
  if (!meta?.expires) return { state: 'none', days: null };
  const days = Math.round((Date.parse(`${meta.expires}T00:00:00Z`) - Date.parse(`${todayIs}T00:00:00Z`)) / 86_400_000);
  return { state: days < 0 ? 'expired' : days <= EXPIRES_SOON_DAYS ? 'soon' : 'ok', days };
}

/** Names × environments; never a value. `envs` limits the columns; `loaded` saves reading the file again. */
export async function listSecrets(
  ctx: ServiceContext,
  envs?: string[],
  loaded?: { project: Project; file: SecretsFile },
): Promise<SecretListing> {
  const project = loaded?.project ?? findProject(ctx);
  const file = loaded?.file ?? loadSecretsFile(project);
  const columns = envs?.map(assertEnvName) ?? [...file.environments.keys()].sort();
  for (const env of columns) requireEnvironment(file, env);
  const names = new Set<string>(file.schema.keys());
  for (const env of columns) for (const name of requireEnvironment(file, env).secrets.keys()) names.add(name);
  const listing: SecretListing = { environments: [], names: [] };
  for (const env of columns) {
    listing.environments.push({
      name: env,
      keyId: requireEnvironment(file, env).keyId,
      access: await probeAccess(ctx, file, env, project),
    });
  }
  const todayIs = today(ctx.env);
  for (const name of [...names].sort()) {
    const present: Record<string, boolean> = {};
    const expiry: SecretListing['names'][number]['expiry'] = {};
    for (const env of columns) {
      const record = requireEnvironment(file, env);
      present[env] = record.secrets.has(name);
      const meta = record.meta.get(name);
      if (meta && present[env]) expiry[env] = { ...meta, status: expiryStatus(meta, todayIs) };
    }
    const decl = file.schema.get(name);
    listing.names.push({ name, present, expiry, declared: decl !== undefined, required: decl?.required ?? false });
  }
  return listing;
}
