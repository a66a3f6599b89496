/**
 * Is the process that left something behind (a lock, a temp file, a private folder) still
 * running? A pid alone can be reused, so where the system tells it (Linux /proc) the
 * process's start time and the boot id are recorded with it and compared.
 */
import { readFileSync } from 'node:fs';

/** Whether a process id names a live process on this machine (EPERM: alive, not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]);
    return Number.isSafeInteger(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

let boot: string | null | undefined;

/** The kernel's boot id (Linux), or undefined. */
export function bootId(): string | undefined {
  if (boot === undefined) {
    try {
      boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      boot = null;
    }
  }
  return boot ?? undefined;
}

/**
 * True while the process `pid` that started at `started` (clock ticks since boot, when
 * known) still runs: a dead pid, or one now held by a process that started at another
 * time, is gone.
 */
export function sameProcessAlive(pid: number, started: number | undefined): boolean {
  if (!processAlive(pid)) return false;
  if (started === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === started;
}
