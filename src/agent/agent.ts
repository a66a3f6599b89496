/**
 * The running agent: owns the store, the server identity, one AppRunner per app, and
 * answers control requests (protocol.ts) from the socket server.
 *
 * Start-up order: claim the pid file (one agent per directory), open the store, then at the
 * same time stop what a killed predecessor left (reaper.ts) and start every app (each proxy
 * listens at once and holds requests until an instance is healthy), then open the socket.
 * Shutdown (SIGTERM/SIGINT): close the socket, drain and stop every app, close the store.
 *
 * A pushed environment is opened and stored under one lock (two pushes never race on the
 * pin), then every app that uses it rolls; the reply carries each app's outcome.
 */
import { HakoError } from '../core/errors.js';
import { parseAppConfig, type AppConfig } from './app-config.js';
import { AppRunner, type RollReport } from './app-runner.js';
import { readDeviceKey } from './device-key.js';
import { claimPidFile } from './pid-file.js';
import { methodsFor, PROTOCOL_VERSION, type Channel, type Request } from './protocol.js';
import { reapLeftovers } from './reaper.js';
import { openReceivedEntry } from './receive.js';
import { readServerIdentity, type ServerIdentity } from './server-identity.js';
import { openStateDir, type StatePaths } from './state-dir.js';
import { AgentStore } from './store.js';
import type { LogLine } from './log-buffer.js';

export interface AgentOptions {
  dir: string;
  version: string;
  baseEnv: NodeJS.ProcessEnv;
  say: (message: string) => void;
  echo?: (line: LogLine) => void;
}

export class Agent {
  private readonly runners = new Map<string, AppRunner>();
  private pushLock: Promise<unknown> = Promise.resolve();
  private readonly startedAt = Date.now();

  private constructor(
    readonly paths: StatePaths,
    readonly store: AgentStore,
    readonly identity: ServerIdentity,
    private readonly opts: AgentOptions,
    private readonly releasePid: () => void,
  ) {}

  static async open(opts: AgentOptions): Promise<Agent> {
    const paths = openStateDir(opts.dir);
    const releasePid = claimPidFile(paths.pidFile);
    try {
      const key = readDeviceKey(paths.deviceKey);
      const identity = await readServerIdentity(paths.identity);
      const store = await AgentStore.open(paths.db, key);
      key.fill(0);
      return new Agent(paths, store, identity, opts, releasePid);
    } catch (err) {
      releasePid();
      throw err;
    }
  }

  /** Stops leftovers and starts every app; resolves once each app is up or has failed to start. */
  async start(): Promise<void> {
    const leftovers = reapLeftovers(this.store, 10_000).then((r) => {
      if (r.stopped.length)
        this.opts.say(
          `stopped ${r.stopped.length} instance group(s) a previous agent left: ${r.stopped.map((s) => `${s.app} pid ${s.pid}`).join(', ')}`,
        );
    });
    const apps = this.store.apps().map(async (row) => {
      let config: AppConfig;
      try {
        config = parseAppConfig(row.config);
      } catch (err) {
        this.opts.say(`app ${row.name}: stored config does not parse (${(err as Error).message}); not started`);
        return;
      }
      const runner = new AppRunner(config, this.appEnv(), row.deployed, row.lastError);
      this.runners.set(config.name, runner);
      await runner.start().catch((err: Error) => this.opts.say(err.message));
    });
    await Promise.all([leftovers, ...apps]);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
    this.store.close();
    this.releasePid();
  }

  private appEnv() {
    return { store: this.store, baseEnv: this.opts.baseEnv, say: this.opts.say, ...(this.opts.echo ? { echo: this.opts.echo } : {}) };
  }

  private runner(app: string): AppRunner {
    const r = this.runners.get(app);
    if (!r) throw new HakoError('E_AGENT', `no app '${app}' on this agent`, 'list them with hako agent app ls');
    return r;
  }

  async handle(req: Request, channel: Channel): Promise<unknown> {
    switch (req.method) {
      case 'hello':
        return { protocol: PROTOCOL_VERSION, version: this.opts.version, methods: methodsFor(channel) };
      case 'recipient':
        return { recipient: this.identity.recipient };
      case 'status':
        return this.status();
      case 'environment-hash': {
        const cur = this.store.current(req.params.env);
        return { env: req.params.env, hash: cur?.hash ?? null, version: cur?.version ?? null };
      }
      case 'push-environment':
        return this.push(req.params.env, req.params.entry, req.params.hash);
      case 'app-list':
        return { apps: [...this.runners.values()].map((r) => summary(r)) };
      case 'app-status':
        return this.runner(req.params.app).status();
      case 'logs-tail':
        return { app: req.params.app, lines: this.runner(req.params.app).logs.tail(req.params.lines) };
      case 'app-add':
        return this.addApp(req.params.config);
      case 'app-rm':
        return this.removeApp(req.params.app);
      case 'trust-forget':
        return { env: req.params.env, forgotten: this.store.forgetPin(req.params.env) };
    }
  }

