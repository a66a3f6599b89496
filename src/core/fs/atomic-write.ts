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
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HakoError } from '../errors.js';
import { processAlive } from './process-alive.js';
import { removeQuietly, writeTempFile } from './temp-file.js';

export interface AtomicWriteOptions {
  mode?: number; // file mode, default 0o644
  dirMode?: number; // create the parent folder with this mode when missing
}

export function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  if (opts.dirMode !== undefined) mkdirSync(dir, { recursive: true, mode: opts.dirMode });
  removeStaleTempFiles(dir, basename(path));
  let tmp: string | undefined;
  try {
    tmp = writeTempFile(path, data, opts.mode ?? 0o644);
    renameSync(tmp, path);
  } catch (err) {
    if (tmp !== undefined) removeQuietly(tmp);
    throw new HakoError(
      'E_IO',
      `could not write ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      'check the folder exists and is writable',
      { cause: err },
    );
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
