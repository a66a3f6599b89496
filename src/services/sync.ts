/**
 * `hako sync`: push one environment, as the repository holds it (ciphertext), to every
 * server that receives it, over ssh, in parallel with a bound.
 *
 * Per server, one ssh connection: ask the agent for its recipient and for the fingerprint of
 * the entry it holds (entryHash, computed from the ciphertext: no key is needed here, and it
 * reveals nothing the committed file does not); when it equals this entry's, nothing more is
 * sent. Otherwise the entry goes as it is, the agent opens it with its own identity, checks
 * key continuity, stores it and rolls its apps. A server that is not a recipient of the
 * environment is refused here, before anything is sent: hako never decrypts to sync.
 * One server failing never stops the others; each one's outcome is returned.
 */
import { HakoError, isHakoError } from '../core/errors.js';
import { entryHash } from '../core/formats/entry-hash.js';
import type { ServerEntry } from '../core/formats/servers-file.js';
import { canonicalRecipient } from '../core/keys/age-recipient.js';
import { assertEnvName } from '../core/names.js';
import { nowOf, type ServiceContext } from './context.js';
import { findProject, readSecretsText, type Project } from './project.js';
import { endpointFor, loadServers, pinnedKnownHosts, recordStates } from './servers.js';
import { withSession } from './ssh-rpc.js';

export const DEFAULT_PARALLEL = 8;

export type SyncResult = 'updated' | 'unchanged' | 'would-update' | 'failed';

export interface ServerSyncOutcome {
  server: string;
  target: string;
  result: SyncResult;
  ms: number;
  hashBefore: string | null;
  hashAfter: string | null;
  /** Per app the agent rolled: name, ok, reason. */
  apps: { app: string; ok: boolean; reason?: string }[];
  error: { code: string; message: string; hint?: string } | null;
  /** Bytes written to ssh for this server. */
  sentBytes: number;
}

export interface SyncOptions {
  dryRun?: boolean;
  /** Servers at once (1 = one after another). */
  parallel?: number;
  /** Only these servers (by name). */
  only?: string[];
  timeoutSeconds?: number;
  /** Called when a server starts and when it ends. */
  onProgress?: (event: { server: string; phase: 'start' | 'done'; outcome?: ServerSyncOutcome }) => void;
}

export interface SyncReport {
  env: string;
  hash: string;
  outcomes: ServerSyncOutcome[];
  failed: number;
}

/** The environment's entry exactly as the committed file holds it (parsed JSON, not re-encoded). */
export function repositoryEntry(project: Project, env: string): Record<string, unknown> {
  const raw = JSON.parse(readSecretsText(project)) as { environments?: Record<string, unknown> };
  const entry = raw.environments?.[env];
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw new HakoError('E_NO_ENV', `environment '${env}' does not exist`, 'list environments with hako env ls');
  if ('sops' in entry) {
    throw new HakoError(
      'E_USAGE',
      `environment '${env}' is bound to a SOPS file, which agents do not receive yet`,
      'for clusters, use hako export --format k8s-secret (docs/DEPLOY.md)',
    );
  }
  return entry as Record<string, unknown>;
}

function recipientsOf(entry: Record<string, unknown>): Set<string> {
  const r = entry['recipients'];
  const out = new Set<string>();
  if (typeof r === 'object' && r !== null) for (const k of Object.keys(r)) out.add(canonicalRecipient(k) ?? k);
  return out;
}

export async function syncEnvironment(ctx: ServiceContext, env: string, opts: SyncOptions = {}): Promise<SyncReport> {
  assertEnvName(env);
  const project = findProject(ctx);
  const entry = repositoryEntry(project, env);
  const hash = entryHash(env, entry);
  const all = [...loadServers(project).servers.values()];
  for (const name of opts.only ?? []) {
    if (!all.some((s) => s.name === name))
      throw new HakoError('E_USAGE', `no server '${name}' in .hako/servers.json`, 'list them with hako servers ls');
  }
  const servers = all.filter((s) => s.environments.includes(env) && (!opts.only || opts.only.includes(s.name)));
  if (servers.length === 0) {
    throw new HakoError('E_USAGE', `no server receives '${env}'`, `add one: hako servers add NAME user@host --env ${env}`);
  }
  const knownHosts = pinnedKnownHosts(ctx, project, all);
  const recipients = recipientsOf(entry);
  const parallel = Math.max(1, Math.min(opts.parallel ?? DEFAULT_PARALLEL, 64));
  const outcomes: ServerSyncOutcome[] = new Array(servers.length);
  let next = 0;
  const worker = async () => {
    while (next < servers.length) {
      const i = next++;
      const server = servers[i]!;
      opts.onProgress?.({ server: server.name, phase: 'start' });
      const outcome = await syncOne(ctx, server, env, entry, hash, recipients, knownHosts, opts);
      outcomes[i] = outcome;
      opts.onProgress?.({ server: server.name, phase: 'done', outcome });
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, servers.length) }, worker));
  await recordStates(
    ctx,
    project,
    outcomes.map((o) => ({
      server: o.server,
      state: {
        at: new Date(nowOf(ctx)).toISOString(),
        env,
        result: o.result,
        hash: o.result === 'failed' || o.result === 'would-update' ? o.hashBefore : o.hashAfter,
        error: o.error?.message ?? null,
        ms: o.ms,
      },
    })),
  );
  return { env, hash, outcomes, failed: outcomes.filter((o) => o.result === 'failed').length };
}

