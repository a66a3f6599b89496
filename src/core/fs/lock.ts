/**
 * A lock file beside the file it guards (`<file>.lock`), created with O_EXCL.
 *
 * It holds the owner's pid and host. A waiter polls with jitter; when the owner is a dead
 * process on this host (killed with SIGKILL, say) the lock is stale and is broken, under a
 * second exclusive "breaker" file so two waiters never both break and both enter. A lock
 * held by a live process past the timeout is an E_LOCKED error with a hint.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { HakoError } from '../errors.js';
import { processAlive } from './process-alive.js';

export interface LockOptions {
  timeoutMs?: number;
  onStaleLock?: (info: { pid: number | null; path: string }) => void;
}

interface Owner {
  pid: number;
  host: string;
  token: string;
}

const UNREADABLE_GRACE_MS = 5_000;

export async function withFileLock<T>(target: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const path = `${target}.lock`;
  const token = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const me: Owner = { pid: process.pid, host: hostname(), token };
  const deadline = Date.now() + (opts.timeoutMs ?? defaultTimeout());
  let delay = 5;
  while (!tryCreate(path, me)) {
    const owner = readOwner(path);
    if (isStale(path, owner)) {
      if (breakStale(path, owner)) opts.onStaleLock?.({ pid: owner?.pid ?? null, path });
      continue;
    }
    if (Date.now() > deadline) {
      throw new HakoError(
        'E_LOCKED',
        `${target} is locked by another hako (pid ${owner?.pid ?? 'unknown'}${owner && owner.host !== me.host ? ` on ${owner.host}` : ''})`,
        `wait for it to finish and try again; if no hako is running, remove ${path}`,
      );
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await fn();
  } finally {
    const owner = readOwner(path);
    if (owner && owner.token === token) {
      try {
        unlinkSync(path);
      } catch {
        /* already removed */
      }
    }
  }
}

function defaultTimeout(): number {
  const v = Number(process.env['HAKO_LOCK_TIMEOUT_MS']);
  return Number.isFinite(v) && v > 0 ? v : 60_000;
}

function tryCreate(path: string, owner: Owner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    throw new HakoError('E_IO', `could not create lock ${path}: ${code ?? 'error'}`, 'check the folder is writable');
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOwner(path: string): Owner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Partial<Owner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.token === 'string') {
      return { pid: o.pid, host: o.host, token: o.token };
    }
  } catch {
    /* missing, half written or foreign */
  }
  return null;
}

function isStale(path: string, owner: Owner | null): boolean {
  if (owner === null) {
    // Being written this very moment, or left empty by a crash: judge by age.
    try {
      return Date.now() - statSync(path).mtimeMs > UNREADABLE_GRACE_MS;
    } catch {
      return false; // gone: the next create attempt will tell
    }
  }
  if (owner.host !== hostname()) return false;
  return !processAlive(owner.pid);
}

/** Removes the stale lock if it is still the one we judged; true when we removed it. */
function breakStale(path: string, judged: Owner | null): boolean {
  const breaker = `${path}.break`;
  let fd: number;
  try {
    fd = openSync(breaker, 'wx', 0o600);
  } catch {
    // Someone else is breaking it; a breaker left by a crash is removed when old.
    try {
      if (Date.now() - statSync(breaker).mtimeMs > UNREADABLE_GRACE_MS) unlinkSync(breaker);
    } catch {
      /* gone */
    }
    return false;
  }
  closeSync(fd);
  try {
    const now = readOwner(path);
    const same = judged === null ? now === null : now !== null && now.token === judged.token;
    if (!same) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  } finally {
    try {
      unlinkSync(breaker);
    } catch {
      /* gone */
    }
  }
}
