/**
 * Creating a file that must not replace anything (a new private key): written in full to a
 * temp file beside it, fsynced, then hard-linked into place, which fails if the name exists.
 * A crash leaves no file or the whole file, never a torn one, and never an overwritten one.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { HakoError } from '../errors.js';

export function writeFileExclusive(path: string, data: string, opts: { mode: number; dirMode: number }): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: opts.dirMode });
  } catch (err) {
    throw new HakoError('E_IO', `cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check the folder is writable');
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', opts.mode);
    const buf = Buffer.from(data, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    linkSync(tmp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new HakoError('E_EXISTS', `${path} already exists; hako never overwrites a key file`, 'choose another path with --out, or use the identity it holds (hako pubkey)');
    throw new HakoError('E_IO', `could not write ${path}: ${code ?? 'error'}`, 'check the folder exists and is writable');
  } finally {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
}
