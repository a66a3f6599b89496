/**
 * Instances: one installation of an app by the person who runs it, with that person's own
 * values for the secrets the app declares (`hako declare`). The app ships names, never these
 * values; each instance keeps its values in the OS keychain under its own service name
 * (`hako-instance:<name>:<id>`, one item per secret name), so two instances never share one.
 *
 * What is on disk is only a record in $HAKO_HOME/instances/<id>.json: the instance's name and
 * random id, the app folder it belongs to, the keychain store, and the names that have a value.
 * Copying or archiving the app folder (or the record) carries no value; a copy of the folder
 * elsewhere is another app folder, with no instance until one is added there.
 *
 * Removing an instance deletes every keychain item under its service name (the recorded names,
 * and whatever else the store lists under that service) and checks none is left before the
 * record goes.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { HakoError } from '../core/errors.js';
import { displayText } from '../core/display.js';
import { assertSecretName, ENV_NAME, KEY_ID, SECRET_NAME } from '../core/names.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { withFileLock } from '../core/fs/lock.js';
import { hakoHome } from '../core/home.js';
import {
  backendName,
  chooseKeychain,
  KEYCHAIN_STORES,
  openKeychain,
  type Keychain,
  type KeychainRequest,
  type KeychainStore,
} from '../core/keychain/keychain.js';
import type { ServiceContext } from './context.js';
import { findProject, loadSecretsFile } from './project.js';
import { valueFromBytes } from './secrets.js';
import { assertSafeHandOff, startWithValues, type StartRequest } from './run.js';
import type { ChildExit } from '../launcher/spawn-with-secrets.js';

export interface InstanceRecord {
  id: string;
  name: string;
  /** The app folder (the project root, real path) this instance belongs to. */
  app: string;
  store: KeychainStore;
  /** Names that have a value in the keychain, sorted. */
  names: string[];
  created: string;
}

function instancesDir(env: NodeJS.ProcessEnv): string {
  return join(hakoHome(env), 'instances');
}

function recordPath(env: NodeJS.ProcessEnv, id: string): string {
  return join(instancesDir(env), `${id}.json`);
}

export function instanceService(r: Pick<InstanceRecord, 'name' | 'id'>): string {
  return `hako-instance:${r.name}:${r.id}`;
}

function assertInstanceName(name: string): string {
  if (!ENV_NAME.test(name)) {
    throw new HakoError(
      'E_INVALID_NAME',
      `invalid instance name "${displayText(name, 40)}"`,
      'instance names are lower-case letters, digits and "-", starting with a letter (at most 63)',
    );
  }
  return name;
}

function damaged(path: string): HakoError {
  return new HakoError('E_FORMAT', `instance record ${path} is damaged`, 'remove it (its keychain items stay until removed by hand)');
}

function readRecord(path: string): InstanceRecord {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    throw damaged(path);
  }
  const { id, name, app, store, names, created, version } = v;
  if (
    version !== 1 ||
    typeof id !== 'string' ||
    !KEY_ID.test(id) ||
    typeof name !== 'string' ||
    !ENV_NAME.test(name) ||
    typeof app !== 'string' ||
    typeof created !== 'string' ||
    typeof store !== 'string' ||
    !(KEYCHAIN_STORES as readonly string[]).includes(store) ||
    !Array.isArray(names) ||
    !names.every((n) => typeof n === 'string' && SECRET_NAME.test(n))
  )
    throw damaged(path);
  return { id, name, app, store: store as KeychainStore, names: [...(names as string[])].sort(), created };
}

function writeRecord(env: NodeJS.ProcessEnv, r: InstanceRecord): void {
  const doc = { app: r.app, created: r.created, id: r.id, name: r.name, names: [...new Set(r.names)].sort(), store: r.store, version: 1 };
  writeFileAtomic(recordPath(env, r.id), `${JSON.stringify(doc)}\n`, { mode: 0o600, dirMode: 0o700 });
}

function allRecords(env: NodeJS.ProcessEnv): InstanceRecord[] {
  let files: string[];
  try {
    files = readdirSync(instancesDir(env));
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith('.json') && KEY_ID.test(f.slice(0, -5)))
    .sort()
    .map((f) => readRecord(join(instancesDir(env), f)));
}

/** The app folder of the current directory: the project root, as a real path. */
function appOf(ctx: ServiceContext): string {
  const root = findProject(ctx).root;
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}

function instancesOfApp(ctx: ServiceContext): InstanceRecord[] {
  const app = appOf(ctx);
  return allRecords(ctx.env).filter((r) => r.app === app);
}

export function findInstance(ctx: ServiceContext, name: string): InstanceRecord {
  assertInstanceName(name);
  const found = instancesOfApp(ctx).find((r) => r.name === name);
  if (!found) {
    const known = instancesOfApp(ctx).map((r) => r.name);
    throw new HakoError(
      'E_NO_ENV',
      `no instance '${name}' of the app in ${appOf(ctx)}`,
      known.length
        ? `instances here: ${known.join(', ')}; add one with hako instance add ${name}`
        : `add it with hako instance add ${name}`,
    );
  }
  return found;
}

/** Updates a record under its lock, from its freshest version. */
async function updateRecord(ctx: ServiceContext, id: string, change: (r: InstanceRecord) => void): Promise<InstanceRecord> {
  const path = recordPath(ctx.env, id);
  return withFileLock(path, () => {
    const r = readRecord(path);
    change(r);
    writeRecord(ctx.env, r);
    return r;
  });
}

