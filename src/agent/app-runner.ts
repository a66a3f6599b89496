/**
 * Runs one app: its proxy on the public port, one instance per slot, crash restarts, and
 * rolls when its environment changes.
 *
 * Everything that starts or stops instances runs one after another (a per-app chain), so a
 * crash restart never races a roll. Rolls go through a queue: one at a time, requests that
 * arrive meanwhile are coalesced into one roll to the newest version.
 *
 * Versions: the app runs `deployed` (stored). A new version of its environment is rolled
 * out slot by slot (roll.ts); on success it becomes `deployed`; on failure the store's
 * current version of the environment goes back to the one still running, the failed version
 * is dropped, and the reason is kept as the app's last error.
 *
 * A crashed instance is taken out of routing at once and started again after a backoff
 * (0.5 s doubling to 30 s; reset once an instance ran for a minute). Its replacement is
 * routed only after its health check passes.
 */
import { HakoError } from '../core/errors.js';
import type { AppConfig } from './app-config.js';
import { waitHealthy } from './health.js';
import { Instance } from './instance.js';
import { LogBuffer, type LogLine } from './log-buffer.js';
import { AppProxy, type Upstream } from './proxy.js';
import { rollSlots, RollQueue, type RollOps } from './roll.js';
import type { AgentStore } from './store.js';

export interface AppEnvironment {
  store: AgentStore;
  baseEnv: NodeJS.ProcessEnv;
  /** The agent's own log (stderr, the journal under systemd). */
  say: (message: string) => void;
  /** Copies of instance output lines (already redacted), e.g. to the agent's stderr. */
  echo?: (line: LogLine) => void;
}

interface Running {
  slot: number;
  version: number;
  inst: Instance;
  up: Upstream;
}

export interface RollReport {
  app: string;
  ok: boolean;
  from: number | null;
  to: number;
  /** Why it failed (no value, no app output). */
  reason?: string;
  ms: number;
}

export type AppState = 'starting' | 'running' | 'rolling' | 'waiting-for-environment' | 'failing' | 'stopped';

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const STABLE_MS = 60_000;

export class AppRunner {
  readonly logs = new LogBuffer();
  readonly proxy: AppProxy;
  private slots: (Running | null)[];
  private chain: Promise<unknown> = Promise.resolve();
  private readonly queue: RollQueue<RollReport>;
  private deployed: number | null;
  private crashes: number[];
  private restartTimers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private rolling = false;
  private lastError: string | null;
  private seq = 0;

  constructor(
    readonly config: AppConfig,
    private readonly ctx: AppEnvironment,
    deployed: number | null,
    lastError: string | null,
  ) {
    this.proxy = new AppProxy();
    this.slots = new Array<Running | null>(config.instances).fill(null);
    this.crashes = new Array<number>(config.instances).fill(0);
    this.deployed = deployed;
    this.lastError = lastError;
    this.queue = new RollQueue((v) => this.serial(() => this.roll(v)));
  }

  /** Listens on the public port and brings the instances up at the newest good version. */
  async start(): Promise<void> {
    await this.proxy.listen(this.config.host, this.config.port).catch((err: NodeJS.ErrnoException) => {
      throw new HakoError(
        'E_AGENT',
        `app ${this.config.name}: cannot listen on ${this.config.host}:${this.config.port} (${err.code ?? 'error'})`,
        'choose another --port, or stop what uses it',
      );
    });
    await this.serial(() => this.bringUp());
  }

  /** Rolls to `version` (queued, coalesced); resolves with the outcome of the roll that covered it. */
  deploy(version: number): Promise<RollReport> {
    return this.queue.request(version);
  }

