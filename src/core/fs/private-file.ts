/**
 * Reading a file that holds key material (an age identity file, an SSH private key). Like
 * ssh, a file that group or others can read is refused: on a shared machine it may already
 * have leaked, and silently using it would hide that.
 */
import { readFileSync, statSync } from 'node:fs';
import { HakoError } from '../errors.js';

export interface PrivateFileOptions {
  /** How messages name the file, e.g. "key file". */
  what?: string;
  /** The hint when the path is a folder (or something else that is not a file). */
  notAFileHint?: string;
}

/** The file's bytes, or null when it does not exist; throws when unsafe or unreadable. */
export function readPrivateFile(path: string, opts: PrivateFileOptions = {}): Buffer | null {
  const what = opts.what ?? 'key file';
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile())
      throw new HakoError(
        'E_IO',
        `${what} ${path} is ${st.isDirectory() ? 'a folder' : 'not a file'}`,
        opts.notAFileHint ?? 'point the variable at the key file itself',
      );
    mode = st.mode;
  } catch (err) {
    if (err instanceof HakoError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR')
      throw new HakoError('E_IO', `cannot read ${what} ${path}: a folder on its path is a file`, 'check the path (and HAKO_HOME)');
    throw new HakoError('E_IO', `cannot read ${what} ${path}: ${code ?? 'error'}`, 'check its permissions');
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new HakoError(
      'E_KEY_PERMS',
      `${what} ${path} is readable by others (mode ${(mode & 0o777).toString(8)})`,
      `restrict it: chmod 600 ${path}`,
    );
  }
  try {
    return readFileSync(path);
  } catch (err) {
    throw new HakoError('E_IO', `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check its permissions');
  }
}