  status() {
    return {
      agent: {
        version: this.opts.version,
        protocol: PROTOCOL_VERSION,
        pid: process.pid,
        uptimeMs: Date.now() - this.startedAt,
        dir: this.paths.dir,
        recipient: this.identity.recipient,
        rssBytes: process.memoryUsage.rss(),
      },
      environments: this.store.environments().map((e) => ({
        env: e.env,
        version: e.current?.version ?? null,
        hash: e.current?.hash ?? null,
        keyId: e.current?.keyId ?? null,
        receivedAt: e.current ? new Date(e.current.receivedAt).toISOString() : null,
        versions: e.versions,
        pinnedChain: e.pin?.length ?? 0,
      })),
      apps: [...this.runners.values()].map((r) => summary(r)),
    };
  }

  private async push(env: string, entry: Record<string, unknown>, hash: string) {
    const stored = await this.locked(async () => {
      const before = this.store.current(env);
      if (before && before.hash === hash) return { changed: false as const, version: before.version, previousHash: before.hash };
      const opened = await openReceivedEntry(env, entry, hash, this.identity, this.store.pin(env));
      const version = this.store.addVersion(env, hash, opened.keyId, opened.values, opened.pin);
      opened.values.clear();
      this.store.addEvent('received', `version ${version} (${hash.slice(0, 23)}…)`, { env });
      return { changed: true as const, version, previousHash: before?.hash ?? null };
    });
    if (!stored.changed) {
      this.opts.say(`environment '${env}': unchanged (${hash.slice(0, 23)}…), nothing to do`);
      return { env, changed: false, ok: true, version: stored.version, hash, previousHash: stored.previousHash, apps: [] };
    }
    this.opts.say(`environment '${env}': received version ${stored.version} (${hash.slice(0, 23)}…)`);
    const users = [...this.runners.values()].filter((r) => r.config.env === env);
    const apps: RollReport[] = await Promise.all(users.map((r) => r.deploy(stored.version)));
    const now = this.store.current(env);
    return {
      env,
      changed: true,
      ok: apps.every((a) => a.ok),
      version: stored.version,
      hash: now?.hash ?? null,
      previousHash: stored.previousHash,
      apps,
    };
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.pushLock.then(fn, fn);
    this.pushLock = run.catch(() => {});
    return run;
  }

  private async addApp(input: Record<string, unknown>) {
    const config = parseAppConfig(input);
    if (this.runners.has(config.name))
      throw new HakoError('E_EXISTS', `app '${config.name}' already exists`, `remove it first: hako agent app rm ${config.name}`);
    for (const r of this.runners.values()) {
      if (r.config.port === config.port)
        throw new HakoError('E_EXISTS', `port ${config.port} is already the port of app '${r.config.name}'`, 'choose another --port');
    }
    this.store.putApp(config.name, config);
    const runner = new AppRunner(config, this.appEnv(), null, null);
    try {
      await runner.start();
    } catch (err) {
      await runner.stop().catch(() => {});
      this.store.removeApp(config.name);
      throw err;
    }
    this.runners.set(config.name, runner);
    this.store.addEvent('app-added', `app ${config.name} on port ${config.port} (${config.instances} instances)`, {
      app: config.name,
      env: config.env,
    });
    return runner.status();
  }

  private async removeApp(app: string) {
    const runner = this.runner(app);
    this.runners.delete(app);
    await runner.stop();
    this.store.removeApp(app);
    this.store.addEvent('app-removed', `app ${app}`, { app });
    return { app, removed: true };
  }
}

function summary(r: AppRunner) {
  const s = r.status();
  return {
    name: s.name,
    env: s.env,
    state: s.state,
    listen: s.listen,
    deployedVersion: s.deployedVersion,
    environmentVersion: s.environmentVersion,
    serving: s.instances.filter((i) => i.pid !== null).length,
    instances: s.instances.length,
    lastError: s.lastError,
  };
}
