/** hako servers add | rm | ls, and hako sync */
import { HakoError } from '../core/errors.js';
import { assertEnvName } from '../core/names.js';
import { addServer, removeServer, serversStatus } from '../services/servers.js';
import { DEFAULT_PARALLEL, syncEnvironment, type SyncReport } from '../services/sync.js';
import { defaultEnv } from '../services/secrets.js';
import { flag, str, type CommandContext, type CommandSpec, type Outcome, type ParsedArgs } from './command.js';
import { envOption, jsonOption, listOf } from './options.js';
import { json, table } from './table.js';
import { readNewPassphrase } from './input.js';

/**
 * The exit code of a sync: 1 when any server failed, so it never reads as another documented
 * code (2 is a usage error, 3 a missing key…); how many failed is in the table and in --json.
 */
export function syncExitCode(report: SyncReport): number {
  return report.failed > 0 ? 1 : 0;
}

function shortHash(h: string | null): string {
  return h ? h.slice(7, 19) : '-';
}

function positiveInt(args: ParsedArgs, name: string, max: number): number | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  if (!/^[1-9]\d{0,5}$/.test(v) || Number(v) > max) throw new HakoError('E_USAGE', `--${name} must be a whole number from 1 to ${max}`);
  return Number(v);
}

/** Runs a sync with progress on stderr and the table (or JSON) on stdout; returns the exit outcome. */
export async function runSync(
  ctx: CommandContext,
  env: string,
  opts: { dryRun: boolean; json: boolean; parallel?: number; only?: string[]; timeoutSeconds?: number },
): Promise<Outcome> {
  const report = await syncEnvironment(ctx, env, {
    dryRun: opts.dryRun,
    ...(opts.parallel ? { parallel: opts.parallel } : {}),
    ...(opts.only?.length ? { only: opts.only } : {}),
    ...(opts.timeoutSeconds ? { timeoutSeconds: opts.timeoutSeconds } : {}),
    onProgress: (e) => {
      if (opts.json) return;
      if (e.phase === 'start') ctx.io.stderr(`hako: ${e.server}: connecting…\n`);
      else if (e.outcome) {
        const o = e.outcome;
        ctx.io.stderr(`hako: ${o.server}: ${o.result} (${o.ms} ms)${o.error ? `: ${o.error.message}` : ''}\n`);
      }
    },
  });
  if (opts.json) {
    ctx.io.stdout(
      json({
        env: report.env,
        hash: report.hash,
        dry_run: opts.dryRun,
        failed: report.failed,
        servers: report.outcomes.map((o) => ({
          server: o.server,
          target: o.target,
          result: o.result,
          ms: o.ms,
          hash_before: o.hashBefore,
          hash_after: o.hashAfter,
          apps: o.apps,
          error: o.error,
          sent_bytes: o.sentBytes,
        })),
      }),
    );
  } else {
    ctx.io.stdout(
      table([
        ['SERVER', 'RESULT', 'TIME', 'HASH BEFORE', 'HASH AFTER', 'APPS'],
        ...report.outcomes.map((o) => [
          o.server,
          o.result,
          `${o.ms} ms`,
          shortHash(o.hashBefore),
          shortHash(o.hashAfter),
          o.apps.map((a) => `${a.app}:${a.ok ? 'rolled' : 'failed'}`).join(',') || '-',
        ]),
      ]),
    );
    for (const o of report.outcomes) {
      if (!o.error) continue;
      ctx.io.stderr(`hako: ${o.server} failed: ${o.error.message}\n`);
      if (o.error.hint) ctx.io.stderr(`  hint: ${o.error.hint}\n`);
    }
    const n = report.outcomes.length;
    ctx.io.stderr(
      report.failed
        ? `hako: ${report.failed} of ${n} server${n === 1 ? '' : 's'} failed (exit code ${syncExitCode(report)})\n`
        : `hako: '${env}' is ${opts.dryRun ? 'checked on' : 'in step on'} ${n} server${n === 1 ? '' : 's'}\n`,
    );
  }
  return { code: syncExitCode(report) };
}

