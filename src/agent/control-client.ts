/**
 * The client side of the control socket, for the local CLI: connect, send one request,
 * read its reply. A missing socket or a refused connection is "the agent is not running".
 */
import { connect, type Socket } from 'node:net';
import { HakoError } from '../core/errors.js';
import { LineReader } from './lines.js';
import { parseReply, PROTOCOL_VERSION, MAX_LINE_BYTES } from './protocol.js';

export function notRunning(path: string, code: string): HakoError {
  return new HakoError(
    'E_AGENT',
    `the agent is not running (${code} on ${path})`,
    'start it: systemctl start hako-agent, or hako agent run (HAKO_AGENT_DIR picks the directory)',
  );
}

export function connectControl(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? notRunning(path, err.code)
          : new HakoError('E_AGENT', `cannot reach the agent socket ${path} (${err.code ?? 'error'})`, 'run as the agent user'),
      ),
    );
  });
}

export async function callAgent(path: string, method: string, params: Record<string, unknown> = {}): Promise<unknown> {
  const socket = await connectControl(path);
  return new Promise((resolve, reject) => {
    let settled = false;
    const reader = new LineReader(
      MAX_LINE_BYTES,
      (line) => {
        if (settled) return;
        settled = true;
        socket.end();
        try {
          const reply = parseReply(line);
          if (reply.ok) resolve(reply.result);
          else reject(reply.error);
        } catch (err) {
          reject(err);
        }
      },
      () => {},
    );
    socket.on('data', (c: Buffer) => reader.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (!settled)
        reject(
          new HakoError('E_AGENT', 'the agent closed the connection without an answer', 'look at the agent log (journalctl -u hako-agent)'),
        );
    });
    socket.write(`${JSON.stringify({ v: PROTOCOL_VERSION, id: 1, method, params })}\n`);
  });
}