  /** Drains and stops every instance, then closes the proxy. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.restartTimers) clearTimeout(t);
    await this.queue.idle();
    await this.serial(async () => {
      await Promise.all(this.slots.map((r) => (r ? this.retire(r) : null)));
      this.slots.fill(null);
    });
    await this.proxy.close();
  }

  state(): AppState {
    if (this.stopped) return 'stopped';
    if (this.rolling) return 'rolling';
    const serving = this.slots.filter(Boolean).length;
    if (serving === this.config.instances) return 'running';
    if (this.deployed === null && this.ctx.store.current(this.config.env) === null) return 'waiting-for-environment';
    return this.crashes.some((c) => c > 0) ? 'failing' : 'starting';
  }

  status() {
    const current = this.ctx.store.current(this.config.env);
    return {
      name: this.config.name,
      env: this.config.env,
      state: this.state(),
      listen: `${this.config.host}:${this.config.port}`,
      health: this.config.health,
      via: this.config.via,
      deployedVersion: this.deployed,
      environmentVersion: current?.version ?? null,
      environmentHash: current?.hash ?? null,
      lastError: this.lastError,
      requests: this.proxy.counters.requests,
      proxyErrors: this.proxy.counters.proxyErrors,
      instances: this.slots.map((r, slot) =>
        r
          ? {
              slot,
              pid: r.inst.pid,
              pgid: r.inst.pgid,
              port: r.inst.port,
              version: r.version,
              inflight: r.up.inflight,
              uptimeMs: Date.now() - r.inst.startedAt,
              routed: r.up.routed,
            }
          : { slot, pid: null, restarts: this.crashes[slot] },
      ),
    };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private target(): number | null {
    return this.ctx.store.current(this.config.env)?.version ?? null;
  }

  /** Fills every empty slot: at the environment's current version, else at the deployed one. */
  private async bringUp(): Promise<void> {
    if (this.stopped) return;
    const target = this.target();
    if (target === null) {
      this.ctx.say(`app ${this.config.name}: waiting for environment '${this.config.env}' (push it with hako sync or hako agent push)`);
      return;
    }
    if (this.slots.every((s) => s === null) && this.deployed !== null && this.deployed !== target) {
      // A version that arrived but was never rolled out (the agent died mid-roll): try it first,
      // and fall back to the deployed one if its first instance does not pass.
      const first = await this.startInstance(0, target).catch((err: Error) => err);
      if (first instanceof Error) {
        this.failVersion(target, this.deployed, `instance 0: ${first.message}`);
      } else {
        this.routeSlot(0, first);
        this.setDeployed(target, null);
      }
    }
    const version = this.deployed ?? target;
    const empty = this.slots.map((s, i) => (s ? -1 : i)).filter((i) => i >= 0);
    const results = await Promise.all(
      empty.map(async (slot) => {
        try {
          this.routeSlot(slot, await this.startInstance(slot, version));
          return true;
        } catch (err) {
          this.lastError = `instance ${slot}: ${(err as Error).message}`;
          this.ctx.say(`app ${this.config.name}: ${this.lastError}`);
          this.scheduleRestart(slot);
          return false;
        }
      }),
    );
    if (this.deployed === null && results.some(Boolean)) this.setDeployed(version, null);
  }

  private async roll(to: number): Promise<RollReport> {
    const t0 = Date.now();
    const from = this.deployed;
    const report = (ok: boolean, reason?: string): RollReport => ({
      app: this.config.name,
      ok,
      from,
      to,
      ...(reason ? { reason } : {}),
      ms: Date.now() - t0,
    });
    if (this.stopped) return report(false, 'the agent is stopping');
    if (from === to) return report(true);
    if (this.slots.every((s) => s === null)) {
      // Nothing runs yet (first environment, or every instance crashed): just bring it up.
      await this.bringUp();
      return this.deployed === to && this.slots.some(Boolean) ? report(true) : report(false, this.lastError ?? 'no instance started');
    }
    this.rolling = true;
    try {
      const ops: RollOps<Running> = {
        serving: (slot) => this.slots[slot] ?? null,
        start: (slot, version) => this.startInstance(slot, version),
        route: (slot, r) => this.routeSlot(slot, r),
        retire: (r) => this.retire(r),
      };
      const result = await rollSlots(ops, this.config.instances, from, to);
      if (result.ok) {
        this.setDeployed(to, null);
        this.ctx.store.addEvent('rolled', `rolled from version ${from} to ${to} in ${Date.now() - t0} ms`, {
          app: this.config.name,
          env: this.config.env,
        });
        this.ctx.say(`app ${this.config.name}: rolled to version ${to} of '${this.config.env}' in ${Date.now() - t0} ms`);
        return report(true);
      }
      const reason = `instance ${result.slot}: ${result.reason}`;
      this.failVersion(to, from, reason);
      if (result.notRestored.length)
        this.ctx.say(`app ${this.config.name}: could not restore slots ${result.notRestored.map((n) => n.slot).join(', ')}`);
      return report(false, reason);
    } finally {
      this.rolling = false;
    }
  }

