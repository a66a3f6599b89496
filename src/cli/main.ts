/**
 * The CLI: finds the command from argv, parses its options, runs it, and turns every error
 * into `hako: error:` and `hako: hint:` lines and an exit code. Unexpected errors print no
 * stack trace unless HAKO_DEBUG=1, and never a value: messages come from HakoError only.
 */
import { HakoError, isHakoError } from '../core/errors.js';
import { displayName } from '../core/display.js';
import { closest } from '../core/suggest.js';
import { leadingOptions, ownArgs, parseCommandArgs } from './args.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { commandHelp, groupHelp, mainHelp } from './help.js';
import { VERSION } from '../commands/version.js';
import { COMMANDS } from './registry.js';
import { processIo, promptHidden, promptYesNo } from './terminal.js';
import type { CommandContext, CommandSpec, Io, Outcome } from '../commands/command.js';

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
      if (argv[0] === 'help' && argv.length > 1 && !spec) throw unknownCommand(argv.slice(1));
      io.stdout(spec ? commandHelp(spec.spec) : mainHelp(COMMANDS));
      return { code: argv.length === 0 ? EXIT.usage : EXIT.ok };
    }
    const { moved, start } = leadingOptions(argv);
    const words = argv.slice(start);
    if (words[0] === '--version' || words[0] === '-v' || words[0] === '-V') {
      io.stdout(`hako ${VERSION}\n`);
      return { code: EXIT.ok };
    }
    if (words[0] === '--help' || words[0] === '-h') {
      io.stdout(mainHelp(COMMANDS));
      return { code: EXIT.ok };
    }
    if (words.length === 0) throw new HakoError('E_USAGE', 'no command given', 'run `hako --help` for the list of commands');
    const found = findCommand(words);
    if (!found && (words[1] === '--help' || words[1] === '-h') && COMMANDS.some((c) => c.words[0] === words[0] && c.words.length > 1)) {
      io.stdout(groupHelp(words[0]!, COMMANDS));
      return { code: EXIT.ok };
    }
    if (!found) throw unknownCommand(words);
    const { spec } = found;
    const rest = [...moved, ...found.rest];
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
      commands: COMMANDS,
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
    const subs = group.map((c) => c.words[1]!);
    const second = argv[1];
    if (second === undefined || second.startsWith('-')) {
      return new HakoError('E_USAGE', `'hako ${first}' needs a subcommand`, `one of: ${subs.map((w) => `hako ${first} ${w}`).join(', ')}`);
    }
    const near = closest(second, subs);
    return new HakoError(
      'E_USAGE',
      `unknown subcommand '${displayName(second, { quote: false })}' of hako ${first}`,
      near.length
        ? `did you mean \`hako ${first} ${near[0]}\`? (hako ${first} has: ${subs.join(', ')})`
        : `hako ${first} has: ${subs.join(', ')}`,
    );
  }
  const near = closest(
    first,
    COMMANDS.map((c) => c.words[0]!),
  );
  return new HakoError(
    'E_USAGE',
    `unknown command '${displayName(first, { quote: false })}'`,
    near.length ? `did you mean \`hako ${near[0]}\`? (hako --help lists every command)` : 'run `hako --help` for the list of commands',
  );
}
