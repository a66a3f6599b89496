/**
 * The first half of every crash-safe write: the whole content in a fresh temp file beside
 * the target (`.<name>.<pid>.<random>.tmp`, created exclusively), fsynced and closed. The
 * caller then renames or links it into place. The pid in the name lets a later writer tell
 * a temp file whose writer died from one still being written.
 */
import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `data` to a new temp file beside `path` and returns its name; throws the fs error. */
export function writeTempFile(path: string, data: string | Uint8Array, mode: number): string {
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'wx', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    removeQuietly(tmp);
    throw err;
  }
  closeSync(fd);
  return tmp;
}

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
