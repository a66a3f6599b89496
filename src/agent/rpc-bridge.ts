/**
 * `hako agent rpc`: the remote end of `ssh host hako agent rpc`. It carries JSON lines
 * between its stdin/stdout and the agent's socket, and checks every line itself first with
 * the rpc channel's rules: only the methods a sync client needs pass (app management does
 * not), and a malformed line is answered here without reaching the agent. Replies come back
 * in the order of the requests (the agent answers one connection in order; answers made here
 * wait their turn), each with its request's id. When stdin ends, the bridge waits for the
 * replies still due, then ends.
 */
import type { Readable, Writable } from 'node:stream';
import { HakoError } from '../core/errors.js';
import { connectControl } from './control-client.js';
import { LineReader } from './lines.js';
import { errorLine, MAX_LINE_BYTES, parseRequest, ProtocolError, PROTOCOL_VERSION } from './protocol.js';

export async function rpcBridge(socketPath: string, input: Readable, output: Writable): Promise<void> {
  let socket: Awaited<ReturnType<typeof connectControl>> | null = null;
  let down: HakoError | null = null;
  try {
    socket = await connectControl(socketPath);
  } catch (err) {
    if (!(err instanceof HakoError)) throw err;
    down = err;
  }
  // One slot per request line, in order: a local answer, or null until the agent's arrives.
  const slots: { line: string | null }[] = [];
  let inputDone = false;
  const flush = () => {
    while (slots.length && slots[0]!.line !== null) output.write(slots.shift()!.line!);
    maybeEnd();
  };
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const maybeEnd = () => {
    if (inputDone && slots.length === 0) finish();
  };
  if (socket) {
    const fromAgent = new LineReader(
      MAX_LINE_BYTES,
      (line) => {
        const slot = slots.find((x) => x.line === null);
        if (slot) slot.line = `${line}\n`;
        flush();
      },
      () => {},
    );
    socket.on('data', (c: Buffer) => fromAgent.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      for (const x of slots)
        if (x.line === null) x.line = errorLine(null, new HakoError('E_AGENT', 'the agent closed the connection', 'look at the agent log'));
      socket = null;
      down = new HakoError('E_AGENT', 'the agent closed the connection', 'look at the agent log');
      flush();
    });
  }
  const fromClient = new LineReader(
    MAX_LINE_BYTES,
    (line) => {
      let envelope;
      try {
        envelope = parseRequest(line, 'rpc');
      } catch (err) {
        slots.push({ line: errorLine(err instanceof ProtocolError ? err.id : null, err) });
        flush();
        return;
      }
      if (!socket) {
        slots.push({ line: errorLine(envelope.id, down) });
        flush();
        return;
      }
      slots.push({ line: null });
      socket.write(
        `${JSON.stringify({ v: PROTOCOL_VERSION, id: envelope.id, method: envelope.request.method, params: envelope.request.params })}\n`,
      );
    },
    () => {
      slots.push({ line: errorLine(null, new ProtocolError(`a request line is longer than ${MAX_LINE_BYTES} bytes`, null)) });
      flush();
    },
  );
  input.on('data', (c: Buffer) => fromClient.push(c));
  input.once('end', () => {
    fromClient.end();
    inputDone = true;
    maybeEnd();
  });
  input.once('error', () => {
    inputDone = true;
    maybeEnd();
  });
  await finished;
  socket?.end();
}
