/**
 * The worker side of hako-sync.ts: runs `main` for each request and answers on the port.
 * `process.env` is replaced by the request's environment for the call, so code that reads
 * it directly sees what a real process started with that environment would.
 * Loaded as a plain module by the test runner too: then it does nothing.
 */
import { isMainThread, workerData, type MessagePort } from 'node:worker_threads';
import type { SyncRequest, SyncResult } from './hako-sync.js';

if (!isMainThread && (workerData as { flag?: unknown } | null)?.flag) {
  const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
  const { main } = await import('../src/cli/main.js');
  port.on('message', (req: SyncRequest) => {
    void (async () => {
      let result: SyncResult;
      try {
        for (const k of Object.keys(process.env)) delete process.env[k];
        Object.assign(process.env, req.env);
        const out: Buffer[] = [];
        let err = '';
        const input = typeof req.input === 'string' ? Buffer.from(req.input, 'utf8') : Buffer.from(req.input);
        const outcome = await main(req.args, {
          cwd: req.cwd,
          env: { ...req.env },
          io: {
            stdout: (t) => void out.push(typeof t === 'string' ? Buffer.from(t, 'utf8') : Buffer.from(t)),
            stderr: (t) => void (err += t),
            stdinIsTTY: false,
            stdoutIsTTY: false,
            stderrIsTTY: false,
            readStdin: async () => input,
          },
        });
        result = {
          code: 'code' in outcome ? outcome.code : null,
          signal: 'signal' in outcome ? outcome.signal : null,
          stdout: Buffer.concat(out),
          stderr: err,
        };
      } catch (e) {
        result = { code: null, signal: null, stdout: Buffer.alloc(0), stderr: '', error: (e as Error).stack ?? String(e) };
      }
      port.postMessage(result);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    })();
  });
}
