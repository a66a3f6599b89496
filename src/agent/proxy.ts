/**
 * The agent's reverse proxy for one app: the app's public port is served here, and each
 * request is passed to one of the app's instances on its loopback port. That is what lets
 * the agent swap instances with no failed request: it owns the client connections, so it
 * decides which instance gets the next request, and it counts the requests each instance
 * is still answering.
 *
 * - Front end: node:http. Upstream: one node:http keep-alive Agent per instance. (undici's
 *   Pool was measured too: its WebAssembly HTTP parser adds ~26 MB to the agent's resident
 *   memory on Node 20, against ~9 MB for node:http, and the agent's idle budget is 60 MB.)
 * - Routing: round-robin over the instances that are routed. While none is (the app is
 *   starting, or a restarted agent is bringing it up) a request waits, bounded, for one.
 * - Draining an instance: take it out of routing (new requests go elsewhere), close its
 *   upgraded (WebSocket) connections, wait until its in-flight count is 0 or a deadline,
 *   then close its connections. The caller then stops the process (SIGTERM, grace, SIGKILL).
 * - A GET/HEAD that fails before any response byte (a kept-alive connection the instance
 *   closed at that instant) is sent once more, to another instance when there is one.
 * - Hop-by-hop headers are dropped both ways; X-Forwarded-For/-Host/-Proto are set.
 * This module never sees a secret value: it knows ports, not environments.
 */
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'expect',
  'http2-settings',
]);

export interface Upstream {
  readonly id: string;
  readonly port: number;
  inflight: number;
  routed: boolean;
  draining: boolean;
  agent: Agent;
  upgraded: Set<Duplex>;
  idle: (() => void) | null;
}

export interface ProxyOptions {
  /** How long a request waits for a routed instance before a 503. */
  waitForUpstreamMs?: number;
  /** Upstream headers/body timeouts. */
  upstreamTimeoutMs?: number;
}

export class AppProxy {
  private readonly server: Server;
  private routed: Upstream[] = [];
  private next = 0;
  private waiters: (() => void)[] = [];
  private readonly waitMs: number;
  private readonly timeoutMs: number;
  /** Requests answered, and answered with a proxy error (502/503/504), since start. */
  readonly counters = { requests: 0, proxyErrors: 0 };

