/**
 * Environment keys: export as a bundle, import a bundle or a passphrase (checked against the
 * environment before anything is saved), list where each key is, and rotate.
 *
 * Rotation makes a new key and key id, re-encrypts every value, rewraps the key for every
 * recipient, and leaves the old key file in place so older commits stay readable.
 */
import { readdirSync } from 'node:fs';
import { HakoError } from '../core/errors.js';
import type { EnvironmentRecord } from '../core/formats/secrets-file.js';
import { checkContinuity, verifyEntryChain } from './continuity.js';
import { assertEnvName, KEY_ID } from '../core/names.js';
import { EnvironmentCipher } from '../core/crypto/environment-cipher.js';
import { deriveKeyFromPassphrase } from '../core/crypto/argon2id.js';
import { encodeKeyBundle, parseKeyBundle } from '../core/formats/key-bundle.js';
import { keyFilePath, readKeyFile, writeKeyFile } from '../core/keys/key-file-source.js';
import { keysDir } from '../core/home.js';
import { makeEnvironment, probeAccess, type Access } from './environments.js';
import type { KeychainRequest } from '../core/keychain/keychain.js';
import { homeLabel, KEY_FILE_HOME, keychainHome, keychainOfKey, storeKeyInKeychain, type KeyHome } from './keychain.js';
import { assertWritable, findProject, loadSecretsFile, openEnvironment, requireEnvironment, type Project } from './project.js';
import { rekeyEnvironment, type NextKey } from './rekey.js';
import type { ServiceContext } from './context.js';
import { updateBinding } from './recipients.js';
import { changeBoundKeys } from './sops-env.js';

export async function exportKey(ctx: ServiceContext, env: string): Promise<string> {
  assertEnvName(env);
  const project = findProject(ctx);
  const file = loadSecretsFile(project);
  const record = requireEnvironment(file, env);
  if (record.sops)
    throw new HakoError(
      'E_USAGE',
      `environment '${env}' is bound to the SOPS file ${record.sops.path}, whose data key is wrapped in the file for each recipient`,
      `give someone access with hako recipients add age1… --env ${env} instead`,
    );
  const opened = await openEnvironment(ctx, project, file, env);
  return encodeKeyBundle({ env, keyId: opened.cipher.keyId, key: opened.key });
}

export interface ImportedKey {
  env: string;
  keyId: string;
  /** The key file, or "keychain (<backend>)". */
  path: string;
  alreadyPresent: boolean;
  /** The keychain backend that holds it, or null for a key file. */
  keychain: string | null;
}

/**
 * Saves a verified key of `env` (as its key file, or in the keychain of `home`), after
 * checking this machine may trust it. A stored key file is never replaced: key ids are
 * random, so a different key under the same id is another project's (or a file made to
 * collide with it), and overwriting would lose it.
 */
async function saveVerifiedKey(
  ctx: ServiceContext,
  project: Project,
  record: EnvironmentRecord,
  env: string,
  key: Buffer,
  from: string,
  home: KeyHome,
): Promise<ImportedKey> {
  const keyId = record.keyId;
  verifyEntryChain(env, record, { key, label: from, explicitHead: true });
  if (home.kind === 'keychain') {
    await checkContinuity(ctx, project, env, record, { key, label: from, explicitHead: true }, null);
    const fresh = await storeKeyInKeychain(ctx, home.keychain, env, keyId, key);
    return { env, keyId, path: homeLabel(home, keyId, ctx.env), alreadyPresent: !fresh, keychain: home.keychain.backend };
  }
  const path = keyFilePath(keyId, ctx.env);
  // A key file that cannot be used (unsafe, damaged, a folder) stops the import with its own explanation.
  const existing = readKeyFile(path);
  if (existing && !existing.equals(key)) {
    throw new HakoError(
      'E_KEY_CONFLICT',
      `a different key is already stored under key id ${keyId} (another project uses the same key id); nothing was written`,
      `keep both by rotating this project's environment to a new key id on a machine that opens it (hako key rotate --env ${env}), or use HAKO_KEY for this project`,
    );
  }
  await checkContinuity(ctx, project, env, record, { key, label: from, explicitHead: true }, null);
  if (existing) return { env, keyId, path, alreadyPresent: true, keychain: null };
  writeKeyFile(keyId, key, ctx.env);
  return { env, keyId, path, alreadyPresent: false, keychain: null };
}

