/**
 * Sealed packages: the values of one environment in one password-protected file, to ship
 * pre-configured secrets with an app. Sealing needs the environment's key; opening needs only
 * the package and its password, and keeps the values in memory: nothing is written but the
 * backoff state, which holds no value.
 *
 * Every attempt passes the backoff gate first (a refused attempt asks for no password), and
 * runs under this package's state lock, so attempts from several processes are counted one by
 * one. A wrong password is counted; a package whose password is right but whose contents were
 * altered is reported as tampered and not counted.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { HakoError } from '../core/errors.js';
import { assertEnvName } from '../core/names.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import {
  openPackage,
  PACKAGE_MAX_BYTES,
  parsePackage,
  sealPackage,
  type PackagePayload,
  type ParsedPackage,
  type SealInputs,
} from '../core/crypto/sealed-package.js';
import { afterFailure, gate, LOCKOUT_POLICY, type LockoutState } from '../core/lockout.js';
import { nowOf, type ServiceContext } from './context.js';
import { missingRequired } from './manifest.js';
import { findProject, loadSecretsFile, requireEnvironment } from './project.js';
import { openRecord } from './secrets.js';
import { readLockout, withPackageLock } from './package-lockout.js';
import { assertSafeHandOff, startWithValues, type StartRequest } from './run.js';
import type { ChildExit } from '../launcher/spawn-with-secrets.js';

export interface SealResult {
  path: string;
  env: string;
  names: string[];
  /** Required names the environment has no value for (sealed without them). */
  missing: string[];
}

/** Seals every value of `env` into `out` (refuses to replace a file unless `force`). */
export async function sealEnvironment(
  ctx: ServiceContext,
  env: string,
  out: string,
  password: string,
  opts: { force?: boolean; inputs?: SealInputs } = {},
): Promise<SealResult> {
  assertEnvName(env);
  if (password.length === 0) throw new HakoError('E_USAGE', 'the password is empty', 'choose a long password, e.g. five random words');
  const project = findProject(ctx);
  const file = loadSecretsFile(project);
  const record = requireEnvironment(file, env);
  const path = resolve(ctx.cwd, out);
  if (!opts.force && exists(path)) {
    throw new HakoError('E_EXISTS', `${path} already exists`, 'choose another --out, or replace it with --force');
  }
  const secrets = await openRecord(ctx, project, file, env);
  const bytes = await sealPackage(password, { env, secrets: new Map(secrets) }, opts.inputs);
  writeFileAtomic(path, bytes, { mode: 0o644 });
  return { path, env, names: [...secrets.keys()].sort(), missing: missingRequired(file, record) };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

export function readPackageFile(ctx: ServiceContext, file: string): ParsedPackage {
  const path = resolve(ctx.cwd, file);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new HakoError('E_IO', `${path} is not a file`, 'give the path of a sealed package');
    size = st.size;
  } catch (err) {
    if (err instanceof HakoError) throw err;
    throw new HakoError('E_IO', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check the path');
  }
  if (size > PACKAGE_MAX_BYTES) throw new HakoError('E_FORMAT', `${path} is larger than any sealed package hako makes`, 'check the path');
  return parsePackage(readFileSync(path));
}

/**
 * Opens a sealed package with the password `askPassword` gives, under the backoff rules.
 * `askPassword` is called only when an attempt is allowed.
 */
export async function openSealed(ctx: ServiceContext, file: string, askPassword: () => Promise<string>): Promise<PackagePayload> {
  const parsed = readPackageFile(ctx, file);
  const before = await readLockout(ctx, parsed.id, nowOf(ctx));
  if (before.tampered) tamperedNotice(ctx);
  refuseWhileClosed(ctx, before.state);
  const password = await askPassword();
  return withPackageLock(ctx, parsed.id, async (tx) => {
    const view = tx.view(nowOf(ctx));
    if (view.tampered) tamperedNotice(ctx);
    refuseWhileClosed(ctx, view.state);
    const result = await openPackage(parsed, password);
    if (result.ok) {
      if (view.state.failures > 0 || view.state.notBefore > 0) tx.reset();
      return result.payload;
    }
    if (result.reason === 'tampered') {
      throw new HakoError(
        'E_TAMPERED',
        'the password is right but the sealed package was altered or damaged; nothing was opened',
        'get an intact copy of the package from whoever sealed it',
      );
    }
    const next = afterFailure(view.state, nowOf(ctx));
    tx.save(next);
    const wait = Math.ceil((next.notBefore - nowOf(ctx)) / 1000);
    throw new HakoError(
      'E_WRONG_KEY',
      `wrong password for the sealed package (${next.failures} failed in a row)`,
      next.failures >= LOCKOUT_POLICY.maxFailures
        ? `it is now locked for ${formatWait(wait)}; a success resets the count`
        : `the next try is allowed in ${formatWait(wait)}; after ${LOCKOUT_POLICY.maxFailures} failures in a row it locks for ${formatWait(LOCKOUT_POLICY.lockMs / 1000)}`,
    );
  });
}

function tamperedNotice(ctx: ServiceContext): void {
  ctx.notice(
    `warning: the failed-password record of this package was changed or removed outside hako; it is locked for ${formatWait(LOCKOUT_POLICY.lockMs / 1000)}`,
  );
}

function refuseWhileClosed(ctx: ServiceContext, state: LockoutState): void {
  const g = gate(state, nowOf(ctx));
  if (g.open) return;
  const wait = Math.ceil((g.until - nowOf(ctx)) / 1000);
  throw new HakoError(
    'E_LOCKOUT',
    g.locked
      ? `the sealed package is locked after ${state.failures} wrong passwords in a row: ${formatWait(wait)} left (until ${new Date(g.until).toISOString()})`
      : `too soon after a wrong password: the next try is allowed in ${formatWait(wait)}`,
    g.locked
      ? 'wait, then try again with the right password; nothing was asked or counted'
      : 'wait, then try again; nothing was asked or counted',
  );
}

export function formatWait(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  const rest = s % 60;
  return rest ? `${m} min ${rest} s` : `${m} min`;
}

/** `hako run --package FILE`: opens the package (under the backoff rules) and starts the program. */
export async function runWithPackage(
  ctx: ServiceContext,
  file: string,
  askPassword: () => Promise<string>,
  req: StartRequest,
  allow: readonly string[],
): Promise<ChildExit> {
  const payload = await openSealed(ctx, file, askPassword);
  assertSafeHandOff(payload.secrets.keys(), req.via, allow, 'hako run --package');
  return startWithValues(ctx, req, payload.env, payload.secrets);
}