  constructor(opts: ProxyOptions = {}) {
    this.waitMs = opts.waitForUpstreamMs ?? 30_000;
    this.timeoutMs = opts.upstreamTimeoutMs ?? 60_000;
    this.server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head));
    this.server.on('clientError', (_err, socket: Duplex) => {
      if ((socket as Socket).writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.removeListener('error', onError);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    for (const w of this.waiters.splice(0)) w();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      setTimeout(() => this.server.closeAllConnections(), 1000).unref();
    });
  }

  /** An upstream for an instance on a loopback port (not routed yet). */
  async upstream(id: string, port: number): Promise<Upstream> {
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 1_000, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' });
    return { id, port, inflight: 0, routed: false, draining: false, agent, upgraded: new Set(), idle: null };
  }

  route(up: Upstream): void {
    if (up.routed || up.draining) return;
    up.routed = true;
    this.routed.push(up);
    for (const w of this.waiters.splice(0)) w();
  }

  unroute(up: Upstream): void {
    up.routed = false;
    this.routed = this.routed.filter((u) => u !== up);
  }

  routedCount(): number {
    return this.routed.length;
  }

  /**
   * Stops routing to `up`, closes its upgraded connections, and waits for its in-flight
   * requests to finish (at most `timeoutMs`); then closes its connections. Returns what was left.
   */
  async drain(up: Upstream, timeoutMs: number): Promise<{ waitedMs: number; abandoned: number }> {
    const t0 = Date.now();
    up.draining = true;
    this.unroute(up);
    for (const s of up.upgraded) s.destroy();
    if (up.inflight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => {
          up.idle = resolve;
        }),
        sleep(timeoutMs),
      ]);
    }
    up.idle = null;
    const abandoned = up.inflight;
    up.agent.destroy();
    return { waitedMs: Date.now() - t0, abandoned };
  }

  /** Closes an upstream that was never routed (a new instance that failed its check). */
  async discard(up: Upstream): Promise<void> {
    this.unroute(up);
    up.draining = true;
    up.agent.destroy();
  }

  private pick(avoid?: Upstream): Upstream | null {
    const n = this.routed.length;
    if (n === 0) return null;
    for (let i = 0; i < n; i++) {
      const up = this.routed[this.next++ % n]!;
      if (up !== avoid || n === 1) return up;
    }
    return null;
  }

  private async pickOrWait(deadline: number, avoid?: Upstream): Promise<Upstream | null> {
    let up = this.pick(avoid);
    while (!up && Date.now() < deadline && this.server.listening) {
      await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), sleep(Math.max(1, deadline - Date.now()))]);
      up = this.pick(avoid);
    }
    return up;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.counters.requests++;
    const deadline = Date.now() + this.waitMs;
    const method = req.method ?? 'GET';
    const retryable = method === 'GET' || method === 'HEAD';
    const hasBody = !retryable && (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined);
    const headers = requestHeaders(req);
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    let avoid: Upstream | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const up = this.routed.length ? this.pick(avoid) : await this.pickOrWait(deadline, avoid);
      if (!up) return this.fail(res, 503, 'no instance of this app is serving');
      const result = await this.forward(up, req, res, method, headers, hasBody ? req : null, abort.signal);
      if (result === 'done') return;
      if (result === 'retry' && retryable && !res.headersSent && !abort.signal.aborted) {
        avoid = up;
        continue;
      }
      return this.fail(res, 502, 'the app did not answer');
    }
    this.fail(res, 502, 'the app did not answer');
  }

  /** One attempt; 'retry' when it failed before any byte of the answer was written. */
  private forward(
    up: Upstream,
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    headers: Record<string, string | string[]>,
    body: IncomingMessage | null,
    signal: AbortSignal,
  ): Promise<'done' | 'retry' | 'failed'> {
    up.inflight++;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (how: 'done' | 'retry' | 'failed') => {
        if (settled) return;
        settled = true;
        up.inflight--;
        if (up.inflight === 0 && up.idle) up.idle();
        resolve(how);
      };
      const out = request({
        host: '127.0.0.1',
        port: up.port,
        method,
        path: req.url ?? '/',
        headers,
        agent: up.agent,
        signal,
        timeout: this.timeoutMs,
      });
      out.on('timeout', () => out.destroy(new Error('upstream timeout')));
      out.on('error', () => {
        if (!res.headersSent) return finish(body ? 'failed' : 'retry');
        res.destroy();
        finish('done');
      });
      out.on('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, responseHeaders(answer.headers));
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        res.once('close', () => {
          if (!answer.complete) answer.destroy();
          finish('done');
        });
      });
      if (body) body.pipe(out);
      else out.end();
    });
  }

  private fail(res: ServerResponse, status: number, message: string): void {
    if (res.destroyed) return; // the client went away
    this.counters.proxyErrors++;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`${message}\n`);
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    const up = await this.pickOrWait(Date.now() + this.waitMs);
    if (!up) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n');
      return;
    }
    const target = connect(up.port, '127.0.0.1');
    up.upgraded.add(socket);
    const done = () => {
      up.upgraded.delete(socket);
      target.destroy();
      socket.destroy();
    };
    target.on('error', done);
    target.on('close', done);
    socket.on('close', done);
    target.on('connect', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      const raw = req.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const name = raw[i]!.toLowerCase();
        if (name.startsWith('x-forwarded-')) continue;
        lines.push(`${raw[i]}: ${raw[i + 1]}`);
      }
      for (const [k, v] of Object.entries(forwarded(req))) lines.push(`${k}: ${v}`);
      target.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) target.write(head);
      socket.pipe(target);
      target.pipe(socket);
    });
  }
}

function forwarded(req: IncomingMessage): Record<string, string> {
  const prior = req.headers['x-forwarded-for'];
  const addr = req.socket.remoteAddress ?? '';
  return {
    'x-forwarded-for': prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${addr}` : addr,
    'x-forwarded-host': req.headers.host ?? '',
    'x-forwarded-proto': 'http',
  };
}

function requestHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connectionTokens = tokens(req.headers.connection);
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || connectionTokens.has(k) || k.startsWith('x-forwarded-')) continue;
    out[k] = v;
  }
  Object.assign(out, forwarded(req));
  return out;
}

function responseHeaders(h: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connectionTokens = tokens(h.connection);
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || HOP_BY_HOP.has(k) || connectionTokens.has(k)) continue;
    out[k] = v;
  }
  return out;
}

function tokens(v: string | string[] | undefined): Set<string> {
  if (!v) return new Set();
  return new Set(
    (Array.isArray(v) ? v.join(',') : v)
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}
