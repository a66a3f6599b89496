/**
 * Where the backoff state of each sealed package lives on this machine, so that it survives
 * restarts and is not reset by deleting one file.
 *
 * Two records in two places, which must agree:
 *   $HAKO_HOME/packages/<id>.json   {"failures","not_before","package","seq","version":1,"mac"}
 *                                   mac = HMAC-SHA256(lockout key, the other members)
 *   <state home>/lockout/<id>       "<seq> <mac>": the marker
 *   <state home>/lockout.key        the lockout key (random, 0600)
 * The state home is $XDG_STATE_HOME/hako, else ~/.local/state/hako (%LOCALAPPDATA%\hako-state
 * on Windows): not under $HAKO_HOME, so pointing HAKO_HOME elsewhere does not give a package
 * a clean slate either.
 *
 * Neither record alone is the state: a state file without its marker, a marker without its
 * state file, a MAC that does not verify (edited, or the key is gone) or a marker whose
 * sequence number differs (an older copy put back) all mean the state was changed outside
 * hako. Then the package is locked for the full period from now, and hako says why. Deleting
 * both records (and the key) does reset it: SECURITY.md says what this can and cannot stop.
 *
 * Success removes both records. Every change happens under a lock on the state file, so
 * attempts on one package are serialized across processes.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { HakoError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { writeFileExclusive } from '../core/fs/exclusive-write.js';
import { withFileLock } from '../core/fs/lock.js';
import { hakoHome } from '../core/home.js';
import { decodeBase64Strict } from '../core/crypto/base64.js';
import { afterTampering, FRESH, type LockoutState } from '../core/lockout.js';
import type { ServiceContext } from './context.js';

export function lockoutStateHome(env: NodeJS.ProcessEnv): string {
  const xdg = env['XDG_STATE_HOME'];
  if (xdg && isAbsolute(xdg)) return join(xdg, 'hako');
  if (process.platform === 'win32' && env['LOCALAPPDATA']) return join(env['LOCALAPPDATA'], 'hako-state');
  return join(env['HOME'] || homedir(), '.local', 'state', 'hako');
}

interface Paths {
  state: string;
  marker: string;
  key: string;
}

function pathsFor(env: NodeJS.ProcessEnv, id: string): Paths {
  const home = lockoutStateHome(env);
  return { state: join(hakoHome(env), 'packages', `${id}.json`), marker: join(home, 'lockout', id), key: join(home, 'lockout.key') };
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new HakoError('E_IO', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check its permissions');
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new HakoError('E_IO', `cannot remove ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check its permissions');
    }
  }
}

function readKey(paths: Paths): Buffer | null {
  const text = readText(paths.key);
  if (text === null) return null;
  const key = decodeBase64Strict(text.trim());
  return key && key.length === 32 ? key : null;
}

function keyForWriting(paths: Paths): Buffer {
  const existing = readKey(paths);
  if (existing) return existing;
  const key = randomBytes(32);
  try {
    writeFileExclusive(paths.key, `${key.toString('base64')}\n`, { mode: 0o600, dirMode: 0o700 });
    return key;
  } catch (err) {
    if (!(err instanceof HakoError) || err.code !== 'E_EXISTS') throw err;
  }
  // Another hako made it first, or a damaged one is in the way: replace a damaged one.
  const again = readKey(paths);
  if (again) return again;
  writeFileAtomic(paths.key, `${key.toString('base64')}\n`, { mode: 0o600, dirMode: 0o700 });
  return key;
}

interface Stored {
  state: LockoutState;
  seq: number;
}

function macOf(key: Buffer, id: string, seq: number, state: LockoutState): string {
  return createHmac('sha256', key).update(`hako-lockout:1\n${id}\n${seq}\n${state.failures}\n${state.notBefore}\n`, 'utf8').digest('hex');
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Reads and verifies both records: the stored state, or 'tampered', or null (never tried). */
function read(paths: Paths, id: string): Stored | 'tampered' | null {
  const stateText = readText(paths.state);
  const markerText = readText(paths.marker);
  if (stateText === null && markerText === null) return null;
  if (stateText === null || markerText === null) return 'tampered';
  const key = readKey(paths);
  if (!key) return 'tampered';
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(stateText) as Record<string, unknown>;
  } catch {
    return 'tampered';
  }
  const { failures, not_before: notBefore, seq, mac, package: pkg, version } = v;
  if (
    version !== 1 ||
    pkg !== id ||
    !Number.isSafeInteger(failures) ||
    !Number.isSafeInteger(notBefore) ||
    !Number.isSafeInteger(seq) ||
    typeof mac !== 'string'
  )
    return 'tampered';
  const state = { failures: failures as number, notBefore: notBefore as number };
  if (state.failures < 0 || state.notBefore < 0) return 'tampered';
  if (!sameHex(macOf(key, id, seq as number, state), mac)) return 'tampered';
  const m = /^(\d+) ([0-9a-f]{64})\n?$/.exec(markerText);
  if (!m || Number(m[1]) !== seq || !sameHex(m[2]!, mac)) return 'tampered';
  return { state, seq: seq as number };
}

