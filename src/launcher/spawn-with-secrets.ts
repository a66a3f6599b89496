/**
 * Starts a program with its secrets and sees it through to the end.
 *
 * The order matters: signal handlers first (so a SIGTERM that arrives while files are
 * being written still cleans them up), then the delivery, then the child. The child gets
 * the process environment without key material plus what the delivery adds; it is started
 * directly (no shell), so values never pass through argv. With redaction its stdout and
 * stderr are pipes through the redactor; without, it inherits hako's. The result is how the
 * child ended: an exit code, or the signal that killed it.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Writable } from 'node:stream';
import { HakoError } from '../core/errors.js';
import { withoutKeyMaterial } from '../core/keys/key-material.js';
import type { Delivery } from './delivery.js';
import { ENVELOPE_FD_VAR } from './envelope.js';
import { SECRETS_DIR_VAR } from './files-delivery.js';
import type { Matcher } from './matcher.js';
import { relayOutput, type Relay } from './output-relay.js';
import { StreamRedactor } from './redactor.js';
import { forwardSignals } from './signal-forwarding.js';

export type ChildExit = { code: number } | { signal: NodeJS.Signals };

export interface SpawnRequest {
  command: string;
  args: readonly string[];
  /** The environment the child starts from; key material is removed from it. */
  baseEnv: NodeJS.ProcessEnv;
  /** More variables for the child (colour hints), below the delivery's. */
  extraVars?: Record<string, string>;
  /** Called after the signal handlers are in place. */
  prepare: () => Delivery;
  /** Where redacted output goes, and the matcher (built on first output); null: inherit. */
  redaction: { stdout: Writable; stderr: Writable; matcher: () => Matcher } | null;
}

/** Signals after which the delivery's files go at once, not when the child is done. */
const CLEANUP_NOW: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGTERM', 'SIGHUP']);

export async function spawnWithSecrets(req: SpawnRequest): Promise<ChildExit> {
  let child: ChildProcess | null = null;
  let delivery: Delivery | null = null;
  const cleanup = () => delivery?.cleanup();
  const unforward = forwardSignals(
    (signal) => child?.kill(signal),
    (signal) => {
      if (CLEANUP_NOW.has(signal)) cleanup();
    },
  );
  process.once('exit', cleanup);
  try {
    delivery = req.prepare();
    const env = { ...withoutKeyMaterial(req.baseEnv), ...req.extraVars };
    // Pointers left by an outer `hako run` would send the child to an fd or folder that is
    // not its own; only this run's delivery sets them.
    delete env[ENVELOPE_FD_VAR];
    delete env[SECRETS_DIR_VAR];
    for (const [name, value] of delivery.vars) env[name] = value;
    const out = req.redaction ? 'pipe' : 'inherit';
    const stdio: StdioOptions = ['inherit', out, out, ...(delivery.fd3 ? ['pipe' as const] : [])];
    try {
      child = spawn(req.command, req.args, { stdio, env });
    } catch (err) {
      throw startError(err as NodeJS.ErrnoException, req.command); // some failures are thrown, not emitted
    }
    const exited = new Promise<ChildExit>((resolve) => {
      child!.once('exit', (code, signal) => resolve(signal ? { signal } : { code: code ?? 1 }));
    });
    await started(child, req.command);
    child.on('error', () => {
      /* a failed kill() of a child that is already gone */
    });
    delivery.started(child);
    const relays: Relay[] = [];
    if (req.redaction) {
      let matcher: Matcher | null = null;
      const redactor = () => new StreamRedactor((matcher ??= req.redaction!.matcher()));
      const running = child;
      const brokenPipe = () => {
        if (running.exitCode === null && running.signalCode === null) running.kill('SIGPIPE');
      };
      relays.push(
        relayOutput(child.stdout!, req.redaction.stdout, redactor, brokenPipe),
        relayOutput(child.stderr!, req.redaction.stderr, redactor, brokenPipe),
      );
    }
    const result = await exited;
    cleanup();
    await Promise.all(relays.map((r) => r.finish()));
    return result;
  } finally {
    cleanup();
    process.removeListener('exit', cleanup);
    unforward();
  }
}

/** Resolves once the program runs; a program that cannot start is a clear error. */
function started(child: ChildProcess, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) => reject(startError(err, command)));
  });
}

function startError(err: NodeJS.ErrnoException, command: string): HakoError {
  const shown = JSON.stringify(command.length > 80 ? `${command.slice(0, 80)}…` : command);
  switch (err.code) {
    case 'ENOENT':
      return new HakoError(
        'E_NO_COMMAND',
        `command not found: ${shown}`,
        'check the name and your PATH; the command comes after --, e.g. hako run -- node app.js',
      );
    case 'EACCES':
      return new HakoError(
        'E_CHILD',
        `cannot run ${shown}: permission denied`,
        'make it executable (chmod +x) or run it through its interpreter',
      );
    case 'E2BIG':
      return new HakoError(
        'E_CHILD',
        `cannot run ${shown}: the secrets are too large for environment variables`,
        'use --via fd3 or --via files',
      );
    default:
      return new HakoError('E_CHILD', `cannot run ${shown} (${err.code ?? 'error'})`, 'check the command and its permissions');
  }
}
