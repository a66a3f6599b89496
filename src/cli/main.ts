/**
 * The CLI: finds the command from argv, parses its options, runs it, and turns every error
 * into `hako: error:` and `hako: hint:` lines and an exit code. Unexpected errors print no
 * stack trace unless HAKO_DEBUG=1, and never a value: messages come from HakoError only.
 */
import { parseArgs } from 'node:util';
import { HakoError, isHakoError } from '../core/errors.js';
import { displayName, displayText } from '../core/display.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { commandHelp, mainHelp, VERSION } from './help.js';
import { COMMANDS } from './registry.js';
import { processIo, promptHidden, promptYesNo } from './terminal.js';
import type { CommandContext, CommandSpec, Io, Outcome, ParsedArgs } from '../commands/command.js';

export interface MainOptions {
  io?: Io;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A clock for time-based rules (password backoff), for tests; Date.now otherwise. */
  now?: () => number;
}

export async function main(argv: string[], opts: MainOptions = {}): Promise<Outcome> {
  const io = opts.io ?? processIo();
  const env = opts.env ?? process.env;
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      const spec = argv[0] === 'help' && argv.length > 1 ? findCommand(argv.slice(1)) : null;
      io.stdout(spec ? commandHelp(spec.spec) : mainHelp(COMMANDS));
      return { code: argv.length === 0 ? EXIT.usage : EXIT.ok };
    }
    if (argv[0] === '--version' || argv[0] === '-V') {
      io.stdout(`hako ${VERSION}\n`);
      return { code: EXIT.ok };
    }
    const found = findCommand(argv);
    if (!found) throw unknownCommand(argv);
    const { spec, rest } = found;
    const own = ownArgs(spec, rest);
    if (own.includes('--help') || own.includes('-h')) {
      io.stdout(commandHelp(spec));
      return { code: EXIT.ok };
    }
    const args = parseCommandArgs(spec, rest);
    const ctx: CommandContext = {
      cwd: opts.cwd ?? process.cwd(),
      env,
      io,
      notice: (m) => io.stderr(`hako: ${m}\n`),
    };
    if (opts.now) ctx.now = opts.now;
    if (io.stdinIsTTY) {
      ctx.promptSecret = promptHidden;
      ctx.confirm = promptYesNo;
    }
    return (await spec.run(ctx, args)) ?? { code: EXIT.ok };
  } catch (err) {
    return { code: report(err, io, env) };
  }
}

function report(err: unknown, io: Io, env: NodeJS.ProcessEnv): number {
  if (isHakoError(err)) {
    io.stderr(`hako: error: ${err.message}\n`);
    if (err.hint) io.stderr(`hako: hint: ${err.hint}\n`);
    return exitCodeFor(err.code);
  }
  io.stderr('hako: error: internal error (a bug in hako); nothing was written after the failure\n');
  io.stderr('hako: hint: run again with HAKO_DEBUG=1 for details and report it\n');
  if (env['HAKO_DEBUG'] === '1' && err instanceof Error) io.stderr(`${err.stack ?? err.message}\n`);
  return EXIT.internal;
}

function findCommand(argv: string[]): { spec: CommandSpec; rest: string[] } | null {
  let best: CommandSpec | null = null;
  for (const spec of COMMANDS) {
    if (spec.words.every((w, i) => argv[i] === w) && (!best || spec.words.length > best.words.length)) best = spec;
  }
  return best ? { spec: best, rest: argv.slice(best.words.length) } : null;
}

function unknownCommand(argv: string[]): HakoError {
  const first = argv[0] ?? '';
  const group = COMMANDS.filter((c) => c.words[0] === first && c.words.length > 1);
  if (group.length) {
    return new HakoError('E_USAGE', `'hako ${first}' needs a subcommand`, `one of: ${group.map((c) => c.words.join(' ')).join(', ')}`);
  }
  return new HakoError(
    'E_USAGE',
    `unknown command '${displayName(first, { quote: false })}'`,
    'run `hako --help` for the list of commands',
  );
}

/** The arguments that belong to hako: before `--`, and before the program of `hako run`. */
function ownArgs(spec: CommandSpec, rest: string[]): string[] {
  const dd = rest.indexOf('--');
  const own = dd >= 0 ? rest.slice(0, dd) : rest;
  if (!spec.stopAtPositional) return own;
  const first = own.findIndex((a, i) => !a.startsWith('-') && !takesValue(spec, own[i - 1]));
  return first >= 0 ? own.slice(0, first) : own;
}

function parseCommandArgs(spec: CommandSpec, rest: string[]): ParsedArgs {
  let own = rest;
  let after: string[] = [];
  const dd = rest.indexOf('--');
  if (dd >= 0) {
    own = rest.slice(0, dd);
    after = rest.slice(dd + 1);
  }
  if (spec.stopAtPositional) {
    const first = own.findIndex((a, i) => !a.startsWith('-') && !takesValue(spec, own[i - 1]));
    if (first >= 0) {
      after = [...own.slice(first), ...(dd >= 0 ? ['--', ...after] : [])];
      own = own.slice(0, first);
    }
  }
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: own, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new HakoError('E_USAGE', displayText((err as Error).message.split('\n')[0]!, 200), `see hako ${spec.words.join(' ')} --help`);
  }
  const [min, max] = spec.positionals ?? [0, 0];
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new HakoError('E_USAGE', `usage: ${spec.usage}`, `see hako ${spec.words.join(' ')} --help`);
  }
  return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals, rest: after };
}

function takesValue(spec: CommandSpec, prev: string | undefined): boolean {
  if (!prev || !prev.startsWith('-') || prev.includes('=')) return false;
  const name = prev.replace(/^--?/, '');
  const o = spec.options[name] ?? Object.values(spec.options).find((x) => x.short === name);
  return o?.type === 'string';
}