export async function addInstance(
  ctx: ServiceContext,
  name: string,
  request: KeychainRequest = 'auto',
): Promise<{ record: InstanceRecord; backend: string }> {
  assertInstanceName(name);
  const app = appOf(ctx);
  if (instancesOfApp(ctx).some((r) => r.name === name)) {
    throw new HakoError('E_EXISTS', `instance '${name}' already exists for this app`, 'list instances with hako instance ls');
  }
  const keychain = await chooseKeychain(request); // probed: when it is not usable nothing is written
  if (keychain.store === 'kernel') ctx.notice("warning: the kernel keyring is memory only: this instance's values are gone at reboot");
  const record: InstanceRecord = {
    id: randomBytes(8).toString('hex'),
    name,
    app,
    store: keychain.store,
    names: [],
    created: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  writeRecord(ctx.env, record);
  return { record, backend: keychain.backend };
}

export interface InstanceSummary {
  record: InstanceRecord;
  backend: string;
  /** Required names (declared) without a value in this instance. */
  missing: string[];
}

export function listInstances(ctx: ServiceContext): InstanceSummary[] {
  const file = loadSecretsFile(findProject(ctx));
  return instancesOfApp(ctx)
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((record) => ({
      record,
      backend: backendName(record.store),
      missing: [...file.schema]
        .filter(([n, e]) => e.required && !record.names.includes(n))
        .map(([n]) => n)
        .sort(),
    }));
}

async function storeValue(keychain: Keychain, record: InstanceRecord, name: string, value: string): Promise<void> {
  const service = instanceService(record);
  await keychain.set(service, name, value);
  if ((await keychain.get(service, name)) !== value) {
    throw new HakoError('E_KEYCHAIN', `the ${keychain.backend} did not keep the value of ${name}`, 'check the keychain service');
  }
}

/** Sets (or replaces) one value of an instance. */
export async function setInstanceSecret(ctx: ServiceContext, name: string, secret: string, value: string): Promise<{ backend: string }> {
  assertSecretName(secret);
  valueFromBytes(Buffer.from(value, 'utf8'), secret);
  const record = findInstance(ctx, name);
  const keychain = await openKeychain(record.store);
  await storeValue(keychain, record, secret, value);
  await updateRecord(ctx, record.id, (r) => r.names.push(secret));
  return { backend: keychain.backend };
}

/** Deletes every keychain item of the instance, checks none is left, then drops the record. */
export async function removeInstance(ctx: ServiceContext, name: string): Promise<{ deleted: number; backend: string }> {
  const record = findInstance(ctx, name);
  const keychain = await openKeychain(record.store);
  const service = instanceService(record);
  const accounts = new Set(record.names);
  for (const a of (await keychain.accounts(service)) ?? []) accounts.add(a);
  let deleted = 0;
  for (const a of accounts) if (await keychain.delete(service, a)) deleted++;
  const left = new Set<string>((await keychain.accounts(service)) ?? []);
  for (const a of accounts) if ((await keychain.get(service, a)) !== null) left.add(a);
  if (left.size > 0) {
    throw new HakoError(
      'E_KEYCHAIN',
      `the ${keychain.backend} still holds ${left.size} item(s) of instance '${name}' after deleting them`,
      'the instance was kept; check the keychain and run hako instance rm again',
    );
  }
  try {
    unlinkSync(recordPath(ctx.env, record.id));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new HakoError('E_IO', `cannot remove the record of '${name}'`, 'check $HAKO_HOME');
  }
  return { deleted, backend: keychain.backend };
}

/**
 * The values of an instance for `hako run`: every name it has a value for. A required name
 * (declared) without one is asked for with `ask` (only on a terminal) and stored; without a
 * terminal the start fails with the list of missing names.
 */
export async function instanceValues(
  ctx: ServiceContext,
  name: string,
  ask?: (secret: string, description: string | undefined) => Promise<string>,
): Promise<Map<string, string>> {
  const record = findInstance(ctx, name);
  const file = loadSecretsFile(findProject(ctx));
  const keychain = await openKeychain(record.store);
  const service = instanceService(record);
  const values = new Map<string, string>();
  for (const n of record.names) {
    const v = await keychain.get(service, n);
    if (v !== null) values.set(n, v);
  }
  const missing = [...file.schema]
    .filter(([n, e]) => e.required && !values.has(n))
    .map(([n]) => n)
    .sort();
  if (missing.length === 0) return values;
  if (!ask) {
    throw new HakoError(
      'E_MISSING_REQUIRED',
      `instance '${name}' has no value for ${missing.length === 1 ? 'the required secret' : `${missing.length} required secrets`}: ${missing.join(', ')}; nothing was run`,
      `run on a terminal to be asked, or set ${missing.length === 1 ? 'it' : 'each'} with hako instance set ${name} NAME`,
    );
  }
  for (const n of missing) {
    const value = await ask(n, file.schema.get(n)?.description);
    if (value.length === 0)
      throw new HakoError('E_MISSING_REQUIRED', `no value given for ${n}; nothing was run`, 'run again and type a value');
    valueFromBytes(Buffer.from(value, 'utf8'), n);
    await storeValue(keychain, record, n, value);
    await updateRecord(ctx, record.id, (r) => r.names.push(n));
    values.set(n, value);
  }
  return values;
}

/** `hako run --instance NAME`: the instance's values (asking for missing ones), then the program. */
export async function runWithInstance(
  ctx: ServiceContext,
  name: string,
  ask: ((secret: string, description: string | undefined) => Promise<string>) | undefined,
  req: StartRequest,
  allow: readonly string[],
): Promise<ChildExit> {
  const values = await instanceValues(ctx, name, ask);
  assertSafeHandOff(values.keys(), req.via, allow, 'hako run --instance');
  return startWithValues(ctx, req, name, values);
}
