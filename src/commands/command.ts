/**
 * The shape of a command: its words, help, options, and a `run` that reads input through
 * `io`, calls services and formats output. Commands never exit the process: they return an
 * outcome, and only the CLI entry turns it into an exit code or a signal.
 */
import type { EditContext } from '../services/edit.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help, e.g. "--env E". */
  label?: string;
  help: string;
  /** The values it takes, when they are a fixed list (shell completion offers them). */
  choices?: readonly string[];
  /** Its value is a path (shell completion offers files). */
  path?: boolean;
}

export interface Io {
  stdout(text: string | Uint8Array): void;
  stderr(text: string): void;
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /**
   * Whether stdout is a regular file (fstat of fd 1), for commands whose output must not
   * land on disk; absent where there is no file descriptor (in process).
   */
  readonly stdoutIsFile?: boolean;
  readStdin(): Promise<Buffer>;
  /** hako's own output streams, for relaying a child's output with backpressure (hako run). */
  readonly streams?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; readonly stdin?: NodeJS.ReadableStream };
}

export interface CommandContext extends EditContext {
  io: Io;
  /** Every command hako has (the CLI's table), for commands about commands: completion. */
  commands?: readonly CommandSpec[];
}

export type Outcome = { code: number } | { signal: NodeJS.Signals };

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Arguments after a literal `--`, untouched. */
  rest: string[];
}

export interface CommandSpec {
  /** Words after `hako`, e.g. ['key', 'export']. */
  words: string[];
  summary: string;
  usage: string;
  description?: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments allowed before `--`: [min, max]. */
  positionals?: [number, number];
  /** The fixed values of its positional argument, when there are (shell completion offers them). */
  choices?: readonly string[];
  /** Options stop at the first positional (for commands that run other commands). */
  stopAtPositional?: boolean;
  examples: string[];
  run(ctx: CommandContext, args: ParsedArgs): Promise<Outcome | void>;
}

export const ok: Outcome = { code: 0 };

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}