export async function importKeyBundle(
  ctx: ServiceContext,
  text: string,
  onlyEnv?: string,
  request?: KeychainRequest,
): Promise<ImportedKey> {
  if (onlyEnv !== undefined) assertEnvName(onlyEnv);
  const bundle = parseKeyBundle(text);
  const project = findProject(ctx);
  const file = loadSecretsFile(project);
  const matches = [...file.environments].filter(([, r]) => r.keyId === bundle.keyId);
  if (matches.length === 0) {
    throw new HakoError(
      'E_BUNDLE',
      `this bundle is for key id ${bundle.keyId} ('${bundle.env}'), which no environment of this project uses`,
      'it belongs to another project or to a key that was rotated; ask for a fresh `hako key export`',
    );
  }
  const [env, record] = matches[0]!;
  if (onlyEnv !== undefined && onlyEnv !== env) {
    throw new HakoError(
      'E_BUNDLE',
      `this bundle opens environment '${env}', not '${onlyEnv}'`,
      `import it without --env, or with --env ${env}`,
    );
  }
  const cipher = new EnvironmentCipher(env, record.keyId, bundle.key);
  if (!cipher.opensCheck(record.check)) {
    throw new HakoError(
      'E_WRONG_KEY',
      `the bundle's key does not open environment '${env}'`,
      'the bundle was damaged or forged; export it again',
    );
  }
  const home = request ? await keychainHome(ctx, request) : KEY_FILE_HOME;
  return saveVerifiedKey(ctx, project, record, env, bundle.key, 'the bundle', home);
}

export async function importPassphrase(
  ctx: ServiceContext,
  env: string,
  passphrase: string,
  request?: KeychainRequest,
): Promise<ImportedKey> {
  assertEnvName(env);
  const project = findProject(ctx);
  const file = loadSecretsFile(project);
  const record = requireEnvironment(file, env);
  if (!record.passphrase) {
    throw new HakoError('E_USAGE', `environment '${env}' does not use a passphrase`, 'import its key bundle instead: hako key import');
  }
  const key = await deriveKeyFromPassphrase(passphrase, record.keyId, record.passphrase);
  if (!new EnvironmentCipher(env, record.keyId, key).opensCheck(record.check)) {
    throw new HakoError(
      'E_WRONG_KEY',
      `wrong passphrase for environment '${env}'`,
      'check the passphrase with your team; nothing was saved',
    );
  }
  const home = request ? await keychainHome(ctx, request) : KEY_FILE_HOME;
  return saveVerifiedKey(ctx, project, record, env, key, 'the passphrase', home);
}

export interface KeyListing {
  environments: { env: string; keyId: string; keyKind: 'random' | 'passphrase' | 'sops'; keyFile: string; access: Access }[];
  /** Key files in $HAKO_HOME this project does not use (other projects, rotated keys). */
  otherKeyFiles: number;
  keysDir: string;
}

export async function listKeys(ctx: ServiceContext): Promise<KeyListing> {
  const file = loadSecretsFile(findProject(ctx));
  const used = new Set<string>();
  const environments: KeyListing['environments'] = [];
  for (const [env, record] of [...file.environments].sort(([a], [b]) => (a < b ? -1 : 1))) {
    used.add(record.keyId);
    environments.push({
      env,
      keyId: record.keyId,
      keyKind: record.sops ? 'sops' : record.passphrase ? 'passphrase' : 'random',
      keyFile: record.sops ? record.sops.path : keyFilePath(record.keyId, ctx.env),
      access: await probeAccess(ctx, file, env),
    });
  }
  const dir = keysDir(ctx.env);
  let others = 0;
  try {
    others = readdirSync(dir).filter((f) => KEY_ID.test(f) && !used.has(f)).length;
  } catch {
    others = 0;
  }
  return { environments, otherKeyFiles: others, keysDir: dir };
}

