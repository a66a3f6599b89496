/**
 * `hako push github|cloudflare`: copy an environment's values into a platform's own secret
 * store through the platform's CLI, each value on the CLI's stdin, never in its argv.
 *
 * Only what changed is sent. The platforms list secret names (GitHub also when each was
 * last updated) but never values, so hako keeps its own record of what it pushed (keyed
 * fingerprints, push-record.ts). A name is pushed when the platform lacks it, when the
 * record has no fingerprint for it or a different one, or when GitHub says it was updated
 * after hako's last push (someone changed it there). `--force` pushes every name.
 * `--dry-run` runs no CLI at all: it plans from the record alone and says so.
 */
import { HakoError } from '../core/errors.js';
import { assertEnvName } from '../core/names.js';
import { assertNoProcessControl, deliveredVariables } from '../core/process-control-names.js';
import { findProject, loadSecretsFile } from './project.js';
import { openValues } from './secrets.js';
import { selectNames } from './selection.js';
import { readPushRecord, recordPushed, type PushedEntry } from './push-record.js';
import { cliFailure, runCli } from './platform-cli.js';
import type { ServiceContext } from './context.js';

export type Platform = 'github' | 'cloudflare';

export interface PushRequest {
  platform: Platform;
  env: string;
  only: readonly string[];
  allowed: ReadonlySet<string>;
  dryRun: boolean;
  force: boolean;
  /** GitHub: OWNER/REPO (default: the repository gh finds from the folder). */
  repo?: string;
  /** GitHub: a deployment environment's secrets instead of the repository's. */
  environment?: string;
  /** Cloudflare: the wrangler environment (`--env` of wrangler). */
  wranglerEnv?: string;
  /** Cloudflare: the Worker name (default: wrangler's configuration). */
  worker?: string;
}

export type PushReason = 'not on the platform' | 'not pushed by hako yet' | 'changed' | 'changed on the platform' | 'forced' | 'unchanged';

export interface PushItem {
  name: string;
  push: boolean;
  reason: PushReason;
}

export interface PushResult {
  target: string;
  items: PushItem[];
  pushed: string[];
  /** Names the platform has that the environment does not (left alone). */
  extra: string[];
  dryRun: boolean;
  /** False for a dry run: the plan comes from hako's record only. */
  platformAsked: boolean;
}

interface PlatformSecret {
  name: string;
  updatedAt?: string;
}

interface Adapter {
  tool: string;
  target: string;
  list(): PlatformSecret[];
  push(values: ReadonlyMap<string, string>, done: (name: string) => void): void;
  /** Names the platform refuses, with why. */
  refuse(name: string): string | null;
}

export async function pushEnvironment(ctx: ServiceContext, req: PushRequest): Promise<PushResult> {
  assertEnvName(req.env);
  const adapter = req.platform === 'github' ? github(ctx, req) : cloudflare(ctx, req);
  const project = findProject(ctx);
  const opened = await openValues(ctx, project, loadSecretsFile(project), req.env);
  const values = selectNames(opened.values, req.only, req.env);
  assertNoProcessControl(deliveredVariables(values.keys(), 'value'), req.allowed, `hako push ${req.platform}`);
  const refused = [...values.keys()].map((n) => [n, adapter.refuse(n)] as const).filter(([, why]) => why);
  if (refused.length) {
    throw new HakoError(
      'E_INVALID_NAME',
      `${req.platform} does not accept ${refused.map(([n, why]) => `${n} (${why})`).join(', ')}`,
      'leave them out with --only NAME,… or rename them',
    );
  }

  const remote = req.dryRun ? null : new Map(adapter.list().map((s) => [s.name, s]));
  const record = readPushRecord(ctx, project.root, adapter.target, req.env);
  const items: PushItem[] = [];
  for (const [name, value] of values) {
    const seen = remote?.get(name);
    const rec = record[name];
    let reason: PushReason;
    if (req.force) reason = 'forced';
    else if (remote && !seen) reason = 'not on the platform';
    else if (!rec) reason = 'not pushed by hako yet';
    else if (rec.fingerprint !== opened.fingerprint(name, value)) reason = 'changed';
    else if (seen?.updatedAt && rec.platform_updated_at && seen.updatedAt !== rec.platform_updated_at) reason = 'changed on the platform';
    else reason = 'unchanged';
    items.push({ name, push: reason !== 'unchanged', reason });
  }
  const extra = remote ? [...remote.keys()].filter((n) => !values.has(n)).sort() : [];
  const result: PushResult = { target: adapter.target, items, pushed: [], extra, dryRun: req.dryRun, platformAsked: remote !== null };
  const toPush = new Map(items.filter((i) => i.push).map((i) => [i.name, values.get(i.name)!]));
  if (req.dryRun || toPush.size === 0) return result;

  if (req.platform === 'github') {
    const trimmed = [...toPush].filter(([, v]) => /[\r\n]$/.test(v)).map(([n]) => n);
    if (trimmed.length) ctx.notice(`gh drops trailing line breaks from what it reads: GitHub stores ${trimmed.join(', ')} without them`);
  }
  const now = new Date().toISOString();
  const entries: Record<string, PushedEntry> = {};
  try {
    adapter.push(toPush, (name) => {
      result.pushed.push(name);
      entries[name] = { fingerprint: opened.fingerprint(name, toPush.get(name)!), key_id: opened.keyId, pushed_at: now };
    });
  } finally {
    if (result.pushed.length) {
      // The platform's own timestamps of what was just pushed, to notice a later change there.
      if (req.platform === 'github') {
        try {
          for (const s of adapter.list()) if (entries[s.name] && s.updatedAt) entries[s.name]!.platform_updated_at = s.updatedAt;
        } catch {
          /* the push happened; without the timestamps, only a change made there goes unnoticed */
        }
      }
      await recordPushed(ctx, project.root, adapter.target, req.env, entries);
    }
  }
  return result;
}

