/**
 * The agent's state directory and what lives in it.
 *
 * One directory (default /var/lib/hako, or $HAKO_AGENT_DIR) owned by the agent's user, mode
 * 0700: the device key, the server's age identity, the SQLite store (with its WAL), the
 * control socket and the pid file of the running agent. Nothing else reads it: the local CLI
 * talks to the agent through the socket, remote clients through `hako agent rpc` over ssh.
 * Opening it refuses a directory that group or others can enter, as ssh refuses a key file.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { HakoError } from '../core/errors.js';

export const DEFAULT_STATE_DIR = '/var/lib/hako';
export const STATE_DIR_VAR = 'HAKO_AGENT_DIR';

export interface StatePaths {
  dir: string;
  deviceKey: string;
  identity: string;
  db: string;
  socket: string;
  pidFile: string;
}

export function statePaths(dir: string): StatePaths {
  return {
    dir,
    deviceKey: join(dir, 'device.key'),
    identity: join(dir, 'identity.txt'),
    db: join(dir, 'agent.db'),
    socket: join(dir, 'agent.sock'),
    pidFile: join(dir, 'agent.pid'),
  };
}

/** The state directory: an explicit one, else $HAKO_AGENT_DIR, else /var/lib/hako. */
export function stateDirFor(env: NodeJS.ProcessEnv, explicit?: string, cwd = process.cwd()): string {
  const dir = explicit ?? env[STATE_DIR_VAR] ?? DEFAULT_STATE_DIR;
  if (dir === '') throw new HakoError('E_USAGE', `${STATE_DIR_VAR} is empty`, 'unset it, or give the state directory path');
  return isAbsolute(dir) ? dir : resolve(cwd, dir);
}

/** Creates the directory (0700) if needed; an existing one must be a private directory. */
export function ensureStateDir(dir: string): StatePaths {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, statSync(dir).mode & 0o700);
  } catch (err) {
    throw new HakoError(
      'E_IO',
      `cannot create the agent directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      'check the parent folder is writable by the agent user, or set HAKO_AGENT_DIR',
    );
  }
  return openStateDir(dir);
}

/** An existing state directory, checked: a directory, not open to group or others. */
export function openStateDir(dir: string): StatePaths {
  let mode: number;
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) throw new HakoError('E_AGENT', `${dir} is not a directory`, 'point HAKO_AGENT_DIR at the agent directory');
    mode = st.mode;
  } catch (err) {
    if (err instanceof HakoError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new HakoError('E_AGENT', `no agent directory at ${dir}`, 'set one up with `hako agent init` (or point HAKO_AGENT_DIR at it)');
    }
    throw new HakoError('E_IO', `cannot open ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'run as the agent user');
  }
  if ((mode & 0o077) !== 0) {
    throw new HakoError(
      'E_KEY_PERMS',
      `the agent directory ${dir} is open to other users (mode ${(mode & 0o777).toString(8)})`,
      `restrict it: chmod 700 ${dir}`,
    );
  }
  return statePaths(dir);
}
