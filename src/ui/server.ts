/**
 * Starts the dashboard on 127.0.0.1 (never another address) and returns the one-time URL.
 * Port 0 picks a free port; the Host check learns the real port once the server listens.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { HakoError } from '../core/errors.js';
import type { ServiceContext } from '../services/context.js';
import { createUiApp } from './app.js';
import type { Panels } from './panels.js';
import { randomToken } from './security.js';

export const UI_HOST = '127.0.0.1';

export interface RunningUi {
  /** http://127.0.0.1:PORT/login?token=… (works once). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startUi(ctx: ServiceContext, opts: { port?: number; panels?: Panels } = {}): Promise<RunningUi> {
  const token = randomToken();
  let port = 0;
  const app = createUiApp({ ctx, token, port: () => port, ...(opts.panels ? { panels: opts.panels } : {}) });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: UI_HOST }, (info: AddressInfo) => {
      port = info.port;
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new HakoError(
          'E_IO',
          `cannot listen on ${UI_HOST}:${opts.port ?? 0}: ${err.code ?? 'error'}`,
          err.code === 'EADDRINUSE' ? 'choose another port with --port N, or leave it out for a free one' : 'check the port',
        ),
      ),
    );
  });
  return {
    url: `http://${UI_HOST}:${port}/login?token=${token}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const s = server as unknown as { close(cb: () => void): void; closeAllConnections?: () => void };
        s.close(() => resolve());
        s.closeAllConnections?.();
      }),
  };
}