function write(paths: Paths, id: string, state: LockoutState, seq: number): void {
  const key = keyForWriting(paths);
  const mac = macOf(key, id, seq, state);
  const doc = { failures: state.failures, mac, not_before: state.notBefore, package: id, seq, version: 1 };
  writeFileAtomic(paths.state, `${JSON.stringify(doc)}\n`, { mode: 0o600, dirMode: 0o700 });
  writeFileAtomic(paths.marker, `${seq} ${mac}\n`, { mode: 0o600, dirMode: 0o700 });
}

export interface LockoutView {
  state: LockoutState;
  /** The records had been changed or removed outside hako (and are now a fresh lock). */
  tampered: boolean;
}

/**
 * The current state of package `id`. When the records were changed outside hako, they are
 * replaced by a lock from `now` (written under the lock, so it holds across processes).
 */
export async function readLockout(ctx: ServiceContext, id: string, now: number): Promise<LockoutView> {
  const paths = pathsFor(ctx.env, id);
  const quick = read(paths, id);
  if (quick !== 'tampered') return { state: quick?.state ?? FRESH, tampered: false };
  return withPackageLock(ctx, id, (tx) => tx.view(now));
}

export interface LockoutTransaction {
  /** The state (a tampered one already replaced by a lock from `now`). */
  view(now: number): LockoutView;
  save(state: LockoutState): void;
  /** Success: both records go. */
  reset(): void;
}

/** Runs `fn` holding this package's state lock; `fn` reads and updates the state. */
export async function withPackageLock<T>(ctx: ServiceContext, id: string, fn: (tx: LockoutTransaction) => Promise<T> | T): Promise<T> {
  const paths = pathsFor(ctx.env, id);
  try {
    mkdirSync(join(hakoHome(ctx.env), 'packages'), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new HakoError(
      'E_IO',
      `cannot create ${join(hakoHome(ctx.env), 'packages')}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      'check $HAKO_HOME is writable',
    );
  }
  return withFileLock(paths.state, async () => {
    let seq = 0;
    const tx: LockoutTransaction = {
      view(now) {
        const stored = read(paths, id);
        if (stored === 'tampered') {
          const locked = afterTampering(FRESH, now);
          seq = Date.now(); // any number the marker does not hold
          write(paths, id, locked, seq);
          return { state: locked, tampered: true };
        }
        seq = stored?.seq ?? 0;
        return { state: stored?.state ?? FRESH, tampered: false };
      },
      save(state) {
        seq += 1;
        write(paths, id, state, seq);
      },
      reset() {
        removeFile(paths.state);
        removeFile(paths.marker);
      },
    };
    return fn(tx);
  });
}
