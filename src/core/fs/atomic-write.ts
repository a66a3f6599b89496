/**
 * Atomic file replacement: write a temp file beside the target, fsync it, rename it over
 * the target, fsync the folder. A crash at any point leaves the old file or the new one.
 *
 * A writer killed between creating its temp file and the rename (SIGKILL, power loss) leaves
 * that temp file behind: for .hako/secrets.json that is an untracked file in the repository.
 * Each write first removes temp files of the same target whose writer (the pid in the name)
 * is no longer alive. Callers that share a target across machines do so under a lock, so no
 * other writer is between create and rename while this runs.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { HakoError } from '../errors.js';
import { processAlive } from './process-alive.js';

export interface AtomicWriteOptions {
  mode?: number; // file mode, default 0o644
  dirMode?: number; // create the parent folder with this mode when missing
}

export function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  if (opts.dirMode !== undefined) mkdirSync(dir, { recursive: true, mode: opts.dirMode });
  removeStaleTempFiles(dir, basename(path));
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', opts.mode ?? 0o644);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw new HakoError('E_IO', `could not write ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check the folder exists and is writable');
  }
  syncDir(dir);
}

function removeStaleTempFiles(dir: string, base: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no folder yet: nothing left behind
  }
  const prefix = `.${base}.`;
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[0-9a-f]{8}$/.exec(name.slice(prefix.length, -'.tmp'.length));
    if (!m || processAlive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      /* removed by someone else */
    }
  }
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* some file systems cannot fsync a folder; the rename is still atomic */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
