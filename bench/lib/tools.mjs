/**
 * The programs the bench runs and the clean environments it runs them in. Every command
 * gets only PATH and its own HOME, so nothing from the machine (keys, config, a logged-in
 * dotenvx account) changes what is measured.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI, run through its shebang as a user runs it. */
export const HAKO_BIN = join(REPO_ROOT, 'build', 'cli', 'hako.cjs');
export const DOTENVX_BIN = join(REPO_ROOT, 'node_modules', '@dotenvx', 'dotenvx', 'src', 'cli', 'dotenvx.js');
export const DOTENVX = join(REPO_ROOT, 'node_modules', '.bin', 'dotenvx');

function baseEnv() {
  const env = {};
  for (const k of ['PATH', 'LANG', 'TMPDIR']) if (process.env[k]) env[k] = process.env[k];
  return env;
}

export function hakoEnv(home, extra = {}) {
  return { ...baseEnv(), HOME: home, HAKO_HOME: home, ...extra };
}

/**
 * dotenvx with its network features off: no Armor (its hosted key store, which also sends
 * events in the background), no OS keychain, 1Password or Bitwarden look-ups, and its
 * settings kept in a folder of the bench's own, so no logged-in session is found.
 */
export function dotenvxEnv(configDir) {
  return {
    ...baseEnv(),
    HOME: configDir,
    DOTENVX_CONFIG: configDir,
    DOTENVX_NO_ARMOR: 'true',
    DOTENVX_NO_NATIVE: 'true',
    DOTENVX_NO_1PASSWORD: 'true',
    DOTENVX_NO_BITWARDEN: 'true',
  };
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** Stops early, with what to do, when something the bench needs is missing. */
export function checkPrerequisites() {
  const missing = [];
  if (!onPath('hyperfine')) missing.push('hyperfine (Debian/Ubuntu: apt-get install hyperfine)');
  if (!onPath('argon2')) missing.push('the argon2 CLI (Debian/Ubuntu: apt-get install argon2)');
  if (!existsSync(HAKO_BIN)) missing.push('the built CLI (npm run build)');
  if (!existsSync(DOTENVX_BIN)) missing.push('@dotenvx/dotenvx (npm install: it is a dev dependency)');
  if (missing.length) {
    throw new Error(`the bench needs:\n  ${missing.join('\n  ')}`);
  }
}
