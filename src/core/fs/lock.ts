/**
 * A lock file beside the file it guards (`<file>.lock`), created with O_EXCL.
 *
 * It holds the owner's pid, host, boot id and process start time, and when it was taken.
 * A waiter polls with jitter. A lock is stale, and is broken under a second exclusive
 * "breaker" file (so two waiters never both break and both enter), when:
 * - its owner ran on this machine in this boot and that process is gone (killed with
 *   SIGKILL, say), or its pid now belongs to a process that started at another time;
 * - it comes from this host's earlier boot (the owner cannot be running);
 * - it comes from another machine (a lock file committed to git, or a folder shared over the
 *   network) and was taken more than OTHER_MACHINE_MAX_AGE_MS ago by its own record: a write
 *   holds the lock for well under a second, so only a dead or foreign writer is that old.
 *   A file without a time (an older hako's) counts as old.
 * A lock held by a live process past the timeout is an E_LOCKED error with a hint that
 * names the owner and how to clear a lock that is not live.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HakoError } from '../errors.js';
import { bootId, processAlive, processStartTime } from './process-alive.js';

export type StaleReason = 'dead' | 'rebooted' | 'other-machine' | 'unreadable';

export interface StaleLock {
  pid: number | null;
  host: string | null;
  path: string;
  reason: StaleReason;
}

export interface LockOptions {
  timeoutMs?: number;
  onStaleLock?: (info: StaleLock) => void;
}

interface Owner {
  pid: number;
  host: string;
  token: string;
  /** The kernel's boot id (Linux), to tell this boot from an earlier one. */
  boot?: string;
  /** The owner's start time in clock ticks since boot (Linux), to tell a reused pid. */
  started?: number;
  /** When the lock was taken, ms since the epoch. */
  time?: number;
}

const UNREADABLE_GRACE_MS = 5_000;
export const OTHER_MACHINE_MAX_AGE_MS = 120_000;

/** The notice a service prints when a stale lock was removed. */
export function staleLockNotice(info: StaleLock): string {
  switch (info.reason) {
    case 'other-machine':
      return `removed a stale lock from another machine (${info.host ?? 'unknown host'}${info.pid ? `, pid ${info.pid}` : ''}); if ${shownPath(info.path)} is committed, remove it from git: git rm --cached ${shownPath(info.path)}`;
    case 'rebooted':
      return `removed a stale lock left before this machine restarted${info.pid ? ` (pid ${info.pid})` : ''}`;
    default:
      return `removed a stale lock left by a hako that died${info.pid ? ` (pid ${info.pid})` : ''}`;
  }
}

/** `.hako/secrets.json.lock`: the lock's path from the folder above its own, as git shows it. */
function shownPath(path: string): string {
  return relative(dirname(dirname(path)), path) || basename(path);
}

export async function withFileLock<T>(target: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const path = `${target}.lock`;
  const token = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const me: Owner = { pid: process.pid, host: hostname(), token, ...thisProcess(), time: Date.now() };
  const deadline = Date.now() + (opts.timeoutMs ?? defaultTimeout());
  let delay = 5;
  while (!tryCreate(path, me)) {
    const owner = readOwner(path);
    const stale = staleReason(path, owner);
    if (stale) {
      if (breakStale(path, owner)) opts.onStaleLock?.({ pid: owner?.pid ?? null, host: owner?.host ?? null, path, reason: stale });
      continue;
    }
    if (Date.now() > deadline) throw lockedError(target, path, owner, me);
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

function lockedError(target: string, path: string, owner: Owner | null, me: Owner): HakoError {
  if (owner && owner.host !== me.host) {
    const age = Math.max(0, Math.round((Date.now() - (owner.time ?? 0)) / 1000));
    return new HakoError(
      'E_LOCKED',
      `${target} is locked by another hako (pid ${owner.pid} on ${owner.host}, taken ${age} s ago)`,
      `if no hako is writing on ${owner.host}, the lock is left over: remove ${path} (if it was committed: git rm --cached ${shownPath(path)}); it counts as stale ${OTHER_MACHINE_MAX_AGE_MS / 1000} s after it was taken`,
    );
  }
  return new HakoError(
    'E_LOCKED',
    `${target} is locked by another hako (pid ${owner?.pid ?? 'unknown'})`,
    `wait for it to finish and try again; if no hako is running, remove ${path}`,
  );
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
      const owner: Owner = { pid: o.pid, host: o.host, token: o.token };
      if (typeof o.boot === 'string') owner.boot = o.boot;
      if (typeof o.started === 'number') owner.started = o.started;
      if (typeof o.time === 'number') owner.time = o.time;
      return owner;
    }
  } catch {
    /* missing, half written or foreign */
  }
  return null;
}

function staleReason(path: string, owner: Owner | null): StaleReason | null {
  if (owner === null) {
    // Being written this very moment, or left empty by a crash: judge by age.
    try {
      return Date.now() - statSync(path).mtimeMs > UNREADABLE_GRACE_MS ? 'unreadable' : null;
    } catch {
      return null; // gone: the next create attempt will tell
    }
  }
  if (owner.host !== hostname()) {
    // Nothing here can check a process on another machine; its record says when it was taken.
    return Math.abs(Date.now() - (owner.time ?? 0)) > OTHER_MACHINE_MAX_AGE_MS ? 'other-machine' : null;
  }
  const here = thisProcess();
  if (owner.boot !== undefined && here.boot !== undefined && owner.boot !== here.boot) return 'rebooted';
  if (!processAlive(owner.pid)) return 'dead';
  if (owner.started !== undefined) {
    const started = processStartTime(owner.pid);
    if (started !== undefined && started !== owner.started) return 'dead'; // the pid was reused
  }
  return null;
}

let self: { boot?: string; started?: number } | undefined;

/** This process's boot id and start time, where the system tells them (Linux /proc). */
function thisProcess(): { boot?: string; started?: number } {
  if (self) return self;
  self = {};
  const boot = bootId();
  if (boot !== undefined) self.boot = boot;
  const started = processStartTime(process.pid);
  if (started !== undefined) self.started = started;
  return self;
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
