/**
 * Health checks: GET <path> on the instance's loopback port, answered 2xx within a second.
 * `waitHealthy` polls every 100 ms until a check passes, the instance exits, or the deadline;
 * a failure says why in words a person can act on (the last status, a refused connection,
 * an exit code), never with anything the app wrote.
 */
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const PROBE_TIMEOUT_MS = 1000;
const POLL_MS = 100;

export type Probe = { ok: true } | { ok: false; reason: string };

export function probe(port: number, path: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<Probe> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        agent: false,
        timeout: timeoutMs,
        headers: { connection: 'close', 'user-agent': 'hako-agent-health' },
      },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        res.on('end', () => resolve(code >= 200 && code < 300 ? { ok: true } : { ok: false, reason: `GET ${path} answered ${code}` }));
        res.on('error', () => resolve({ ok: false, reason: `GET ${path}: the answer broke off` }));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, reason: `GET ${path}: no answer within ${timeoutMs} ms` });
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({
        ok: false,
        reason: `GET ${path}: ${err.code === 'ECONNREFUSED' ? 'connection refused (not listening yet)' : (err.code ?? 'error')}`,
      }),
    );
    req.end();
  });
}

/** Resolves when a check passes; rejects with the reason when `exited` settles first or time runs out. */
export async function waitHealthy(port: number, path: string, timeoutMs: number, exited: () => string | null): Promise<Probe> {
  const deadline = Date.now() + timeoutMs;
  let last: Probe = { ok: false, reason: 'not checked yet' };
  while (Date.now() < deadline) {
    const gone = exited();
    if (gone) return { ok: false, reason: gone };
    last = await probe(port, path, Math.min(PROBE_TIMEOUT_MS, Math.max(50, deadline - Date.now())));
    if (last.ok) return last;
    const gone2 = exited();
    if (gone2) return { ok: false, reason: gone2 };
    await sleep(POLL_MS);
  }
  return { ok: false, reason: `not healthy within ${Math.round(timeoutMs / 1000)} s (last check: ${last.ok ? 'ok' : last.reason})` };
}