  /** A version whose roll failed: back to `restore` in the store, the reason kept and logged. */
  private failVersion(failed: number, restore: number | null, reason: string): void {
    this.ctx.store.restoreVersion(this.config.env, failed, restore);
    this.lastError = `version ${failed} of '${this.config.env}' was rolled back: ${reason}`;
    this.ctx.store.setLastError(this.config.name, this.lastError);
    this.ctx.store.addEvent('roll-failed', this.lastError, { app: this.config.name, env: this.config.env });
    this.ctx.say(`app ${this.config.name}: ${this.lastError}`);
  }

  private setDeployed(version: number, lastError: string | null): void {
    this.deployed = version;
    this.lastError = lastError;
    this.ctx.store.setDeployed(this.config.name, version, lastError);
  }

  /** Starts an instance and resolves once it is healthy; stops it and rejects with the reason if not. */
  private async startInstance(slot: number, version: number): Promise<Running> {
    if (this.stopped) throw new Error('the agent is stopping');
    const c = this.config;
    const secrets = this.ctx.store.values(c.env, version);
    const inst = await Instance.start({
      app: c.name,
      slot,
      version,
      env: c.env,
      cmd: c.cmd,
      cwd: c.cwd,
      via: c.via,
      allow: c.allow,
      secrets,
      baseEnv: this.ctx.baseEnv,
      log: (l) => {
        this.logs.push(l);
        this.ctx.echo?.(l);
      },
      onSpawn: (i) =>
        this.ctx.store.addInstance({
          pid: i.pid,
          app: c.name,
          slot,
          version,
          pgid: i.pgid,
          startTime: i.startTime,
          port: i.port,
          filesDir: i.filesDir,
          startedAt: Date.now(),
        }),
    });
    const up = await this.proxy.upstream(`${c.name}#${slot}.${++this.seq}`, inst.port);
    const running: Running = { slot, version, inst, up };
    void inst.exited.then(() => this.onExit(running));
    const health = await waitHealthy(inst.port, c.health, c.healthTimeoutMs, () => inst.exitReason());
    if (!health.ok) {
      await this.proxy.discard(up);
      await inst.stop(c.graceMs);
      this.ctx.store.removeInstance(inst.pid);
      throw new Error(health.reason);
    }
    return running;
  }

  private routeSlot(slot: number, r: Running): void {
    this.slots[slot] = r;
    this.proxy.route(r.up);
  }

  private async retire(r: Running): Promise<void> {
    if (this.slots[r.slot] === r) this.slots[r.slot] = null;
    r.inst.stopping = true;
    const drained = await this.proxy.drain(r.up, this.config.drainTimeoutMs);
    if (drained.abandoned > 0)
      this.ctx.say(
        `app ${this.config.name}: instance ${r.slot} (pid ${r.inst.pid}) still had ${drained.abandoned} requests after ${this.config.drainTimeoutMs} ms`,
      );
    await r.inst.stop(this.config.graceMs);
    this.ctx.store.removeInstance(r.inst.pid);
  }

  private onExit(r: Running): void {
    if (r.inst.stopping || this.stopped) return;
    const why = r.inst.exitReason() ?? 'exited';
    this.ctx.store.removeInstance(r.inst.pid);
    if (this.slots[r.slot] !== r) return; // not routed yet: its start reports the failure
    this.slots[r.slot] = null;
    void this.proxy.discard(r.up);
    if (Date.now() - r.inst.startedAt > STABLE_MS) this.crashes[r.slot] = 0;
    this.ctx.say(`app ${this.config.name}: instance ${r.slot} (pid ${r.inst.pid}) ${why}; restarting`);
    this.ctx.store.addEvent('crashed', `instance ${r.slot} ${why}`, { app: this.config.name });
    this.scheduleRestart(r.slot);
  }

  private scheduleRestart(slot: number): void {
    if (this.stopped) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.crashes[slot]!);
    this.crashes[slot]!++;
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      void this.serial(() => this.bringUp());
    }, delay);
    this.restartTimers.add(timer);
  }

  /** Resolves when no roll is running or queued (for tests and shutdown). */
  idle(): Promise<void> {
    return this.queue.idle();
  }
}