interface HashReply {
  hash?: unknown;
}
interface PushReply {
  changed?: unknown;
  ok?: unknown;
  hash?: unknown;
  previousHash?: unknown;
  apps?: { app?: unknown; ok?: unknown; reason?: unknown }[];
}

async function syncOne(
  ctx: ServiceContext,
  server: ServerEntry,
  env: string,
  entry: Record<string, unknown>,
  hash: string,
  recipients: Set<string>,
  knownHosts: string,
  opts: SyncOptions,
): Promise<ServerSyncOutcome> {
  const started = performance.now();
  const outcome: ServerSyncOutcome = {
    server: server.name,
    target: server.target,
    result: 'failed',
    ms: 0,
    hashBefore: null,
    hashAfter: null,
    apps: [],
    error: null,
    sentBytes: 0,
  };
  try {
    if (!recipients.has(server.recipient)) {
      throw new HakoError(
        'E_NO_RECIPIENT',
        `server '${server.name}' is not a recipient of '${env}', so it could not open it (hako never sends values in the clear)`,
        `make it one: hako servers add ${server.name} ${server.target} --env ${env}`,
      );
    }
    await withSession(ctx.env, endpointFor(knownHosts, server, opts.timeoutSeconds), async (s) => {
      const [rec, before] = (await Promise.all([s.request('recipient'), s.request('environment-hash', { env })])) as [
        { recipient?: unknown },
        HashReply,
      ];
      if (rec.recipient !== server.recipient) {
        throw new HakoError(
          'E_AGENT',
          `server '${server.name}' answered with another age recipient than the one in .hako/servers.json`,
          `if its agent was set up again: hako servers rm ${server.name}, then hako servers add ${server.name} ${server.target} --env ${env}`,
        );
      }
      outcome.hashBefore = typeof before.hash === 'string' ? before.hash : null;
      if (outcome.hashBefore === hash) {
        outcome.result = 'unchanged';
        outcome.hashAfter = hash;
      } else if (opts.dryRun) {
        outcome.result = 'would-update';
        outcome.hashAfter = hash;
      } else {
        const r = (await s.request('push-environment', { env, entry, hash })) as PushReply;
        outcome.hashAfter = typeof r.hash === 'string' ? r.hash : null;
        outcome.apps = (r.apps ?? []).map((a) => ({
          app: String(a.app),
          ok: a.ok === true,
          ...(typeof a.reason === 'string' ? { reason: a.reason.slice(0, 500) } : {}),
        }));
        if (r.ok === false) {
          const failed = outcome.apps.filter((a) => !a.ok);
          throw new HakoError(
            'E_ROLL',
            `server '${server.name}' stored the environment but ${failed.map((a) => `app '${a.app}'`).join(', ') || 'an app'} did not roll: ${failed[0]?.reason ?? 'see its log'}`,
            `look at the app on the server: hako agent app status ${failed[0]?.app ?? 'APP'}`,
          );
        }
        outcome.result = r.changed === false ? 'unchanged' : 'updated';
      }
      outcome.sentBytes = s.sentBytes;
    });
  } catch (err) {
    outcome.result = 'failed';
    outcome.error = isHakoError(err)
      ? { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) }
      : { code: 'E_INTERNAL', message: String((err as Error)?.message ?? err).slice(0, 300) };
    if (isHakoError(err) && err.code === 'E_NO_KEY') {
      outcome.error.hint = `make the server a recipient: hako servers add ${server.name} ${server.target} --env ${env}`;
    }
  }
  outcome.ms = Math.round(performance.now() - started);
  return outcome;
}
