/**
 * Where keys live on this machine: $HAKO_HOME, else the platform's user data folder. Never
 * inside a repository: HAKO_HOME must be an absolute path (a relative one would follow the
 * current folder into the repository), and key files are not written inside a git work tree.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { HakoError } from './errors.js';

export function hakoHome(env: NodeJS.ProcessEnv = process.env): string {
  const set = env['HAKO_HOME'];
  if (set) {
    if (!isAbsolute(set)) {
      throw new HakoError(
        'E_USAGE',
        `HAKO_HOME must be an absolute path (it is ${JSON.stringify(set.slice(0, 80))}): a relative one would put key files inside whatever folder hako runs in`,
        set.startsWith('~')
          ? 'the shell does not expand ~ inside quotes: write HAKO_HOME="$HOME/…"'
          : 'set HAKO_HOME to an absolute path outside any repository, or unset it',
      );
    }
    return set;
  }
  const home = env['HOME'] || homedir();
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'hako');
  const xdg = env['XDG_DATA_HOME'];
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.local', 'share'), 'hako');
}

export function keysDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(hakoHome(env), 'keys');
}

/** The git work tree that contains `path` (found without running git), or null. */
function workTreeOf(path: string): string | null {
  let dir = resolve(path);
  while (true) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Refuses a keys folder inside the repository at `root` (or, without `root`, inside any work tree). */
export function assertKeysOutside(root: string | null, dir: string): void {
  const tree = root !== null ? (inside(root, dir) ? root : null) : workTreeOf(dir);
  if (tree === null) return;
  throw new HakoError(
    'E_USAGE',
    `key files would be written to ${dir}, inside the git repository ${tree}, where they could be committed`,
    'set HAKO_HOME to a folder outside any repository (by default ~/.local/share/hako), or unset it',
  );
}

function errnoOf(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('E') && !code.startsWith('E_')) return code;
  }
  return undefined;
}

/**
 * A failed key-file write, said in terms of HAKO_HOME: a file where a folder should be, a
 * folder this user cannot write, a folder where the key file should be.
 */
export function keyStoreError(err: unknown, path: string, env: NodeJS.ProcessEnv = process.env): HakoError {
  const home = hakoHome(env);
  const origin = env['HAKO_HOME'] ? `HAKO_HOME (${home})` : `the key folder ${home}`;
  const code = errnoOf(err);
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    let p = dirname(path);
    let file = p;
    while (dirname(p) !== p) {
      try {
        if (!statSync(p).isDirectory()) file = p;
      } catch {
        /* not there yet */
      }
      p = dirname(p);
    }
    return new HakoError(
      'E_IO',
      `${origin} cannot hold key files: ${file} is a file, not a folder`,
      file === home
        ? 'point HAKO_HOME at a folder (hako keeps keys/ in it), or unset it'
        : `move ${file} away, or set HAKO_HOME to another folder`,
      { cause: err },
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new HakoError(
      'E_IO',
      `${origin} is not writable (${code}): the key file ${path} could not be saved`,
      `make ${home} writable by this user, or set HAKO_HOME to a folder you own`,
      { cause: err },
    );
  }
  if (code === 'EISDIR') {
    return new HakoError('E_IO', `${path} is a folder where a key file should be`, `remove that folder (it is not a key), then try again`, {
      cause: err,
    });
  }
  if (err instanceof HakoError) return err;
  return new HakoError('E_IO', `the key file ${path} could not be saved (${code ?? 'error'})`, `check ${home}`, { cause: err });
}
