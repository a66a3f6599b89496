/**
 * Creating a file that must not replace anything (a new private key): written in full to a
 * temp file beside it, fsynced, then hard-linked into place, which fails if the name exists.
 * A crash leaves no file or the whole file, never a torn one, and never an overwritten one.
 */
import { linkSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { removeQuietly, writeTempFile } from './temp-file.js';
import { HakoError } from '../errors.js';

export function writeFileExclusive(path: string, data: string, opts: { mode: number; dirMode: number }): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: opts.dirMode });
  } catch (err) {
    throw new HakoError('E_IO', `cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check the folder is writable', {
      cause: err,
    });
  }
  let tmp: string | undefined;
  try {
    tmp = writeTempFile(path, data, opts.mode);
    linkSync(tmp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new HakoError(
        'E_EXISTS',
        `${path} already exists; hako never overwrites a key file`,
        'choose another path with --out, or use the identity it holds (hako pubkey)',
        { cause: err },
      );
    throw new HakoError('E_IO', `could not write ${path}: ${code ?? 'error'}`, 'check the folder exists and is writable', { cause: err });
  } finally {
    if (tmp !== undefined) removeQuietly(tmp);
  }
}
