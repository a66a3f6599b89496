/**
 * Where this machine's age identities are, in this order, the way sops looks
 * for them (so a machine set up for sops needs nothing more):
 *   1. HAKO_AGE_KEY                  identities, separated by blanks, commas or lines
 *   2. SOPS_AGE_KEY                  the same
 *   3. SOPS_AGE_KEY_FILE             an identity file (one per line, `#` comments)
 *   4. SOPS_AGE_KEY_CMD              a command whose output is an identity file
 *   5. the default keys file         $XDG_CONFIG_HOME/sops/age/keys.txt, else
 *                                    ~/.config/sops/age/keys.txt (macOS without XDG_CONFIG_HOME:
 *                                    ~/Library/Application Support/sops/age/keys.txt)
 *   6. SOPS_AGE_SSH_PRIVATE_KEY_FILE an OpenSSH ed25519 private key
 *   7. ~/.ssh/id_ed25519
 * Identities hako keeps in the OS keychain are added between 5 and 6 by the identity
 * source (age-identity-source.ts), which can wait for the keychain; this module cannot.
 * This module only finds and reads text; it loads no cryptography, so a command that never
 * needs an identity pays nothing. Files must be private (0600); a variable that names a
 * missing file, a command that fails, a file others can read: each is a problem to report,
 * because the person asked for that source. A default location that does not exist is not.
 */
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { HakoError } from '../errors.js';
import { readPrivateFile } from '../fs/private-file.js';
import { splitShellWords } from '../formats/shell-words.js';
import { withoutKeyMaterial } from './key-material.js';

export type IdentityTextFormat = 'words' | 'lines' | 'ssh';

export interface IdentityText {
  /** Where it came from, for people: a variable, a path, or both. Never the key. */
  origin: string;
  format: IdentityTextFormat;
  text: string;
  /** Named by a variable (a problem is an error) rather than found at a default location. */
  explicit: boolean;
}

export interface Discovery {
  texts: IdentityText[];
  problems: HakoError[];
  /** The places that had nothing, for "no age identity" messages. */
  looked: string[];
}

function home(env: NodeJS.ProcessEnv): string {
  return env['HOME'] || homedir();
}

/** The user's sops age key file: where sops looks, and where `hako keygen` writes. */
export function defaultAgeKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CONFIG_HOME'];
  if (xdg && isAbsolute(xdg)) return join(xdg, 'sops', 'age', 'keys.txt');
  if (process.platform === 'darwin') return join(home(env), 'Library', 'Application Support', 'sops', 'age', 'keys.txt');
  if (process.platform === 'win32' && env['APPDATA']) return join(env['APPDATA'], 'sops', 'age', 'keys.txt');
  return join(home(env), '.config', 'sops', 'age', 'keys.txt');
}

export function defaultSshKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(home(env), '.ssh', 'id_ed25519');
}

export function discoverIdentityTexts(env: NodeJS.ProcessEnv): Discovery {
  const d: Discovery = { texts: [], problems: [], looked: [] };
  const attempt = (f: () => void) => {
    try {
      f();
    } catch (err) {
      if (err instanceof HakoError) d.problems.push(err);
      else throw err;
    }
  };

  for (const name of ['HAKO_AGE_KEY', 'SOPS_AGE_KEY']) {
    const v = env[name];
    if (v && v.trim()) d.texts.push({ origin: name, format: 'words', text: v, explicit: true });
    else d.looked.push(name);
  }

  const keyFile = env['SOPS_AGE_KEY_FILE'];
  if (keyFile)
    attempt(() =>
      d.texts.push({
        origin: `SOPS_AGE_KEY_FILE (${keyFile})`,
        format: 'lines',
        text: mustRead(keyFile, 'SOPS_AGE_KEY_FILE'),
        explicit: true,
      }),
    );
  else d.looked.push('SOPS_AGE_KEY_FILE');

  const cmd = env['SOPS_AGE_KEY_CMD'];
  if (cmd && cmd.trim())
    attempt(() => d.texts.push({ origin: 'SOPS_AGE_KEY_CMD', format: 'lines', text: runKeyCommand(cmd, env), explicit: true }));
  else d.looked.push('SOPS_AGE_KEY_CMD');

  const defaultFile = defaultAgeKeyFile(env);
  attempt(() => {
    const bytes = readPrivateFile(defaultFile);
    if (bytes) d.texts.push({ origin: defaultFile, format: 'lines', text: bytes.toString('utf8'), explicit: false });
    else d.looked.push(defaultFile);
  });

  const sshFile = env['SOPS_AGE_SSH_PRIVATE_KEY_FILE'];
  if (sshFile)
    attempt(() =>
      d.texts.push({
        origin: `SOPS_AGE_SSH_PRIVATE_KEY_FILE (${sshFile})`,
        format: 'ssh',
        text: mustRead(sshFile, 'SOPS_AGE_SSH_PRIVATE_KEY_FILE'),
        explicit: true,
      }),
    );
  else d.looked.push('SOPS_AGE_SSH_PRIVATE_KEY_FILE');

  const sshDefault = defaultSshKeyFile(env);
  attempt(() => {
    const bytes = readPrivateFile(sshDefault);
    if (bytes) d.texts.push({ origin: sshDefault, format: 'ssh', text: bytes.toString('utf8'), explicit: false });
    else d.looked.push(sshDefault);
  });
  return d;
}

function mustRead(path: string, variable: string): string {
  const bytes = readPrivateFile(path);
  if (!bytes) throw new HakoError('E_AGE', `${variable} names ${path}, which does not exist`, `fix or unset ${variable}`);
  return bytes.toString('utf8');
}

/**
 * Runs SOPS_AGE_KEY_CMD (split like sops does, no shell) and returns what it prints. Its
 * stderr and stdin are the user's (it may ask for a password); it never gets key material
 * from hako's environment. A failure is an error, not "no identity".
 */
function runKeyCommand(cmd: string, env: NodeJS.ProcessEnv): string {
  const argv = splitShellWords(cmd, 'SOPS_AGE_KEY_CMD');
  if (argv.length === 0)
    throw new HakoError('E_AGE', 'SOPS_AGE_KEY_CMD is empty', 'unset it or give a command that prints an age identity');
  const program = basename(argv[0]!);
  const r = spawnSync(argv[0]!, argv.slice(1), {
    env: withoutKeyMaterial(env),
    stdio: ['inherit', 'pipe', 'inherit'],
    maxBuffer: 1024 * 1024,
  });
  if (r.error) {
    throw new HakoError(
      'E_AGE',
      `SOPS_AGE_KEY_CMD: cannot run ${program} (${(r.error as NodeJS.ErrnoException).code ?? 'error'})`,
      'check the command in SOPS_AGE_KEY_CMD, or unset it',
    );
  }
  if (r.signal || r.status !== 0) {
    throw new HakoError(
      'E_AGE',
      `SOPS_AGE_KEY_CMD: ${program} ${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.status}`}`,
      'run the command yourself to see why, or unset SOPS_AGE_KEY_CMD',
    );
  }
  return r.stdout.toString('utf8');
}
