/**
 * One agent per state directory: `agent.pid` is created exclusively and holds the pid and
 * process start time of the running agent. A file whose process is gone (or whose pid now
 * names another process) was left by a killed agent and is replaced.
 */
import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { HakoError } from '../core/errors.js';
import { procStat } from './process-info.js';

export function claimPidFile(path: string): () => void {
  const me = { pid: process.pid, startTime: procStat(process.pid)?.startTime ?? '?' };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(me));
      } finally {
        closeSync(fd);
      }
      return () => {
        try {
          const now = JSON.parse(readFileSync(path, 'utf8')) as { pid?: number };
          if (now.pid === me.pid) unlinkSync(path);
        } catch {
          /* gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new HakoError(
          'E_IO',
          `cannot create ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
          'check the agent directory is writable',
        );
      }
    }
    const owner = runningOwner(path);
    if (owner !== null) {
      throw new HakoError(
        'E_LOCKED',
        `an agent is already running for this directory (pid ${owner})`,
        'stop it first (systemctl stop hako-agent), or use another HAKO_AGENT_DIR',
      );
    }
    try {
      unlinkSync(path);
    } catch {
      /* someone else removed it */
    }
  }
  throw new HakoError('E_LOCKED', `cannot claim ${path}`, 'another agent is starting at the same time');
}

/** The pid of the live agent that owns the file, or null when it is stale. */
export function runningOwner(path: string): number | null {
  let o: { pid?: unknown; startTime?: unknown };
  try {
    o = JSON.parse(readFileSync(path, 'utf8')) as typeof o;
  } catch {
    return null;
  }
  if (typeof o.pid !== 'number') return null;
  const st = procStat(o.pid);
  return st && st.state !== 'Z' && st.startTime === o.startTime ? o.pid : null;
}
