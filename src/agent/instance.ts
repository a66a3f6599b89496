/**
 * One running instance of an app: a child process in its own process group, started with
 * the values of one environment version, listening on a loopback port the agent chose.
 *
 * - Delivery reuses the launcher's: fd 3 envelope by default (the child's environment then
 *   holds no value, only HAKO_SECRETS_FD=3), or variables, or private files on request. For
 *   env and files, names that control a process (NODE_OPTIONS, LD_PRELOAD, …) are refused
 *   unless the app allows them by name.
 * - The child gets the agent's environment without key material and without the agent's
 *   own settings, plus PORT (its loopback port) and HOST=127.0.0.1.
 * - stdout and stderr go through the launcher's streaming redactor (every spelling of every
 *   value of the app's environment becomes [REDACTED:NAME]) and then into the log buffer.
 * - `stop()` signals the whole group: SIGTERM, a grace period, then SIGKILL, and waits
 *   until the group is gone, so nothing the app started outlives it.
 * The pid, start time and group are handed to `onSpawn` synchronously after spawn (the
 * store records them before anything else can happen), so even an agent killed one
 * instruction later leaves a record its successor can act on.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { HakoError } from '../core/errors.js';
import { withoutKeyMaterial } from '../core/keys/key-material.js';
import { assertNoProcessControl, deliveredVariables } from '../core/process-control-names.js';
import { prepareDelivery, type Delivery, type DeliveryMode } from '../launcher/delivery.js';
import { ENVELOPE_FD_VAR } from '../launcher/envelope.js';
import { SECRETS_DIR_VAR } from '../launcher/files-delivery.js';
import { isRedactable } from '../launcher/redaction-forms.js';
import { matcherFor, StreamRedactor } from '../launcher/redactor.js';
import { LineSplitter, type LogLine } from './log-buffer.js';
import { groupMembers, procStat, signalGroup } from './process-info.js';
import { STATE_DIR_VAR } from './state-dir.js';

export interface InstanceSpec {
  app: string;
  slot: number;
  version: number;
  env: string;
  cmd: readonly string[];
  cwd: string | null;
  via: DeliveryMode;
  allow: readonly string[];
  secrets: ReadonlyMap<string, string>;
  /** The agent's own environment, from which the child's is made. */
  baseEnv: NodeJS.ProcessEnv;
  log: (line: LogLine) => void;
  /** Called synchronously once the child exists, before any await. */
  onSpawn: (info: { pid: number; pgid: number; startTime: string; port: number; filesDir: string | null }) => void;
}

export type InstanceExit = { code: number } | { signal: NodeJS.Signals } | { error: string };

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const AGENT_ONLY_VARS = [
  STATE_DIR_VAR,
  ENVELOPE_FD_VAR,
  SECRETS_DIR_VAR,
  'NOTIFY_SOCKET',
  'LISTEN_FDS',
  'LISTEN_PID',
  'LISTEN_FDNAMES',
  'WATCHDOG_USEC',
  'WATCHDOG_PID',
  'INVOCATION_ID',
];

export class Instance {
  readonly pid: number;
  readonly pgid: number;
  readonly startTime: string;
  readonly startedAt = Date.now();
  readonly exited: Promise<InstanceExit>;
  exit: InstanceExit | null = null;
  /** Set once `stop()` was called: an exit after that is expected, not a crash. */
  stopping = false;

