/**
 * Reading a file that holds key material (an age identity file, an SSH private key). Like
 * ssh, a file that group or others can read is refused: on a shared machine it may already
 * have leaked, and silently using it would hide that.
 */
import { readFileSync, statSync } from 'node:fs';
import { HakoError } from '../errors.js';

/** The file's bytes, or null when it does not exist; throws when unsafe or unreadable. */
export function readPrivateFile(path: string): Buffer | null {
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new HakoError('E_IO', `${path} is not a file`, 'point the variable at the key file itself');
    mode = st.mode;
  } catch (err) {
    if (err instanceof HakoError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new HakoError('E_IO', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check its permissions');
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new HakoError(
      'E_KEY_PERMS',
      `key file ${path} is readable by others (mode ${(mode & 0o777).toString(8)})`,
      `restrict it: chmod 600 ${path}`,
    );
  }
  try {
    return readFileSync(path);
  } catch (err) {
    throw new HakoError('E_IO', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check its permissions');
  }
}