const REPO = /^(?:[A-Za-z0-9][A-Za-z0-9.-]*\/)?[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
const GH_ENVIRONMENT = /^[A-Za-z0-9_][A-Za-z0-9 _.-]{0,254}$/;
const WRANGLER_ENV = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;
const WORKER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

function checked(value: string | undefined, re: RegExp, what: string): string | undefined {
  if (value !== undefined && !re.test(value))
    throw new HakoError('E_USAGE', `invalid ${what}`, `check the ${what} (letters, digits, - and _)`);
  return value;
}

function github(ctx: ServiceContext, req: PushRequest): Adapter {
  const repo = checked(req.repo, REPO, '--repo (OWNER/REPO)');
  const environment = checked(req.environment, GH_ENVIRONMENT, '--environment name');
  const scope = [...(repo ? ['--repo', repo] : []), ...(environment ? ['--env', environment] : [])];
  const where = `${repo ?? 'this repository'}${environment ? ` (environment ${environment})` : ''}`;
  return {
    tool: 'gh',
    target: `github:${repo ?? '.'}:${environment ?? ''}`,
    refuse: (name) => (name.startsWith('GITHUB_') ? 'names starting with GITHUB_ are reserved' : null),
    list() {
      const r = runCli('gh', ['secret', 'list', '--json', 'name,updatedAt', ...scope], { cwd: ctx.cwd, env: ctx.env });
      if (r.code !== 0) throw cliFailure('gh', `secret list for ${where}`, r, 'check gh auth status, --repo and --environment');
      return parseList(r.stdout, 'gh secret list').map((s) => ({ name: s.name, ...(s.updatedAt ? { updatedAt: s.updatedAt } : {}) }));
    },
    push(values, done) {
      for (const [name, value] of values) {
        const r = runCli('gh', ['secret', 'set', name, ...scope], { cwd: ctx.cwd, env: ctx.env, input: value });
        if (r.code !== 0)
          throw cliFailure('gh', `secret set ${name} for ${where}`, r, 'names before it were pushed; fix the cause and push again');
        done(name);
      }
    },
  };
}

function cloudflare(ctx: ServiceContext, req: PushRequest): Adapter {
  const wranglerEnv = checked(req.wranglerEnv, WRANGLER_ENV, '--wrangler-env name');
  const worker = checked(req.worker, WORKER, '--worker name');
  const scope = [...(wranglerEnv ? ['--env', wranglerEnv] : []), ...(worker ? ['--name', worker] : [])];
  const where = `${worker ?? 'the Worker in wrangler.toml'}${wranglerEnv ? ` (env ${wranglerEnv})` : ''}`;
  return {
    tool: 'wrangler',
    target: `cloudflare:${worker ?? '.'}:${wranglerEnv ?? ''}`,
    refuse: () => null,
    list() {
      const r = runCli('wrangler', ['secret', 'list', '--format', 'json', ...scope], { cwd: ctx.cwd, env: ctx.env });
      if (r.code !== 0)
        throw cliFailure('wrangler', `secret list for ${where}`, r, 'check wrangler whoami, wrangler.toml, --worker and --wrangler-env');
      return parseList(r.stdout, 'wrangler secret list').map((s) => ({ name: s.name }));
    },
    push(values, done) {
      // One upload for all (one new Worker version), as JSON on stdin.
      const r = runCli('wrangler', ['secret', 'bulk', ...scope], {
        cwd: ctx.cwd,
        env: ctx.env,
        input: JSON.stringify(Object.fromEntries(values)),
      });
      if (r.code !== 0)
        throw cliFailure('wrangler', `secret bulk for ${where}`, r, 'nothing was recorded as pushed; fix the cause and push again');
      for (const name of values.keys()) done(name);
    },
  };
}

/** A JSON array of `{name, …}` from a list command (anything before the array is ignored). */
function parseList(stdout: string, what: string): { name: string; updatedAt?: string }[] {
  const start = stdout.indexOf('[');
  let parsed: unknown;
  try {
    parsed = JSON.parse(start >= 0 ? stdout.slice(start) : stdout);
  } catch {
    throw new HakoError(
      'E_PLATFORM',
      `${what} printed something other than JSON`,
      'update the CLI; hako needs its --json / --format json output',
    );
  }
  if (!Array.isArray(parsed)) throw new HakoError('E_PLATFORM', `${what} did not print a list`, 'update the CLI');
  return parsed
    .filter(
      (e): e is { name: string; updatedAt?: unknown } =>
        typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string',
    )
    .map((e) => ({ name: e.name, ...(typeof e.updatedAt === 'string' ? { updatedAt: e.updatedAt } : {}) }));
}