  private constructor(
    readonly spec: InstanceSpec,
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly delivery: Delivery,
    private readonly relays: Promise<void>[],
  ) {
    this.pid = child.pid!;
    this.pgid = child.pid!;
    this.startTime = procStat(this.pid)?.startTime ?? '?';
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = signal ? { signal } : { code: code ?? 1 };
        delivery.cleanup();
        resolve(this.exit);
      });
    });
  }

  static async start(spec: InstanceSpec): Promise<Instance> {
    if (spec.via !== 'fd3') {
      assertNoProcessControl(
        deliveredVariables(spec.secrets.keys(), spec.via === 'files' ? 'file' : 'value'),
        new Set(spec.allow),
        `hako agent (--via ${spec.via})`,
      );
    }
    const port = await freePort();
    const delivery = prepareDelivery(spec.via, spec.env, spec.secrets, spec.baseEnv, () => {});
    let child: ChildProcess;
    try {
      const env = withoutKeyMaterial(spec.baseEnv);
      for (const k of AGENT_ONLY_VARS) delete env[k];
      for (const [name, value] of delivery.vars) env[name] = value;
      env['PORT'] = String(port);
      env['HOST'] = '127.0.0.1';
      const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', ...(delivery.fd3 ? ['pipe' as const] : [])];
      child = spawn(spec.cmd[0]!, spec.cmd.slice(1), { stdio, env, detached: true, ...(spec.cwd ? { cwd: spec.cwd } : {}) });
    } catch (err) {
      delivery.cleanup();
      throw new HakoError(
        'E_CHILD',
        `cannot start ${JSON.stringify(spec.cmd[0]!.slice(0, 80))} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        'check the command of the app',
      );
    }
    if (child.pid === undefined) {
      delivery.cleanup();
      const code = await new Promise<string>((resolve) => child.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error')));
      throw new HakoError(
        'E_NO_COMMAND',
        `cannot start ${JSON.stringify(spec.cmd[0]!.slice(0, 80))} (${code})`,
        'check the command and cwd of the app (hako agent app add --cmd …)',
      );
    }
    const filesDir = delivery.vars.get(SECRETS_DIR_VAR) ?? null;
    const relays = [relay(child, 'stdout', spec), relay(child, 'stderr', spec)];
    const inst = new Instance(spec, port, child, delivery, relays);
    spec.onSpawn({ pid: inst.pid, pgid: inst.pgid, startTime: inst.startTime, port, filesDir });
    child.on('error', () => {
      /* a kill() of a child that is gone */
    });
    delivery.started(child);
    return inst;
  }

  /** Why the instance is no longer running, or null while it runs. */
  exitReason(): string | null {
    const e = this.exit;
    if (!e) return null;
    if ('signal' in e) return `exited on ${e.signal}`;
    if ('code' in e) return `exited with code ${e.code}`;
    return e.error;
  }

  /** SIGTERM to the group, up to `graceMs`, then SIGKILL; resolves when the group is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    await stopGroup(this.pgid, graceMs, this.exited);
    await Promise.race([Promise.all(this.relays), sleep(500)]);
  }
}

/** Stops a process group (ours or a predecessor's): TERM, grace, KILL, wait until empty. */
export async function stopGroup(pgid: number, graceMs: number, leaderExited?: Promise<unknown>): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) {
    if (leaderExited) await leaderExited;
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && groupMembers(pgid).length > 0) await sleep(20);
  if (groupMembers(pgid).length > 0) signalGroup(pgid, 'SIGKILL');
  if (leaderExited) await leaderExited;
  const hard = Date.now() + 5000;
  while (Date.now() < hard && groupMembers(pgid).length > 0) await sleep(20);
}

function relay(child: ChildProcess, stream: 'stdout' | 'stderr', spec: InstanceSpec): Promise<void> {
  const source = child[stream]!;
  const redactable = [...spec.secrets.values()].some((v) => isRedactable(v));
  const redactor = redactable ? new StreamRedactor(matcherFor(spec.secrets)) : null;
  const lines = new LineSplitter();
  const emit = (line: string) => spec.log({ at: Date.now(), app: spec.app, slot: spec.slot, pid: child.pid ?? 0, stream, line });
  return new Promise((resolve) => {
    source.on('data', (chunk: Buffer) => lines.push(redactor ? redactor.push(chunk) : chunk, emit));
    source.on('error', () => {});
    source.once('close', () => {
      if (redactor) lines.push(redactor.end(), emit);
      lines.end(emit);
      resolve();
    });
  });
}
