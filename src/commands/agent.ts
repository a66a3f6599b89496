/** hako agent …: the server side (set-up, the daemon, its control socket and rpc, apps). */
import { userInfo } from 'node:os';
import { HakoError } from '../core/errors.js';
import { splitShellWords } from '../core/formats/shell-words.js';
import { callAgent } from '../agent/control-client.js';
import { entryFromProject } from '../agent/local-push.js';
import { statePaths, stateDirFor } from '../agent/state-dir.js';
import { VERSION } from '../core/version.js';
import { flag, str, type CommandContext, type CommandSpec, type ParsedArgs } from './command.js';
import { jsonOption } from './options.js';

const dirOption = { type: 'string', label: 'DIR', help: 'state directory (default: $HAKO_AGENT_DIR, else /var/lib/hako)' } as const;

function socketOf(ctx: CommandContext, args: ParsedArgs): string {
  return statePaths(stateDirFor(ctx.env, str(args, 'dir'), ctx.cwd)).socket;
}

function print(ctx: CommandContext, value: unknown): void {
  ctx.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

function seconds(args: ParsedArgs, name: string): number | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n))
    throw new HakoError('E_USAGE', `--${name} must be a number of seconds`, `e.g. --${name} 30`);
  return Math.round(n * 1000);
}

function integer(args: ParsedArgs, name: string): number | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,6}$/.test(v)) throw new HakoError('E_USAGE', `--${name} must be a whole number`, `see hako agent app add --help`);
  return Number(v);
}

interface AppSummary {
  name: string;
  env: string;
  state: string;
  listen: string;
  deployedVersion: number | null;
  environmentVersion: number | null;
  serving: number;
  instances: number;
  lastError: string | null;
}

function appLines(apps: AppSummary[]): string {
  if (apps.length === 0) return 'no apps (add one: hako agent app add NAME --env E --port P --cmd "…")\n';
  return apps
    .map(
      (a) =>
        `${a.name}  env ${a.env}  ${a.state}  ${a.serving}/${a.instances} serving on ${a.listen}  version ${a.deployedVersion ?? '-'}` +
        (a.lastError ? `\n  last error: ${a.lastError}` : ''),
    )
    .join('\n')
    .concat('\n');
}

