/**
 * What /proc says about a process: its start time (field 22 of /proc/<pid>/stat, in clock
 * ticks since boot) and its process group. A pid alone can be reused; pid + start time names
 * one process for the life of the machine, which is how a restarted agent tells the
 * instances a killed predecessor left from unrelated processes that got the same pid.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  pgid: number;
  startTime: string;
  state: string;
}

export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); field n is at index n - 3.
  const pgid = Number(fields[5 - 3]);
  const startTime = fields[22 - 3];
  if (!Number.isInteger(pgid) || startTime === undefined) return null;
  return { pid, pgid, startTime, state: fields[0] ?? '?' };
}

/** Every live process whose process group is `pgid` (zombies excluded). */
export function groupMembers(pgid: number): ProcStat[] {
  const out: ProcStat[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st && st.pgid === pgid && st.state !== 'Z') out.push(st);
  }
  return out;
}

/** Sends `signal` to a whole process group; false when the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
