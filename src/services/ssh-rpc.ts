/**
 * A conversation with a server's agent over the system `ssh` (`ssh … -- TARGET hako agent
 * rpc`): the user's own ssh config, keys and agent apply, so whatever works for `ssh host`
 * works here. One ssh connection carries every request of one conversation (JSON lines, the
 * agent's protocol version 1; replies come back in request order).
 *
 * What hako adds to the user's ssh, on the command line (which wins over any config):
 * - host keys come only from hako's own known_hosts file, under a per-server alias
 *   (`HostKeyAlias=hako-server-NAME`), written from the host keys `.hako/servers.json` pinned at
 *   `servers add`; `StrictHostKeyChecking=yes`, so a server whose key changed is refused. Only
 *   `servers add` connects with `accept-new`, to a fresh file, to learn the key;
 * - BatchMode (never a password prompt), a connect timeout, no host key updates;
 * - the target, checked by parseTarget, comes after `--`, so it is never an option;
 * - with HAKO_SSH_CONTROL_PERSIST=SECONDS, a ControlMaster socket in a private folder under
 *   $HAKO_HOME keeps the connection open that long, so the next command skips the handshake.
 *
 * HAKO_SSH names the ssh program (default `ssh` from PATH).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HakoError } from '../core/errors.js';
import { parseTarget, sshDestination, type SshTarget } from '../core/formats/servers-file.js';
import { hakoHome } from '../core/home.js';
import { withoutKeyMaterial } from '../core/keys/key-material.js';

export const RPC_VERSION = 1;
const MAX_REPLY_BYTES = 16 * 1024 * 1024;
const MAX_STDERR = 4096;

export interface SshEndpoint {
  /** The server's name (the host key alias). */
  name: string;
  target: string;
  /** The known_hosts file to check the host key against (or to learn it into). */
  knownHosts: string;
  /** Learn an unknown host key (`servers add`), instead of requiring the pinned one. */
  learn?: boolean;
  /** Seconds before the whole conversation is abandoned. */
  timeoutSeconds?: number;
}

export function hostKeyAlias(name: string): string {
  return `hako-server-${name}`;
}

