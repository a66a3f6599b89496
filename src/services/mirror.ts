/**
 * The local runner mirror: one checkout's secrets, opened once with the repository's key and
 * kept under $HAKO_HOME for tools that emulate GitHub Actions locally and for offline runs.
 *
 * - `hako mirror sync --env E` opens E (fail closed) and stores its values in
 *   `$HAKO_HOME/mirror/<workspace-hash>.json` (0600, folder 0700), encrypted with a key derived
 *   from RUNNER_SECRETS_KEY (mirror-cipher.ts). Without RUNNER_SECRETS_KEY it refuses, unless
 *   told --plaintext-cache, and the result says the values are in plaintext. Each environment
 *   synced is kept beside the others.
 * - Readers: `hako run --mirror` (no repository key needed, no network), and
 *   `hako mirror secret-file`, act's secret-file format on stdout, for a pipe.
 * - `hako mirror status` reads only what the file shows without a key; `hako mirror rm`
 *   overwrites the file with zeros before removing it.
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { HakoError } from '../core/errors.js';
import { assertEnvName } from '../core/names.js';
import { readPrivateFile } from '../core/fs/private-file.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { withFileLock } from '../core/fs/lock.js';
import { openMirror, sealMirror } from '../core/crypto/mirror-cipher.js';
import { encodeMirrorFile, parseMirrorFile, parseSecrets, type MirrorFile, type MirrorSecrets } from '../core/formats/mirror-file.js';
import { findProject } from './project.js';
import { revealEnvironment } from './secrets.js';
import { workspaceStatePath } from './workspace.js';
import type { ServiceContext } from './context.js';

export const MIRROR_KEY_VAR = 'RUNNER_SECRETS_KEY';
const MIN_KEY_CHARS = 16;

export function mirrorPath(ctx: ServiceContext): { root: string; path: string } {
  const root = findProject(ctx).root;
  return { root, path: workspaceStatePath(ctx.env, 'mirror', root) };
}

function mirrorKey(ctx: ServiceContext): string | null {
  const key = ctx.env[MIRROR_KEY_VAR];
  if (key === undefined || key === '') return null;
  if ([...key].length < MIN_KEY_CHARS) {
    throw new HakoError(
      'E_INVALID_VALUE',
      `${MIRROR_KEY_VAR} is shorter than ${MIN_KEY_CHARS} characters`,
      'use a long random one, e.g. RUNNER_SECRETS_KEY="$(openssl rand -base64 32)", kept in your password manager',
    );
  }
  return key;
}

function load(path: string): MirrorFile | null {
  const bytes = readPrivateFile(path);
  return bytes === null ? null : parseMirrorFile(bytes.toString('utf8'), path);
}

/** Every environment's values in `file`; throws when they cannot be read with `key`. */
function secretsOf(file: MirrorFile, key: string | null, path: string): MirrorSecrets {
  if (!file.sealed) return file.secrets ?? {};
  if (key === null) {
    throw new HakoError(
      'E_NO_KEY',
      `the runner mirror is encrypted and ${MIRROR_KEY_VAR} is not set`,
      `set ${MIRROR_KEY_VAR} to the key it was synced with`,
    );
  }
  const plain = openMirror(key, file.sealed);
  if (plain === null) {
    throw new HakoError(
      'E_WRONG_KEY',
      `${MIRROR_KEY_VAR} does not open the runner mirror (another key, or the file was changed)`,
      'use the key it was synced with, or remove it (hako mirror rm) and sync again',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(plain.toString('utf8'));
  } catch {
    throw new HakoError('E_FORMAT', `${path}: the decrypted mirror is not JSON`, 'remove it with hako mirror rm and sync again');
  }
  return parseSecrets(raw, path);
}

export interface SyncResult {
  path: string;
  env: string;
  names: string[];
  encrypted: boolean;
  /** Other environments kept in the mirror. */
  kept: string[];
}

export async function syncMirror(ctx: ServiceContext, env: string, plaintextCache: boolean): Promise<SyncResult> {
  assertEnvName(env);
  const key = mirrorKey(ctx);
  if (key !== null && plaintextCache) {
    throw new HakoError('E_USAGE', `${MIRROR_KEY_VAR} is set and --plaintext-cache asks for no encryption`, 'drop one of the two');
  }
  if (key === null && !plaintextCache) {
    throw new HakoError(
      'E_NO_KEY',
      `${MIRROR_KEY_VAR} is not set: the mirror would hold the values of '${env}' in plaintext`,
      `set ${MIRROR_KEY_VAR} (e.g. "$(openssl rand -base64 32)") to encrypt it, or add --plaintext-cache to keep an unencrypted copy on purpose`,
    );
  }
  const { path } = mirrorPath(ctx);
  const values = await revealEnvironment(ctx, env); // fail closed: all values open, or nothing is written
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return withFileLock(path, () => {
    const old = load(path);
    if (old?.sealed && key === null) {
      throw new HakoError(
        'E_USAGE',
        'the runner mirror is encrypted; --plaintext-cache would write it unencrypted',
        `set ${MIRROR_KEY_VAR}, or hako mirror rm first`,
      );
    }
    const secrets = old ? secretsOf(old, key, path) : {};
    const environments = { ...(old?.environments ?? {}) };
    for (const e of Object.keys(environments)) if (!secrets[e]) delete environments[e];
    secrets[env] = Object.fromEntries(values);
    environments[env] = { names: [...values.keys()], synced_at: new Date().toISOString() };
    const file: MirrorFile =
      key === null
        ? { environments, sealed: null, secrets }
        : { environments, sealed: sealMirror(key, Buffer.from(JSON.stringify(secrets), 'utf8')), secrets: null };
    writeFileAtomic(path, encodeMirrorFile(file), { mode: 0o600, dirMode: 0o700 });
    return {
      path,
      env,
      names: [...values.keys()],
      encrypted: key !== null,
      kept: Object.keys(environments)
        .filter((e) => e !== env)
        .sort(),
    };
  });
}

/** The values of `env` from the mirror: no repository key, no network. */
export function readMirror(ctx: ServiceContext, env: string): Map<string, string> {
  assertEnvName(env);
  const { path } = mirrorPath(ctx);
  const file = load(path);
  if (!file) {
    throw new HakoError(
      'E_NO_ENV',
      'this checkout has no runner mirror',
      `make one where the key is at hand: hako mirror sync --env ${env}`,
    );
  }
  const values = secretsOf(file, mirrorKey(ctx), path)[env];
  if (!values) {
    throw new HakoError(
      'E_NO_ENV',
      `environment '${env}' is not in the runner mirror`,
      `mirrored: ${Object.keys(file.environments).join(', ') || 'none'}; add it with hako mirror sync --env ${env}`,
    );
  }
  return new Map(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export interface MirrorStatus {
  path: string;
  exists: boolean;
  encrypted: boolean;
  mode: number | null;
  environments: { env: string; names: string[]; syncedAt: string; ageSeconds: number | null }[];
}

export function mirrorStatus(ctx: ServiceContext, now = Date.now()): MirrorStatus {
  const { path } = mirrorPath(ctx);
  let mode: number | null = null;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return { path, exists: false, encrypted: false, mode: null, environments: [] };
  }
  const file = load(path);
  const environments = Object.entries(file?.environments ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([env, m]) => {
      const t = Date.parse(m.synced_at);
      return { env, names: m.names, syncedAt: m.synced_at, ageSeconds: Number.isNaN(t) ? null : Math.max(0, Math.round((now - t) / 1000)) };
    });
  return { path, exists: true, encrypted: file?.sealed !== null, mode, environments };
}

/** Overwrites the mirror with zeros, syncs, removes it. */
export function removeMirror(ctx: ServiceContext): { path: string; removed: boolean } {
  const { path } = mirrorPath(ctx);
  let size: number;
  try {
    const st = lstatSync(path);
    if (!st.isFile()) throw new HakoError('E_IO', `${path} is not a file`, 'remove it by hand');
    size = st.size;
  } catch (err) {
    if (err instanceof HakoError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, removed: false };
    throw new HakoError('E_IO', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check its permissions');
  }
  try {
    const fd = openSync(path, 'r+');
    try {
      const zeros = Buffer.alloc(Math.min(size, 1 << 20));
      for (let off = 0; off < size; off += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, size - off), off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    unlinkSync(path);
    rmSync(`${path}.lock`, { force: true });
  } catch (err) {
    throw new HakoError('E_IO', `cannot remove ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'remove it by hand');
  }
  return { path, removed: true };
}
