/**
 * A private folder for plaintext that must exist as a file for a while (an edit session,
 * `--via files`): on tmpfs where the OS has one (/dev/shm, or $XDG_RUNTIME_DIR), mode 0700,
 * files 0600 or 0400. Removal overwrites each file before unlinking it; it is idempotent, so
 * exit paths and signal handlers may all call it.
 */
import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
  chmodSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HakoError } from '../core/errors.js';

export interface PrivateDir {
  readonly path: string;
  readonly onTmpfs: boolean;
  writeFile(name: string, data: string | Uint8Array, mode?: number): string;
  remove(): void;
}

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

/** Memory-backed places first; the system temp folder only where none exists. */
export function privateBase(env: NodeJS.ProcessEnv = process.env): { base: string; onTmpfs: boolean } {
  for (const candidate of [env['XDG_RUNTIME_DIR'], '/dev/shm']) {
    if (usable(candidate)) return { base: candidate, onTmpfs: true };
  }
  return { base: tmpdir(), onTmpfs: false };
}

export function createPrivateDir(prefix: string, env: NodeJS.ProcessEnv = process.env): PrivateDir {
  const { base, onTmpfs } = privateBase(env);
  let path: string;
  try {
    path = mkdtempSync(join(base, `${prefix}-`));
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
        /* something else put a file there; leave the folder */
      }
    },
  };
}

function scrubAndUnlink(file: string): void {
  try {
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
