/**
 * Environments: each has its own key id and key, random (kept in a key file) or derived
 * from a team passphrase with Argon2id. Creating one writes the key file before the
 * secrets file, so a crash never leaves an environment whose key is lost.
 */
import { HakoError } from '../core/errors.js';
import { assertEnvName } from '../core/names.js';
import { EnvironmentCipher } from '../core/crypto/environment-cipher.js';
import { newEnvironmentKey, newKeyId } from '../core/crypto/random.js';
import { DEFAULT_KDF, deriveKeyFromPassphrase, type KdfParams } from '../core/crypto/argon2id.js';
import { newEnvironmentRecord, type EnvironmentRecord, type SecretsFile } from '../core/formats/secrets-file.js';
import { genesisLink } from '../core/trust/key-chain.js';
import { writeKeyFile } from '../core/keys/key-file-source.js';
import type { KeySourceKind } from '../core/keys/key-source.js';
import { passphraseFromEnv } from '../core/keys/passphrase-source.js';
import { isHakoError } from '../core/errors.js';
import type { KeychainRequest } from '../core/keychain/keychain.js';
import { homeLabel, KEY_FILE_HOME, keychainHome, storeKeyInKeychain, type KeyHome } from './keychain.js';
import { findProject, loadSecretsFile, openEnvironment, requireEnvironment, updateSecretsFile, type Project } from './project.js';
import { pinEnvironment } from './continuity.js';
import { updatePins } from '../core/trust/pin-store.js';
import { keySourcesFor, nonInteractive, type ServiceContext } from './context.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { storeForPath } from '../core/sops/store.js';
import { dataKeyOf, sopsEncrypt } from './sops.js';
import { bindingPathFor, newBindingRecord, openBoundWithKey, readBoundFile } from './sops-env.js';

export interface NewEnvironment {
  record: EnvironmentRecord;
  key: Buffer;
  /** Where the key was saved: the key file path, or "keychain (<backend>)". */
  keyFile: string;
}

/**
 * Makes a new key (random, or from a passphrase), saves it (a key file, or the keychain
 * given in `home`), returns the record.
 */
export async function makeEnvironment(
  ctx: ServiceContext,
  name: string,
  passphrase?: string,
  kdf: KdfParams = DEFAULT_KDF,
  home: KeyHome = KEY_FILE_HOME,
): Promise<NewEnvironment> {
  const keyId = newKeyId();
  const key = passphrase === undefined ? newEnvironmentKey() : await deriveKeyFromPassphrase(passphrase, keyId, kdf);
  const cipher = new EnvironmentCipher(name, keyId, key);
  const record = newEnvironmentRecord(keyId, cipher.makeCheck(), [genesisLink(name, keyId, key)]);
  if (passphrase !== undefined) record.passphrase = { ...kdf };
  if (home.kind === 'keychain') await storeKeyInKeychain(ctx, home.keychain, name, keyId, key);
  else writeKeyFile(keyId, key, ctx.env);
  return { record, key, keyFile: homeLabel(home, keyId, ctx.env) };
}

/**
 * A new environment. With a keychain `request`, the keychain is chosen and probed before
 * anything is made: when it is not usable nothing changes.
 */
export async function addEnvironment(
  ctx: ServiceContext,
  name: string,
  passphrase?: string,
  request?: KeychainRequest,
): Promise<{ keyId: string; keyFile: string }> {
  assertEnvName(name);
  const project = findProject(ctx);
  if (loadSecretsFile(project).environments.has(name)) throw exists(name);
  const home = request ? await keychainHome(ctx, request) : KEY_FILE_HOME;
  const made = await makeEnvironment(ctx, name, passphrase, DEFAULT_KDF, home);
  await updateSecretsFile(ctx, project, (file) => {
    if (file.environments.has(name)) throw exists(name);
    file.environments.set(name, made.record);
  });
  // The environment this machine just made is the one it trusts under that name (an older pin,
  // of an environment removed before, is replaced).
  await pinEnvironment(ctx, project, name, made.record);
  return { keyId: made.record.keyId, keyFile: made.keyFile };
}

export interface BoundEnvironment {
  keyId: string;
  path: string;
  created: boolean;
  names: string[];
  /** Top-level keys of the file that are not secrets (nested values, other names): left alone. */
  other: string[];
}

/**
 * Binds environment `name` to a SOPS file: an existing one (its data key must open here, its
 * MAC must match) or a new, empty one made with the recipients of the matching `.sops.yaml`
 * creation rule (or `age`). The binding records the key id of the data key and starts its
 * key chain; this machine trusts it from now on.
 */
