/**
 * `hako init --direnv`: an `.envrc` at the project root that loads one environment. An
 * existing `.envrc` is never overwritten: one that already holds a hako block is left as it
 * is, and any other is refused, with the block to add by hand (`--print`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HakoError } from '../core/errors.js';
import { assertEnvName, assertSecretName } from '../core/names.js';
import { ENVRC_MARKER, envrcBlock } from '../core/formats/envrc.js';
import { findProject } from './project.js';
import type { ServiceContext } from './context.js';

export interface DirenvSetup {
  path: string;
  created: boolean;
}

export function direnvBlock(env: string, allowed: Iterable<string>): string {
  return envrcBlock(assertEnvName(env), [...allowed].map(assertSecretName).sort());
}

export function writeEnvrc(ctx: ServiceContext, env: string, allowed: Iterable<string>): DirenvSetup {
  const text = direnvBlock(env, allowed);
  const path = join(findProject(ctx).root, '.envrc');
  if (existsSync(path)) {
    let existing = '';
    try {
      existing = readFileSync(path, 'utf8');
    } catch (err) {
      throw new HakoError('E_IO', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check its permissions');
    }
    if (existing.includes(ENVRC_MARKER)) return { path, created: false };
    throw new HakoError(
      'E_EXISTS',
      `${path} already exists and has no hako block; hako does not change it`,
      `append the block yourself: hako init --direnv --env ${env} --print >> .envrc, then direnv allow`,
    );
  }
  try {
    writeFileSync(path, text, { flag: 'wx', mode: 0o644 }); // never replaces a file made meanwhile
  } catch (err) {
    throw new HakoError(
      'E_IO',
      `could not write ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      'check the folder is writable',
    );
  }
  return { path, created: true };
}
