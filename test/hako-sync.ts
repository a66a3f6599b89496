/**
 * `hako` in this process, called synchronously: the CLI's `main(argv, {io, env, cwd})` runs in
 * a worker thread that stays up for the whole test file, and the caller blocks until it
 * answers (Atomics.wait, then receiveMessageOnPort). Same command table, services and error
 * reporting as the binary, without a process start per call (about 50 ms each on 2 cores).
 *
 * Only for what a process adds nothing to. Signals, fd 3, exit by signal, the launcher, the
 * editor, crashes, concurrency and the bundled binary itself keep real processes
 * (helpers.ts `runHako(…, { process: true })`, or `Project` with `{ process: true }`).
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

export interface SyncRequest {
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  input: string | Buffer;
}

export interface SyncResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  error?: string;
}

let bridge: { worker: Worker; port: MessagePort; flag: Int32Array } | null = null;

function start(): NonNullable<typeof bridge> {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./hako-sync-worker.js', import.meta.url), {
    workerData: { port: port2, flag },
    transferList: [port2],
    stdout: false,
    stderr: false,
  });
  worker.unref();
  return { worker, port: port1, flag };
}

/** Limit for one call; a call that takes longer is a hang, reported as a failure. */
const CALL_LIMIT_MS = 120_000;

export function hakoSync(req: SyncRequest): SyncResult {
  bridge ??= start();
  const { port, flag } = bridge;
  Atomics.store(flag, 0, 0);
  port.postMessage(req);
  const deadline = Date.now() + CALL_LIMIT_MS;
  while (Atomics.load(flag, 0) === 0) {
    if (Date.now() > deadline) {
      void bridge.worker.terminate();
      bridge = null;
      throw new Error(`in-process hako ${req.args.join(' ')} did not answer within ${CALL_LIMIT_MS / 1000} s`);
    }
    Atomics.wait(flag, 0, 0, 1000);
  }
  const msg = receiveMessageOnPort(port);
  if (!msg) throw new Error('in-process hako answered without a result');
  const r = msg.message as SyncResult;
  if (r.error) throw new Error(`in-process hako ${req.args.join(' ')} threw: ${r.error}`);
  return { ...r, stdout: Buffer.from(r.stdout) };
}