export interface Rotation {
  env: string;
  oldKeyId: string;
  newKeyId: string;
  secrets: number;
  recipients: number;
  keyKind: 'random' | 'passphrase' | 'sops';
  /** Where the new key was saved: its key file, or "keychain (<backend>)". */
  savedTo: string;
}

export interface RotateOptions {
  /** Derive the new key from this (new) passphrase. */
  passphrase?: string;
  /** Switch a passphrase environment to a random key: asked for explicitly, never by omission. */
  random?: boolean;
  /** Keep the new key in the OS keychain (else where the old one was: keychain or key file). */
  keychain?: KeychainRequest;
}

/**
 * Replaces the key of an environment (new key id; from `passphrase`, else random) and
 * re-encrypts every value; every recipient gets the new key. A passphrase environment needs
 * a new passphrase or `random: true`: leaving both out is refused, so neither the CLI nor a
 * library caller turns a team's passphrase environment into a random key by accident. The new
 * key goes to the keychain when `keychain` asks for it, or when the old key came from the
 * keychain; else to a key file.
 */
export async function rotateKey(ctx: ServiceContext, env: string, opts: RotateOptions = {}): Promise<Rotation> {
  assertEnvName(env);
  const { passphrase, random, keychain: request } = opts;
  if (passphrase !== undefined && random)
    throw new HakoError('E_USAGE', 'a new passphrase and a random key exclude each other', 'give --passphrase or --random, not both');
  const project = findProject(ctx);
  const file = loadSecretsFile(project);
  const before = requireEnvironment(file, env);
  if (before.passphrase && passphrase === undefined && !random) {
    throw new HakoError(
      'E_USAGE',
      `environment '${env}' uses a passphrase`,
      'give --passphrase to derive the new key from a new passphrase, or --random to switch to a random key',
    );
  }
  const old = await openEnvironment(ctx, project, file, env);
  assertWritable(env, old);
  if (before.sops) {
    if (passphrase !== undefined || request)
      throw new HakoError(
        'E_USAGE',
        `environment '${env}' is bound to a SOPS file: its new data key is wrapped for the file's recipients`,
        'drop --passphrase and --keychain',
      );
    const r = await changeBoundKeys(ctx, project, env, { key: old.key, keyId: old.cipher.keyId }, before, { rotate: true }, (apply) =>
      updateBinding(ctx, project, env, apply),
    );
    return {
      env,
      oldKeyId: r.oldKeyId,
      newKeyId: r.newKeyId,
      secrets: r.names.length,
      recipients: r.recipients.length,
      keyKind: 'sops',
      savedTo: before.sops.path,
    };
  }
  const home = request
    ? await keychainHome(ctx, request)
    : old.kind === 'keychain'
      ? ((await keychainOfKey(ctx, before.keyId)) ?? KEY_FILE_HOME)
      : KEY_FILE_HOME;
  const made = await makeEnvironment(ctx, env, passphrase, before.passphrase, home); // key saved first: never a lost key
  const next: NextKey = { keyId: made.record.keyId, key: made.key };
  if (made.record.passphrase) next.passphrase = made.record.passphrase;
  const names = await rekeyEnvironment(ctx, project, env, old, before, next, [...before.recipients.keys()]);
  return {
    env,
    oldKeyId: before.keyId,
    newKeyId: next.keyId,
    secrets: names.length,
    recipients: before.recipients.size,
    keyKind: next.passphrase ? 'passphrase' : 'random',
    savedTo: made.keyFile,
  };
}
