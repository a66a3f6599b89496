/**
 * Environment keys: export as a bundle, import a bundle or a passphrase (checked against the
 * environment before anything is saved), list where each key is, and rotate.
 *
 * Rotation makes a new key and key id, re-encrypts every value, rewraps the key for every
 * recipient, and leaves the old key file in place so older commits stay readable.
 */
import { readdirSync } from 'node:fs';
import { HakoError } from '../core/errors.js';
import { assertEnvName, KEY_ID } from '../core/names.js';
import { EnvironmentCipher } from '../core/crypto/environment-cipher.js';
import { deriveKeyFromPassphrase } from '../core/crypto/argon2id.js';
import { encodeKeyBundle, parseKeyBundle } from '../core/formats/key-bundle.js';
import { keyFilePath, readKeyFile, writeKeyFile } from '../core/keys/key-file-source.js';
import { keysDir } from '../core/home.js';
import { makeEnvironment, probeAccess, type Access } from './environments.js';
import { findProject, loadSecretsFile, openEnvironment, requireEnvironment } from './project.js';
import { rekeyEnvironment, type NextKey } from './rekey.js';
import type { ServiceContext } from './context.js';

export async function exportKey(ctx: ServiceContext, env: string): Promise<string> {
  assertEnvName(env);
  const file = loadSecretsFile(findProject(ctx.cwd));
  const opened = await openEnvironment(ctx, file, env);
  return encodeKeyBundle({ env, keyId: opened.cipher.keyId, key: opened.key });
}

export interface ImportedKey {
  env: string;
  keyId: string;
  path: string;
  alreadyPresent: boolean;
}

/** Saves a verified key as the key file of `env`. */
function saveVerifiedKey(ctx: ServiceContext, env: string, keyId: string, key: Buffer): ImportedKey {
  const path = keyFilePath(keyId, ctx.env);
  let existing: Buffer | null = null;
  try {
    existing = readKeyFile(path);
  } catch {
    existing = null; // unsafe or damaged: replaced by the verified key below
  }
  if (existing && existing.equals(key)) return { env, keyId, path, alreadyPresent: true };
  writeKeyFile(keyId, key, ctx.env);
  return { env, keyId, path, alreadyPresent: false };
}

export async function importKeyBundle(ctx: ServiceContext, text: string, onlyEnv?: string): Promise<ImportedKey> {
  if (onlyEnv !== undefined) assertEnvName(onlyEnv);
  const bundle = parseKeyBundle(text);
  const file = loadSecretsFile(findProject(ctx.cwd));
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
  return saveVerifiedKey(ctx, env, record.keyId, bundle.key);
}

export async function importPassphrase(ctx: ServiceContext, env: string, passphrase: string): Promise<ImportedKey> {
  assertEnvName(env);
  const file = loadSecretsFile(findProject(ctx.cwd));
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
  return saveVerifiedKey(ctx, env, record.keyId, key);
}

export interface KeyListing {
  environments: { env: string; keyId: string; keyKind: 'random' | 'passphrase'; keyFile: string; access: Access }[];
  /** Key files in $HAKO_HOME this project does not use (other projects, rotated keys). */
  otherKeyFiles: number;
  keysDir: string;
}

export async function listKeys(ctx: ServiceContext): Promise<KeyListing> {
  const file = loadSecretsFile(findProject(ctx.cwd));
  const used = new Set<string>();
  const environments: KeyListing['environments'] = [];
  for (const [env, record] of [...file.environments].sort(([a], [b]) => (a < b ? -1 : 1))) {
    used.add(record.keyId);
    environments.push({
      env,
      keyId: record.keyId,
      keyKind: record.passphrase ? 'passphrase' : 'random',
      keyFile: keyFilePath(record.keyId, ctx.env),
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
  keyKind: 'random' | 'passphrase';
}

/**
 * New key and key id for `env`; with `passphrase` the new key derives from it, otherwise it
 * is random. Every value is re-encrypted; every recipient gets the new key.
 */
export interface RotateOptions {
  /** Derive the new key from this (new) passphrase. */
  passphrase?: string;
  /** Switch a passphrase environment to a random key: asked for explicitly, never by omission. */
  random?: boolean;
}

/**
 * Replaces the key of an environment and re-encrypts every value. A passphrase environment
 * needs a new passphrase or `random: true`: leaving both out is refused, so neither the CLI
 * nor a library caller turns a team's passphrase environment into a random key by accident.
 */
export async function rotateKey(ctx: ServiceContext, env: string, opts: RotateOptions = {}): Promise<Rotation> {
  assertEnvName(env);
  const { passphrase, random } = opts;
  if (passphrase !== undefined && random)
    throw new HakoError('E_USAGE', 'a new passphrase and a random key exclude each other', 'give --passphrase or --random, not both');
  const project = findProject(ctx.cwd);
  const file = loadSecretsFile(project);
  const before = requireEnvironment(file, env);
  if (before.passphrase && passphrase === undefined && !random) {
    throw new HakoError(
      'E_USAGE',
      `environment '${env}' uses a passphrase`,
      'give --passphrase to derive the new key from a new passphrase, or --random to switch to a random key',
    );
  }
  const old = await openEnvironment(ctx, file, env);
  const made = await makeEnvironment(ctx, env, passphrase, before.passphrase); // key file first: never a lost key
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
  };
}
