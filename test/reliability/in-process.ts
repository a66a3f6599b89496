/**
 * Runs the CLI in this process through `main(argv, {io, env, cwd})`: the same command table,
 * services and error reporting as the binary, without a process start per call. Used where
 * a suite needs thousands of runs (the tamper matrix, CLI fuzzing); each such suite also runs
 * a sample through the real binary.
 */
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/commands/command.js';

export interface InProcessResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface InProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin?: string | Buffer;
  /** A clock for time-based rules (password backoff). */
  now?: () => number;
}

export async function hakoInProcess(argv: string[], opts: InProcessOptions): Promise<InProcessResult> {
  const out: Buffer[] = [];
  let err = '';
  const io: Io = {
    stdout: (t) => void out.push(typeof t === 'string' ? Buffer.from(t, 'utf8') : Buffer.from(t)),
    stderr: (t) => void (err += t),
    stdinIsTTY: false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    readStdin: async () => (typeof opts.stdin === 'string' ? Buffer.from(opts.stdin, 'utf8') : (opts.stdin ?? Buffer.alloc(0))),
  };
  const outcome = await main(argv, { io, env: opts.env, cwd: opts.cwd, ...(opts.now ? { now: opts.now } : {}) });
  return {
    code: 'code' in outcome ? outcome.code : null,
    signal: 'signal' in outcome ? outcome.signal : null,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: err,
  };
}

/** Every stderr line is hako's own (`hako: …`): no stack trace, no runtime warning. */
export function onlyHakoLines(stderr: string): boolean {
  return stderr.split('\n').every((l) => l === '' || l.startsWith('hako: '));
}