/** The ssh arguments for one endpoint (exported for tests and the docs). */
export function sshArgs(env: NodeJS.ProcessEnv, endpoint: SshEndpoint, target: SshTarget = parseTarget(endpoint.target)): string[] {
  const args = [
    '-T',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=15',
    '-o',
    `UserKnownHostsFile=${endpoint.knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    `StrictHostKeyChecking=${endpoint.learn ? 'accept-new' : 'yes'}`,
    '-o',
    `HostKeyAlias=${hostKeyAlias(endpoint.name)}`,
    '-o',
    'HashKnownHosts=no',
    '-o',
    'UpdateHostKeys=no',
    '-o',
    'CheckHostIP=no',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ServerAliveInterval=15',
  ];
  const persist = env['HAKO_SSH_CONTROL_PERSIST'];
  if (persist && /^[1-9]\d{0,4}$/.test(persist) && !endpoint.learn) {
    const dir = join(hakoHome(env), 'ssh', 'cm');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    args.push('-o', 'ControlMaster=auto', '-o', `ControlPath=${join(dir, '%C')}`, '-o', `ControlPersist=${persist}`);
  }
  if (target.port !== null) args.push('-p', String(target.port));
  args.push('--', sshDestination(target), 'hako agent rpc');
  return args;
}

interface Pending {
  id: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * One ssh connection to one agent. `request` sends a line and resolves with the result (or
 * rejects with the agent's error); `close` ends stdin and waits for ssh to exit.
 */
export class RpcSession {
  private child: ChildProcess;
  private nextId = 1;
  private pending: Pending[] = [];
  private buffer = '';
  private stderr = '';
  private failure: HakoError | null = null;
  private exited: Promise<void>;
  private timer: NodeJS.Timeout | null = null;
  /** Bytes written to ssh's stdin (what travels to the server). */
  sentBytes = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly endpoint: SshEndpoint,
  ) {
    const target = parseTarget(endpoint.target);
    const program = env['HAKO_SSH'] || 'ssh';
    this.child = spawn(program, sshArgs(env, endpoint, target), { stdio: ['pipe', 'pipe', 'pipe'], env: sshEnv(env) });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      if (this.stderr.length < MAX_STDERR) this.stderr += chunk.slice(0, MAX_STDERR - this.stderr.length);
    });
    this.child.stdin!.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err: NodeJS.ErrnoException) => {
        this.fail(
          new HakoError(
            'E_SSH',
            `cannot run ${program}: ${err.code ?? 'error'}`,
            'install OpenSSH (the ssh client), or point HAKO_SSH at it',
          ),
        );
        resolve();
      });
      this.child.once('close', (code, signal) => {
        this.fail(this.exitError(code, signal));
        resolve();
      });
    });
    const seconds = endpoint.timeoutSeconds ?? 120;
    this.timer = setTimeout(() => {
      this.fail(new HakoError('E_SSH', `server '${endpoint.name}' did not answer within ${seconds} s`, 'check the server and its agent'));
      this.child.kill('SIGTERM');
    }, seconds * 1000);
    this.timer.unref();
  }

  request(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const line = `${JSON.stringify({ v: RPC_VERSION, id, method, params })}\n`;
    this.sentBytes += Buffer.byteLength(line);
    return new Promise((resolve, reject) => {
      this.pending.push({ id, resolve, reject });
      this.child.stdin!.write(line);
    });
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    await this.exited;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Stops ssh at once (a failed conversation). */
  async abort(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
    if (this.timer) clearTimeout(this.timer);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    if (this.buffer.length > MAX_REPLY_BYTES) {
      this.fail(new HakoError('E_PROTOCOL', `server '${this.endpoint.name}' sent a reply line longer than 16 MiB`));
      this.child.kill('SIGTERM');
      return;
    }
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim() !== '') this.onLine(line);
    }
  }

  private onLine(line: string): void {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.fail(
        new HakoError(
          'E_PROTOCOL',
          `server '${this.endpoint.name}' answered something that is not the agent protocol`,
          'check the server runs hako agent rpc for this ssh user (a login banner or shell output breaks it)',
        ),
      );
      return;
    }
    const next = this.pending.shift();
    if (!next) return;
    if (typeof o !== 'object' || o === null || o['v'] !== RPC_VERSION) {
      next.reject(
        new HakoError(
          'E_PROTOCOL',
          `server '${this.endpoint.name}' answered in an unknown protocol version`,
          'upgrade hako on the older side',
        ),
      );
      return;
    }
    if (o['id'] !== next.id && o['id'] !== null) {
      next.reject(new HakoError('E_PROTOCOL', `server '${this.endpoint.name}' answered out of order`));
      return;
    }
    if (o['ok'] === true) {
      next.resolve(o['result']);
      return;
    }
    const e = (o['error'] ?? {}) as { code?: unknown; message?: unknown; hint?: unknown };
    const code = typeof e.code === 'string' && /^E_[A-Z_]{1,40}$/.test(e.code) ? e.code : 'E_AGENT';
    next.reject(
      new AgentError(
        code,
        `${this.endpoint.name}: ${printable(String(e.message ?? 'error'), 500)}`,
        typeof e.hint === 'string' ? printable(e.hint, 500) : undefined,
      ),
    );
  }

  private exitError(code: number | null, signal: NodeJS.Signals | null): HakoError {
    const last = printable(this.stderr.trim().split('\n').filter(Boolean).slice(-2).join('; '), 400);
    if (/host key verification failed|remote host identification has changed/i.test(this.stderr)) {
      return new HakoError(
        'E_SSH',
        `server '${this.endpoint.name}' (${this.endpoint.target}) did not show the host key pinned in .hako/servers.json`,
        'if the server was re-installed on purpose, remove and add it again (hako servers rm / servers add); otherwise someone may be in the way',
      );
    }
    const how = signal ? `ssh stopped by ${signal}` : `ssh exited ${code}`;
    return new HakoError(
      'E_SSH',
      `server '${this.endpoint.name}' (${this.endpoint.target}): ${last || how}`,
      code === 255
        ? `check that "ssh ${this.endpoint.target}" works from here`
        : 'look at the agent log on the server (journalctl -u hako-agent)',
    );
  }

  private fail(err: HakoError): void {
    if (!this.failure) this.failure = err;
    for (const p of this.pending.splice(0)) p.reject(this.failure);
  }
}

/** An error the agent answered with: its own code (not one of this hako's). */
export class AgentError extends HakoError {
  constructor(
    readonly agentCode: string,
    message: string,
    hint?: string,
  ) {
    super(agentCode === 'E_NO_KEY' ? 'E_NO_KEY' : agentCode === 'E_KEY_CHANGE' ? 'E_KEY_CHANGE' : 'E_AGENT', message, hint);
  }
}

function printable(text: string, max: number): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}

/** ssh gets the user's environment (its agent socket, HOME, …) without hako's key material. */
function sshEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return withoutKeyMaterial(env);
}

/** Runs `fn` with an open session, closing (or aborting on error) afterwards. */
export async function withSession<T>(env: NodeJS.ProcessEnv, endpoint: SshEndpoint, fn: (s: RpcSession) => Promise<T>): Promise<T> {
  const s = new RpcSession(env, endpoint);
  try {
    const result = await fn(s);
    await s.close();
    return result;
  } catch (err) {
    await s.abort();
    throw err;
  }
}