export const agentCommands: CommandSpec[] = [
  {
    words: ['agent', 'init'],
    summary: 'set up this server: state directory, device key, age identity (prints its recipient)',
    usage: 'hako agent init [--dir DIR]',
    description:
      'Creates the agent directory (0700) with a device key (0600) that encrypts every value the agent\n' +
      'stores, an age identity for this server (0600) and an empty store. Prints the recipient: add it\n' +
      'to the environments this server runs (hako recipients add RECIPIENT --env production), so they\n' +
      'reach it encrypted. Never replaces an existing key or identity. The device key protects copies\n' +
      'of the database (backups, images); it does not protect against someone who can read the\n' +
      "directory as the agent's user or root. See docs/AGENT.md.",
    options: { dir: dirOption, json: jsonOption },
    examples: ['sudo -u hako hako agent init', 'HAKO_AGENT_DIR=/srv/hako hako agent init'],
    async run(ctx, args) {
      const { initAgentDir } = await import('../agent/setup.js');
      const r = await initAgentDir(stateDirFor(ctx.env, str(args, 'dir'), ctx.cwd));
      if (flag(args, 'json')) return print(ctx, r);
      ctx.io.stdout(`${r.created ? 'set up' : 'already set up:'} ${r.dir}\nrecipient: ${r.recipient}\n`);
      ctx.notice(`add this server to an environment: hako recipients add ${r.recipient} --env production`);
    },
  },
  {
    words: ['agent', 'unit'],
    summary: 'print a systemd unit for the agent',
    usage: 'hako agent unit [--user USER] [--dir DIR] [--exec CMD]',
    options: {
      user: { type: 'string', label: 'USER', help: 'the user the agent runs as (default: the current user)' },
      dir: dirOption,
      exec: { type: 'string', label: 'CMD', help: 'how to start hako (default: the hako running now)' },
    },
    examples: ['hako agent unit --user hako | sudo tee /etc/systemd/system/hako-agent.service'],
    async run(ctx, args) {
      const { systemdUnit } = await import('../agent/setup.js');
      // A small young generation keeps the long-running agent's memory down after load (V8 grows
      // it to 16 MB semi-spaces otherwise and keeps them); the flag only works at start-up.
      const exec = str(args, 'exec') ?? `${process.execPath} --max-semi-space-size=1 ${process.argv[1] ?? 'hako'}`;
      if (/[\n\r]/.test(exec)) throw new HakoError('E_USAGE', '--exec must be one line');
      const user = str(args, 'user') ?? userInfo().username;
      if (!/^[a-z_][a-z0-9_-]{0,31}\$?$/.test(user))
        throw new HakoError('E_USAGE', `--user ${JSON.stringify(user.slice(0, 40))} is not a user name`);
      ctx.io.stdout(systemdUnit({ user, dir: stateDirFor(ctx.env, str(args, 'dir'), ctx.cwd), exec }));
    },
  },
  {
    words: ['agent', 'run'],
    summary: 'run the agent (the long-running daemon; systemd starts it)',
    usage: 'hako agent run [--dir DIR]',
    description:
      'Starts every app, serves each app port through its own proxy, listens on DIR/agent.sock for the\n' +
      'local CLI and for hako agent rpc, and rolls apps when their environment changes. Stops what a\n' +
      'killed predecessor left. SIGTERM or SIGINT drains the apps and stops.',
    options: { dir: dirOption },
    examples: ['hako agent run', 'HAKO_AGENT_DIR=/srv/hako hako agent run'],
    async run(ctx, args) {
      const { runAgent } = await import('../agent/run.js');
      const dir = stateDirFor(ctx.env, str(args, 'dir'), ctx.cwd);
      await runAgent({
        dir,
        version: VERSION,
        baseEnv: ctx.env,
        say: (m) => ctx.io.stderr(`hako-agent: ${m}\n`),
        echo: (l) => ctx.io.stderr(`[${l.app}#${l.slot}] ${l.line}\n`),
      });
    },
  },
  {
    words: ['agent', 'rpc'],
    summary: "speak the agent's JSON-lines protocol on stdin/stdout (for ssh host hako agent rpc)",
    usage: 'hako agent rpc [--dir DIR]',
    description:
      'Carries requests to the running agent: {"v":1,"id":1,"method":"status","params":{}} per line.\n' +
      'Only status, hello, recipient, environment-hash, push-environment, app-list, app-status and\n' +
      'logs-tail pass; app management stays on the server. See docs/AGENT.md for the protocol.',
    options: { dir: dirOption },
    examples: ['ssh deploy@web1 hako agent rpc <<< \'{"v":1,"id":1,"method":"status"}\''],
    async run(ctx, args) {
      const { rpcBridge } = await import('../agent/rpc-bridge.js');
      const streams = ctx.io.streams;
      if (!streams?.stdin) throw new HakoError('E_USAGE', 'hako agent rpc needs real stdin and stdout');
      await rpcBridge(
        socketOf(ctx, args),
        streams.stdin as import('node:stream').Readable,
        streams.stdout as import('node:stream').Writable,
      );
    },
  },
  {
    words: ['agent', 'status'],
    summary: "the running agent's environments and apps",
    usage: 'hako agent status [--dir DIR] [--json]',
    options: { dir: dirOption, json: jsonOption },
    examples: ['hako agent status', 'hako agent status --json'],
    async run(ctx, args) {
      const s = (await callAgent(socketOf(ctx, args), 'status')) as {
        agent: { pid: number; dir: string; recipient: string; rssBytes: number; uptimeMs: number };
        environments: { env: string; version: number | null; hash: string | null }[];
        apps: AppSummary[];
      };
      if (flag(args, 'json')) return print(ctx, s);
      const lines = [
        `agent pid ${s.agent.pid}, ${s.agent.dir}, up ${Math.round(s.agent.uptimeMs / 1000)} s, ${Math.round(s.agent.rssBytes / 1048576)} MB`,
        `recipient ${s.agent.recipient}`,
        ...s.environments.map((e) => `environment ${e.env}: version ${e.version ?? '-'} ${e.hash ?? ''}`),
      ];
      ctx.io.stdout(`${lines.join('\n')}\n${appLines(s.apps)}`);
    },
  },
  {
    words: ['agent', 'push'],
    summary: 'send an environment of this checkout to the local agent (as hako sync does over ssh)',
    usage: 'hako agent push --env E [--dir DIR] [--json]',
    options: { env: { type: 'string', short: 'e', label: 'E', help: 'the environment to send' }, dir: dirOption, json: jsonOption },
    examples: ['hako agent push --env production'],
    async run(ctx, args) {
      const env = str(args, 'env');
      if (!env) throw new HakoError('E_USAGE', 'which environment? give --env', 'e.g. hako agent push --env production');
      const e = entryFromProject(ctx, env);
      const r = (await callAgent(socketOf(ctx, args), 'push-environment', { env: e.env, entry: e.entry, hash: e.hash })) as {
        changed: boolean;
        ok: boolean;
        version: number;
        apps: { app: string; ok: boolean; reason?: string; ms: number }[];
      };
      if (flag(args, 'json')) print(ctx, r);
      else if (!r.changed) ctx.io.stdout(`unchanged: the agent already has this '${env}' (version ${r.version})\n`);
      else {
        ctx.io.stdout(`sent '${env}': version ${r.version}\n`);
        for (const a of r.apps) ctx.io.stdout(`  ${a.app}: ${a.ok ? `rolled in ${a.ms} ms` : `FAILED, rolled back: ${a.reason}`}\n`);
      }
      if (!r.ok) {
        throw new HakoError(
          'E_ROLL',
          `the new '${env}' was rolled back on ${r.apps.filter((a) => !a.ok).length} app(s)`,
          'the old instances keep serving; fix the environment and push again',
        );
      }
    },
  },
  {
    words: ['agent', 'trust'],
    summary: 'show the key chain the agent pinned for an environment, or forget it on purpose',
    usage: 'hako agent trust ENV [--forget] [--dir DIR]',
    options: { forget: { type: 'boolean', help: 'forget the pin: the next push is accepted as a first one' }, dir: dirOption },
    positionals: [1, 1],
    examples: ['hako agent trust production', 'hako agent trust production --forget'],
    async run(ctx, args) {
      const env = args.positionals[0]!;
      if (flag(args, 'forget')) {
        const r = (await callAgent(socketOf(ctx, args), 'trust-forget', { env })) as { forgotten: boolean };
        ctx.io.stdout(r.forgotten ? `forgot the pinned key chain of '${env}'\n` : `no pin for '${env}'\n`);
        return;
      }
      const s = (await callAgent(socketOf(ctx, args), 'status')) as {
        environments: { env: string; keyId: string | null; pinnedChain: number }[];
      };
      const e = s.environments.find((x) => x.env === env);
      ctx.io.stdout(
        e ? `'${env}': key ${e.keyId ?? '-'}, pinned chain of ${e.pinnedChain} link(s)\n` : `no environment '${env}' on this agent\n`,
      );
    },
  },
  {
    words: ['agent', 'app', 'add'],
    summary: 'run an app with the secrets of one environment, behind the agent proxy',
    usage: 'hako agent app add NAME --env E --port P (--cmd "CMD ARGS" | -- CMD ARGS) [options]',
    description:
      'Each instance runs in its own process group on a loopback port (PORT and HOST are set), with its\n' +
      'values on fd 3 (default), as variables (--via env) or as private files (--via files). The agent\n' +
      'serves --port and passes requests to the instances; it routes to an instance once GET --health\n' +
      'answers 2xx. With --via env or files, names such as NODE_OPTIONS or LD_PRELOAD are refused unless\n' +
      'allowed with --allow NAME.',
    options: {
      env: { type: 'string', short: 'e', label: 'E', help: 'the environment whose values the app gets' },
      cmd: { type: 'string', label: 'CMD', help: 'the command line (split like a shell, no expansion)' },
      instances: { type: 'string', label: 'N', help: 'how many instances (default 2)' },
      port: { type: 'string', label: 'P', help: 'the public port the agent serves' },
      host: { type: 'string', label: 'IP', help: 'the address to listen on (default 127.0.0.1; 0.0.0.0 for all)' },
      health: { type: 'string', label: 'PATH', help: 'health check path (default /health)' },
      via: { type: 'string', label: 'MODE', help: 'fd3 (default), env or files' },
      allow: { type: 'string', multiple: true, label: 'NAME', help: 'hand over this process-control name anyway (repeatable)' },
      cwd: { type: 'string', label: 'DIR', help: 'working directory of the instances (absolute)' },
      'health-timeout': { type: 'string', label: 'S', help: 'seconds a new instance has to pass its check (default 30)' },
      'drain-timeout': { type: 'string', label: 'S', help: 'seconds an old instance may finish its requests (default 30)' },
      grace: { type: 'string', label: 'S', help: 'seconds between SIGTERM and SIGKILL (default 10)' },
      dir: dirOption,
      json: jsonOption,
    },
    positionals: [1, 1],
    examples: [
      'hako agent app add web --env production --port 8080 --cmd "node /srv/app/server.js" --instances 2',
      'hako agent app add api --env production --port 9000 --via env -- /srv/api/bin/api --serve',
    ],
    async run(ctx, args) {
      const name = args.positionals[0]!;
      const cmdLine = str(args, 'cmd');
      if (cmdLine !== undefined && args.rest.length)
        throw new HakoError('E_USAGE', 'give the command either with --cmd or after --, not both');
      const cmd = cmdLine !== undefined ? splitShellWords(cmdLine, '--cmd') : args.rest;
      if (cmd.length === 0) throw new HakoError('E_USAGE', 'no command', 'give it with --cmd "node server.js" or after --');
      const env = str(args, 'env');
      if (!env) throw new HakoError('E_USAGE', 'which environment? give --env');
      const port = integer(args, 'port');
      if (port === undefined) throw new HakoError('E_USAGE', 'which port? give --port');
      const config: Record<string, unknown> = { name, env, cmd, port };
      const put = (k: string, v: unknown) => {
        if (v !== undefined) config[k] = v;
      };
      put('instances', integer(args, 'instances'));
      put('host', str(args, 'host'));
      put('health', str(args, 'health'));
      put('via', str(args, 'via'));
      put('allow', args.values['allow']);
      put('cwd', str(args, 'cwd'));
      put('healthTimeoutMs', seconds(args, 'health-timeout'));
      put('drainTimeoutMs', seconds(args, 'drain-timeout'));
      put('graceMs', seconds(args, 'grace'));
      const r = (await callAgent(socketOf(ctx, args), 'app-add', { config })) as {
        state: string;
        lastError: string | null;
        listen: string;
      };
      if (flag(args, 'json')) return print(ctx, r);
      ctx.io.stdout(`added ${name}: ${r.state}, serving ${r.listen}\n`);
      if (r.lastError) ctx.notice(r.lastError);
    },
  },
  {
    words: ['agent', 'app', 'rm'],
    summary: 'stop an app (draining its instances) and remove it',
    usage: 'hako agent app rm NAME [--dir DIR]',
    options: { dir: dirOption },
    positionals: [1, 1],
    examples: ['hako agent app rm web'],
    async run(ctx, args) {
      await callAgent(socketOf(ctx, args), 'app-rm', { app: args.positionals[0]! });
      ctx.io.stdout(`removed ${args.positionals[0]}\n`);
    },
  },
  {
    words: ['agent', 'app', 'ls'],
    summary: 'the apps of the running agent',
    usage: 'hako agent app ls [--dir DIR] [--json]',
    options: { dir: dirOption, json: jsonOption },
    examples: ['hako agent app ls'],
    async run(ctx, args) {
      const r = (await callAgent(socketOf(ctx, args), 'app-list')) as { apps: AppSummary[] };
      if (flag(args, 'json')) return print(ctx, r);
      ctx.io.stdout(appLines(r.apps));
    },
  },
  {
    words: ['agent', 'app', 'status'],
    summary: "one app's instances, versions and last error",
    usage: 'hako agent app status NAME [--dir DIR] [--json]',
    options: { dir: dirOption, json: jsonOption },
    positionals: [1, 1],
    examples: ['hako agent app status web --json'],
    async run(ctx, args) {
      const r = (await callAgent(socketOf(ctx, args), 'app-status', { app: args.positionals[0]! })) as AppSummary & {
        instances: { slot: number; pid: number | null; port?: number; version?: number; inflight?: number }[];
      };
      if (flag(args, 'json')) return print(ctx, r);
      const lines = [`${r.name}: ${r.state}, env ${r.env} version ${r.deployedVersion ?? '-'}, serving ${r.listen}`];
      for (const i of r.instances)
        lines.push(
          i.pid === null
            ? `  #${i.slot}: not running`
            : `  #${i.slot}: pid ${i.pid} port ${i.port} version ${i.version} in flight ${i.inflight}`,
        );
      if (r.lastError) lines.push(`  last error: ${r.lastError}`);
      ctx.io.stdout(`${lines.join('\n')}\n`);
    },
  },
  {
    words: ['agent', 'app', 'logs'],
    summary: "the last lines an app's instances printed (redacted)",
    usage: 'hako agent app logs NAME [--lines N] [--dir DIR] [--json]',
    options: { lines: { type: 'string', short: 'n', label: 'N', help: 'how many lines (default 100)' }, dir: dirOption, json: jsonOption },
    positionals: [1, 1],
    examples: ['hako agent app logs web -n 20'],
    async run(ctx, args) {
      const n = integer(args, 'lines') ?? 100;
      const r = (await callAgent(socketOf(ctx, args), 'logs-tail', { app: args.positionals[0]!, lines: n })) as {
        lines: { at: number; slot: number; stream: string; line: string }[];
      };
      if (flag(args, 'json')) return print(ctx, r);
      ctx.io.stdout(
        r.lines.map((l) => `${new Date(l.at).toISOString()} #${l.slot} ${l.stream === 'stderr' ? 'err' : 'out'} ${l.line}\n`).join(''),
      );
    },
  },
];
