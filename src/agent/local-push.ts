/**
 * `hako agent push --env E`: sends one environment of a checkout on this server to the local
 * agent, exactly as `hako sync` does over ssh: the entry as the repository holds it (read
 * from the file's JSON, not re-encoded) and its fingerprint. Nothing is decrypted here.
 */
import { HakoError } from '../core/errors.js';
import { entryHash } from '../core/formats/entry-hash.js';
import { assertEnvName } from '../core/names.js';
import { findProject, readSecretsText } from '../services/project.js';

export interface EntryToPush {
  env: string;
  entry: Record<string, unknown>;
  hash: string;
}

export function entryFromProject(ctx: { cwd: string; env: NodeJS.ProcessEnv }, env: string): EntryToPush {
  assertEnvName(env);
  const text = readSecretsText(findProject(ctx));
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    throw new HakoError('E_FORMAT', '.hako/secrets.json is not JSON', 'restore the file from git');
  }
  const envs = (root as { environments?: Record<string, unknown> } | null)?.environments;
  const entry = envs && Object.prototype.hasOwnProperty.call(envs, env) ? envs[env] : undefined;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new HakoError('E_NO_ENV', `no environment '${env}' in this project`, 'check the name with hako env ls');
  }
  return { env, entry: entry as Record<string, unknown>, hash: entryHash(env, entry) };
}
