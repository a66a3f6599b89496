/**
 * The control socket: a Unix socket in the state directory (0600, in a 0700 directory, so
 * only the agent's user reaches it). Each connection carries JSON-lines requests; each is
 * checked (protocol.ts) before the agent sees it, and answered with one reply line carrying
 * its id. Requests on one connection run in order, one after another, so replies come in the
 * order of the requests and a client may rely on the effect of the previous one (a status
 * after a push sees the push); a client that wants a status while a push rolls opens a second
 * connection. A line over the limit is answered with an error and dropped.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { HakoError } from '../core/errors.js';
import { LineReader } from './lines.js';
import { errorLine, MAX_LINE_BYTES, parseRequest, ProtocolError, replyLine, type Channel, type Request } from './protocol.js';

/** Linux's limit for a socket path (sun_path is 108 bytes with the final NUL). */
const MAX_SOCKET_PATH = 107;

export type Handler = (req: Request, channel: Channel) => Promise<unknown>;

export async function listenControl(
  path: string,
  handler: Handler,
  onError: (message: string) => void,
): Promise<{ close(): Promise<void> }> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new HakoError('E_AGENT', `the socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes`, 'use a shorter HAKO_AGENT_DIR');
  }
  try {
    unlinkSync(path); // left by a killed agent; the pid file says no live agent owns it
  } catch {
    /* none */
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const write = (line: string) => {
      if (!socket.destroyed) socket.write(line);
    };
    let queue: Promise<void> = Promise.resolve();
    const inOrder = (fn: () => Promise<void>) => {
      queue = queue.then(fn, fn);
    };
    const reader = new LineReader(
      MAX_LINE_BYTES,
      (line) =>
        inOrder(async () => {
          let envelope;
          try {
            envelope = parseRequest(line, 'socket');
          } catch (err) {
            write(errorLine(err instanceof ProtocolError ? err.id : null, err));
            return;
          }
          try {
            write(replyLine(envelope.id, await handler(envelope.request, 'socket')));
          } catch (err) {
            if (!(err instanceof HakoError))
              onError(`request ${envelope.request.method} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
            write(errorLine(envelope.id, err));
          }
        }),
      () => inOrder(async () => write(errorLine(null, new ProtocolError(`a request line is longer than ${MAX_LINE_BYTES} bytes`, null)))),
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('end', () => reader.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const old = process.umask(0o177);
    try {
      server.listen(path, () => resolve());
    } finally {
      process.umask(old);
    }
  });
  chmodSync(path, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        try {
          unlinkSync(path);
        } catch {
          /* gone */
        }
      }),
  };
}