export async function bindSopsEnvironment(
  ctx: ServiceContext,
  name: string,
  path: string,
  opts: { age?: string[] } = {},
): Promise<BoundEnvironment> {
  assertEnvName(name);
  const project = findProject(ctx);
  if (loadSecretsFile(project).environments.has(name)) throw exists(name);
  const rel = bindingPathFor(ctx, project, path, name);
  const abs = join(project.root, rel);
  const kind = storeForPath(rel);
  if (kind === 'binary')
    throw new HakoError(
      'E_USAGE',
      `${rel} would be a binary SOPS file, which holds one blob, not named values`,
      'name the file .yaml, .json, .env or .ini',
    );
  let created = false;
  if (!existsSync(abs)) {
    const empty = kind === 'json' ? '{}' : kind === 'yaml' ? '{}\n' : '\n';
    const text = await sopsEncrypt(ctx, { path: abs, input: Buffer.from(empty), age: opts.age ?? [] });
    writeFileAtomic(abs, text, { mode: 0o644, dirMode: 0o755 });
    created = true;
  } else if (opts.age?.length) {
    throw new HakoError(
      'E_USAGE',
      `${rel} exists: its recipients are the ones in the file`,
      'drop --age, or add recipients later with hako recipients add',
    );
  }
  const bound = readBoundFile(project, name, rel);
  const dataKey = Buffer.from(await dataKeyOf(ctx, bound.file.metadata, rel));
  const ob = openBoundWithKey(name, bound, dataKey);
  const record = newBindingRecord(name, rel, dataKey);
  await updateSecretsFile(ctx, project, (file) => {
    if (file.environments.has(name)) throw exists(name);
    file.environments.set(name, record);
  });
  await pinEnvironment(ctx, project, name, record);
  return { keyId: record.keyId, path: rel, created, names: [...ob.values.keys()], other: ob.other };
}

function exists(name: string): HakoError {
  return new HakoError(
    'E_EXISTS',
    `environment '${name}' already exists`,
    `list environments with hako env ls; rotate its key with hako key rotate --env ${name}`,
  );
}

export async function removeEnvironment(ctx: ServiceContext, name: string): Promise<{ keyId: string; secrets: number }> {
  assertEnvName(name);
  const project = findProject(ctx);
  const { result } = await updateSecretsFile(ctx, project, (file) => {
    const record = requireEnvironment(file, name);
    file.environments.delete(name);
    return { keyId: record.keyId, secrets: record.secrets.size };
  });
  // Removed on purpose here: what this machine trusted under that name goes with it.
  await updatePins(project.root, ctx.env, (pins) => void pins.environments.delete(name));
  return result;
}

/**
 * Whether this machine opens an environment (and trusts its key): yes (and how), no (and
 * why), or null: a passphrase is there for it but was not checked, since that takes an
 * Argon2 derivation.
 */
export type Access =
  | { opens: true; kind: KeySourceKind; label: string; writable: boolean }
  | { opens: false; code: string; reason: string; hint?: string }
  | { opens: null; kind: 'passphrase'; label: string };

/**
 * Whether this machine can open an environment, without prompting anyone and without
 * deriving a passphrase key: a listing must not spend an Argon2 derivation (seconds and
 * hundreds of MiB, chosen by whoever wrote the file) per environment it shows.
 */
export async function probeAccess(
  ctx: ServiceContext,
  file: SecretsFile,
  env: string,
  project: Project = findProject(ctx),
): Promise<Access> {
  const record = requireEnvironment(file, env);
  try {
    const quiet: ServiceContext = { ...nonInteractive(ctx), keySources: keySourcesFor(ctx).filter((s) => s.kind !== 'passphrase') };
    const opened = await openEnvironment(quiet, project, file, env);
    return { opens: true, kind: opened.kind, label: opened.label, writable: opened.trust.writable };
  } catch (err) {
    if (!isHakoError(err)) throw err;
    if (err.code === 'E_NO_KEY') {
      const given = record.passphrase ? passphraseFromEnv(ctx, env) : null;
      if (given) return { opens: null, kind: 'passphrase', label: given.from };
    }
    return {
      opens: false,
      code: err.code,
      reason: err.code === 'E_NO_KEY' ? 'no key on this machine' : err.message,
      ...(err.hint ? { hint: err.hint } : {}),
    };
  }
}

export interface EnvironmentSummary {
  name: string;
  keyId: string;
  keyKind: 'random' | 'passphrase' | 'sops';
  secrets: number;
  recipients: number;
  access: Access;
}

export async function listEnvironments(ctx: ServiceContext): Promise<EnvironmentSummary[]> {
  const file = loadSecretsFile(findProject(ctx));
  const out: EnvironmentSummary[] = [];
  for (const [name, record] of [...file.environments].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push({
      name,
      keyId: record.keyId,
      keyKind: record.sops ? 'sops' : record.passphrase ? 'passphrase' : 'random',
      secrets: record.secrets.size,
      recipients: record.recipients.size,
      access: await probeAccess(ctx, file, name),
    });
  }
  return out;
}
