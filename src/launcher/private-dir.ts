/**
 * A private folder for plaintext that must exist as a file for a while (an edit session,
 * `--via files`), mode 0700, files 0600 or 0400. Removal overwrites each file before
 * unlinking it; it is idempotent, so exit paths and signal handlers may all call it.
 *
 * In memory, or not at all unless told: the folder goes in $XDG_RUNTIME_DIR or /dev/shm only
 * when that folder is on tmpfs or ramfs (statfs), checked before any plaintext is written.
 * Where neither is, creation fails with E_NOT_IN_MEMORY, unless the caller allows disk
 * (`--allow-disk`), in which case the system temp folder is used and `onTmpfs` is false.
 *
 * Leftovers: the folder's name holds its creator's pid and start time
 * (`hako-run-<pid>.<start>-XXXXXX`, `hako-edit-…`, `hako-sops-…`). Each new folder first sweeps the base for hako's own
 * folders (that name pattern, a directory owned by this user) whose creator is gone (a hako
 * killed with SIGKILL), scrubbing and removing them. Folders of live processes, of other
 * users, and anything else are left alone.
 */
import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  rmdirSync,
  statSync,
  statfsSync,
  unlinkSync,
  writeSync,
  chmodSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { HakoError } from '../core/errors.js';
import { processStartTime, sameProcessAlive } from '../core/fs/process-alive.js';

export interface PrivateDir {
  readonly path: string;
  readonly onTmpfs: boolean;
  writeFile(name: string, data: string | Uint8Array, mode?: number): string;
  remove(): void;
}

export interface PrivateDirOptions {
  /** Accept a folder on disk where no memory-backed one exists. */
  allowDisk?: boolean;
  /** Told when a candidate was passed over (XDG_RUNTIME_DIR on disk) or folders were swept. */
  notice?: (message: string) => void;
}

/** statfs magic numbers of the memory-backed file systems (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

function usable(dir: string | undefined): dir is string {
  if (!dir) return false;
  try {
    if (!statSync(dir).isDirectory()) return false;
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when `dir` is on tmpfs or ramfs (Linux); false where that cannot be told. */
export function inMemory(dir: string): boolean {
  try {
    const type = Number(statfsSync(dir).type);
    return type === TMPFS_MAGIC || type === RAMFS_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Where private folders go: the first of $XDG_RUNTIME_DIR and /dev/shm that is usable and in
 * memory; else the system temp folder when disk is allowed; else E_NOT_IN_MEMORY.
 */
export function privateBase(env: NodeJS.ProcessEnv = process.env, opts: PrivateDirOptions = {}): { base: string; onTmpfs: boolean } {
  const looked: string[] = [];
  for (const [label, candidate] of [
    ['$XDG_RUNTIME_DIR', env['XDG_RUNTIME_DIR']],
    ['/dev/shm', '/dev/shm'],
  ] as const) {
    if (!candidate) {
      looked.push(`${label} is not set`);
      continue;
    }
    if (!usable(candidate)) {
      looked.push(`${label} (${candidate}) is not a writable folder`);
      continue;
    }
    if (inMemory(candidate)) {
      if (label === '/dev/shm' && env['XDG_RUNTIME_DIR']) opts.notice?.(`${looked[0]}; using /dev/shm`);
      return { base: candidate, onTmpfs: true };
    }
    looked.push(`${label} (${candidate}) is on disk, not in memory`);
  }
  if (opts.allowDisk) return { base: tmpdir(), onTmpfs: false };
  throw new HakoError(
    'E_NOT_IN_MEMORY',
    `no memory-backed folder for plaintext files: ${looked.join('; ')}`,
    'point XDG_RUNTIME_DIR at a tmpfs folder (e.g. /run/user/$UID), or pass --allow-disk to accept plaintext on disk until hako removes it',
  );
}

const OWN_DIR = /^hako-([a-z]+(?:-[a-z]+)*)-(\d+)\.(\d+)-[A-Za-z0-9]{6}$/;

export function createPrivateDir(prefix: `hako-${string}`, env: NodeJS.ProcessEnv = process.env, opts: PrivateDirOptions = {}): PrivateDir {
  const { base, onTmpfs } = privateBase(env, opts);
  const swept = sweepLeftovers(base);
  if (swept > 0) opts.notice?.(`removed ${swept} private folder(s) left in ${base} by a hako that was killed`);
  let path: string;
  try {
    path = mkdtempSync(join(base, `${prefix}-${process.pid}.${processStartTime(process.pid) ?? 0}-`));
    chmodSync(path, 0o700);
  } catch (err) {
    throw new HakoError(
      'E_IO',
      `cannot create a private folder in ${base}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      'set XDG_RUNTIME_DIR to a writable folder',
    );
  }
  let removed = false;
  return {
    path,
    onTmpfs,
    writeFile(name, data, mode = 0o600) {
      const file = join(path, name);
      const fd = openSync(file, 'wx', 0o600);
      try {
        const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        let off = 0;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      } finally {
        closeSync(fd);
      }
      if (mode !== 0o600) chmodSync(file, mode);
      return file;
    },
    remove() {
      if (removed) return;
      removed = true;
      removeScrubbed(path);
    },
  };
}

/**
 * Removes hako's own private folders in `base` whose creator is gone; returns how many.
 * Only folders named like ours, that are directories (not links) owned by this user.
 */
export function sweepLeftovers(base: string): number {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return 0;
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  let swept = 0;
  for (const name of names) {
    const m = OWN_DIR.exec(name);
    if (!m) continue;
    const pid = Number(m[2]);
    const started = Number(m[3]) || undefined;
    if (pid === process.pid || sameProcessAlive(pid, started)) continue;
    const path = join(base, name);
    try {
      const st = lstatSync(path);
      if (!st.isDirectory() || st.uid !== uid) continue;
    } catch {
      continue;
    }
    removeScrubbed(path);
    swept++;
  }
  return swept;
}

/**
 * Removes a private folder made by createPrivateDir (for one whose maker cannot: the agent's
 * reaper after an instance died): each file overwritten, then the folder. A path not named
 * like one of ours is left alone.
 */
export function removePrivateDir(path: string): void {
  if (OWN_DIR.test(basename(path))) removeScrubbed(path);
}

/** Overwrites every regular file in `path` with zeros, then removes the folder. */
function removeScrubbed(path: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(path);
  } catch {
    return;
  }
  for (const name of names) scrubAndUnlink(join(path, name));
  try {
    rmdirSync(path);
  } catch {
    // An editor's own leftovers (a folder of its own): the plaintext files are gone already.
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      /* leave it */
    }
  }
}

function scrubAndUnlink(file: string): void {
  try {
    if (!lstatSync(file).isFile()) {
      rmSync(file, { recursive: true, force: true });
      return;
    }
    chmodSync(file, 0o600);
    const fd = openSync(file, 'r+');
    try {
      const size = fstatSync(fd).size;
      if (size > 0) writeSync(fd, Buffer.alloc(size), 0, size, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* unlink anyway */
  }
  try {
    unlinkSync(file);
  } catch {
    /* gone */
  }
}