export const serverCommands: CommandSpec[] = [
  {
    words: ['servers', 'add'],
    summary: "enrol a server's agent: learn its host key, make it a recipient, record it in .hako/servers.json",
    usage: 'hako servers add NAME [user@]host[:port] --env E [--app APP]...',
    description:
      'Connects with your own ssh (config, keys, agent) and asks the agent on the server (`hako agent\n' +
      'rpc`) for its age recipient. The host key ssh sees on this first connection is written to\n' +
      '.hako/servers.json and every later connection requires it. The recipient is added to the\n' +
      "environment (labelled as a server in recipients.md), so sync ships the repository's own\n" +
      'ciphertext. Adding a known server again with another --env adds that environment. Commit\n' +
      '.hako/servers.json, .hako/secrets.json and .hako/recipients.md.',
    options: {
      env: { ...envOption, help: 'the environment the server receives (required)' },
      app: {
        type: 'string',
        multiple: true,
        label: 'APP',
        help: 'an app the server runs with it (recorded; the agent reports its own too)',
      },
      json: jsonOption,
    },
    positionals: [2, 2],
    examples: [
      'hako servers add web-1 deploy@web-1.example.com --env production',
      'hako servers add db-1 deploy@10.0.0.7:2222 --env production',
    ],
    async run(ctx, args) {
      const env = str(args, 'env');
      if (env === undefined)
        throw new HakoError('E_USAGE', 'give the environment with --env', 'usage: hako servers add NAME user@host --env E');
      const r = await addServer(ctx, {
        name: args.positionals[0]!,
        target: args.positionals[1]!,
        env: assertEnvName(env),
        apps: listOf(args, 'app'),
      });
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json({
            name: r.server.name,
            target: r.server.target,
            environments: r.server.environments,
            apps: r.server.apps,
            recipient: r.server.recipient,
            host_keys: r.server.hostKeys,
            recipient_added: r.recipientAdded,
          }),
        );
        return;
      }
      ctx.io.stderr(
        `hako: server '${r.server.name}' (${r.server.target}) receives '${env}'; host key ${r.server.hostKeys[0]!.split(' ')[0]} pinned\n`,
      );
      ctx.io.stderr(
        r.recipientAdded
          ? `hako: its agent's recipient can now open '${env}'\n`
          : `hako: its agent's recipient could already open '${env}'\n`,
      );
      ctx.io.stderr(`hako: commit .hako/servers.json, .hako/secrets.json and .hako/recipients.md, then: hako sync --env ${env}\n`);
    },
  },
  {
    words: ['servers', 'rm'],
    summary: 'remove a server: its recipient leaves every environment it received (new key each)',
    usage: 'hako servers rm NAME [--force] [--passphrase | --random] [--json]',
    description:
      'Removes the server from .hako/servers.json and its recipient from each environment it\n' +
      'received, which replaces that environment key and re-encrypts every value (the server held\n' +
      'the old key). The next sync to the other servers carries the new key; the removed server\n' +
      'can no longer open it. Values it could read should still be changed at their source.\n' +
      'A passphrase environment needs --passphrase (one new passphrase, for each of them) or --random.',
    options: {
      force: { type: 'boolean', help: 'remove even when the server was the last recipient (this machine keeps a key file)' },
      passphrase: {
        type: 'boolean',
        help: 'derive the new keys of passphrase environments from a new passphrase (HAKO_NEW_PASSPHRASE, prompt or stdin)',
      },
      random: { type: 'boolean', help: 'switch passphrase environments to random keys' },
      json: jsonOption,
    },
    positionals: [1, 1],
    examples: ['hako servers rm web-1', 'HAKO_NEW_PASSPHRASE=… hako servers rm web-1 --passphrase'],
    async run(ctx, args) {
      if (flag(args, 'passphrase') && flag(args, 'random'))
        throw new HakoError('E_USAGE', '--passphrase and --random exclude each other', 'give one of them');
      const name = args.positionals[0]!;
      const passphrase = flag(args, 'passphrase') ? await readNewPassphrase(ctx, `server ${name}`, 'new') : undefined;
      const r = await removeServer(ctx, name, {
        force: flag(args, 'force'),
        random: flag(args, 'random'),
        ...(passphrase !== undefined ? { passphrase } : {}),
      });
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json({
            name: r.server.name,
            rotated: r.rotations.map((x) => ({ env: x.env, old_key_id: x.oldKeyId, new_key_id: x.newKeyId, rotate: x.names })),
          }),
        );
        return;
      }
      ctx.io.stderr(`hako: removed server '${r.server.name}' (${r.server.target})\n`);
      for (const x of r.rotations) {
        ctx.io.stderr(`hako: '${x.env}': key id ${x.oldKeyId} → ${x.newKeyId}, ${x.names.length} values re-encrypted\n`);
        ctx.io.stdout(`Rotation checklist for '${x.env}' (the server could read these): ${x.names.join(', ') || '(none)'}\n`);
      }
      const envs = r.rotations.map((x) => x.env);
      if (envs.length)
        ctx.io.stderr(`hako: commit, then sync the remaining servers: ${envs.map((e) => `hako sync --env ${e}`).join('; ')}\n`);
    },
  },
  {
    words: ['servers', 'ls'],
    summary: 'list the servers and what this machine last saw of each',
    usage: 'hako servers ls [--json]',
    options: { json: jsonOption },
    examples: ['hako servers ls', 'hako servers ls --json'],
    async run(ctx, args) {
      const rows = serversStatus(ctx);
      if (flag(args, 'json')) {
        ctx.io.stdout(json(rows));
        return;
      }
      if (rows.length === 0) {
        ctx.io.stderr('hako: no servers yet; add one with hako servers add NAME user@host --env E\n');
        return;
      }
      const lines = [['SERVER', 'TARGET', 'ENVIRONMENT', 'LAST', 'RESULT', 'HASH']];
      for (const s of rows) {
        for (const env of s.environments) {
          const l = s.last[env];
          lines.push([
            s.name,
            s.target,
            env,
            l ? l.at.slice(0, 19).replace('T', ' ') : 'never',
            l?.result ?? '-',
            shortHash(l?.hash ?? null),
          ]);
        }
      }
      ctx.io.stdout(table(lines));
    },
  },
  {
    words: ['sync'],
    summary: "push an environment's ciphertext to its servers over ssh; skip those already in step",
    usage: 'hako sync [--env E] [--dry-run] [--server NAME]... [--parallel N] [--json]',
    description:
      'For each server that receives the environment (.hako/servers.json), in parallel (8 at once by\n' +
      "default): compare the fingerprint of the entry the server's agent holds with the repository's,\n" +
      'and when they differ send the entry as committed (ciphertext only; no key is needed here). The\n' +
      'agent opens it with its own age identity, checks key continuity and rolls its apps. A failed\n' +
      'server does not stop the others. Exit 1 when any server failed (how many: the table, --json),\n' +
      '0 when all are in step. Uses your ssh (HAKO_SSH to name another program); host keys must match\n' +
      'the ones pinned at servers add. HAKO_SSH_CONTROL_PERSIST=SECONDS keeps connections open for\n' +
      'the next command (ControlMaster).',
    options: {
      env: envOption,
      'dry-run': { type: 'boolean', help: 'compare only: show which servers would be updated' },
      server: { type: 'string', multiple: true, label: 'NAME', help: 'only this server (repeatable)' },
      parallel: { type: 'string', label: 'N', help: `servers at once (default ${DEFAULT_PARALLEL}; 1 = one after another)` },
      timeout: { type: 'string', label: 'S', help: 'seconds per server before giving up (default 120)' },
      json: jsonOption,
    },
    examples: ['hako sync --env production', 'hako sync --env production --dry-run', 'hako sync --env staging --server web-1 --json'],
    async run(ctx, args) {
      return runSync(ctx, defaultEnv(ctx, str(args, 'env')), {
        dryRun: flag(args, 'dry-run'),
        json: flag(args, 'json'),
        parallel: positiveInt(args, 'parallel', 64),
        only: listOf(args, 'server'),
        timeoutSeconds: positiveInt(args, 'timeout', 3600),
      });
    },
  },
];
