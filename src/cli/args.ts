/**
 * Command-line parsing in hako's own words: options of the command (long, short, `--x=v`,
 * grouped short flags), positionals, and everything after `--` left untouched. Every
 * refusal is a HakoError naming the option and the command, with the nearest option when
 * one is close; nothing of Node's parser text reaches the user.
 */
import { HakoError } from '../core/errors.js';
import { displayName } from '../core/display.js';
import { didYouMean } from '../core/suggest.js';
import type { CommandSpec, OptionSpec, ParsedArgs } from '../commands/command.js';

/** Options hako accepts before the command word; they move after it (`hako --env prod get X`). */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  env: { type: 'string', short: 'e', label: 'E', help: 'environment (default: $HAKO_ENV, else development)' },
  json: { type: 'boolean', help: 'machine-readable output, for commands that have it' },
};

function commandName(spec: CommandSpec): string {
  return `hako ${spec.words.join(' ')}`;
}

function optionByName(options: Readonly<Record<string, OptionSpec>>, token: string): [string, OptionSpec] | undefined {
  if (token.startsWith('--')) {
    const name = token.slice(2).split('=')[0]!;
    const o = options[name];
    return o ? [name, o] : undefined;
  }
  const short = token.slice(1, 2);
  return Object.entries(options).find(([, o]) => o.short === short);
}

function shown(token: string): string {
  const eq = token.indexOf('=');
  const head = eq >= 0 ? token.slice(0, eq) : token;
  const dashes = head.startsWith('--') ? '--' : '-';
  return `${dashes}${displayName(head.slice(dashes.length), { quote: false })}`;
}

function unknownOption(token: string, options: Readonly<Record<string, OptionSpec>>, where: string, help: string): HakoError {
  const names = Object.keys(options).map((n) => `--${n}`);
  const head = token.startsWith('--') ? token.split('=')[0]! : token.slice(0, 2);
  const near = didYouMean(head, names);
  return new HakoError(
    'E_USAGE',
    `unknown option ${shown(token.startsWith('--') ? token : token.slice(0, 2))} for ${where}`,
    near ? `${near} (see ${help})` : names.length ? `its options: ${names.join(', ')} (see ${help})` : `it takes no options (see ${help})`,
  );
}

/** True when `prev` is an option of `options` that takes the next token as its value. */
function takesValue(options: Readonly<Record<string, OptionSpec>>, prev: string | undefined): boolean {
  if (!prev || !prev.startsWith('-') || prev === '-' || prev === '--') return false;
  if (prev.startsWith('--')) return !prev.includes('=') && options[prev.slice(2)]?.type === 'string';
  // -abE: the last short flag decides; -eVALUE carries its own value.
  for (let i = 1; i < prev.length; i++) {
    const o = Object.values(options).find((x) => x.short === prev[i]);
    if (!o) return false;
    if (o.type === 'string') return i === prev.length - 1;
  }
  return false;
}

/** The arguments that belong to hako: before `--`, and before the program of `hako run`. */
export function ownArgs(spec: CommandSpec, rest: string[]): string[] {
  return split(spec, rest).own;
}

function split(spec: CommandSpec, rest: string[]): { own: string[]; after: string[] } {
  const dd = rest.indexOf('--');
  let own = dd >= 0 ? rest.slice(0, dd) : rest;
  let after = dd >= 0 ? rest.slice(dd + 1) : [];
  if (spec.stopAtPositional) {
    const first = own.findIndex((a, i) => (!a.startsWith('-') || a === '-') && !takesValue(spec.options, own[i - 1]));
    if (first >= 0) {
      after = [...own.slice(first), ...(dd >= 0 ? ['--', ...after] : [])];
      own = own.slice(0, first);
    }
  }
  return { own, after };
}

export function parseCommandArgs(spec: CommandSpec, rest: string[]): ParsedArgs {
  const { own, after } = split(spec, rest);
  const where = commandName(spec);
  const help = `${where} --help`;
  const values: ParsedArgs['values'] = {};
  const positionals: string[] = [];
  const put = (name: string, o: OptionSpec, v: string | boolean) => {
    if (o.multiple) values[name] = [...((values[name] as string[] | undefined) ?? []), String(v)];
    else values[name] = v;
  };
  const needValue = (name: string, o: OptionSpec): HakoError =>
    new HakoError(
      'E_USAGE',
      `option --${name} needs a value${o.label ? ` (${o.label})` : ''}`,
      `e.g. ${where} --${name} ${o.label ?? 'VALUE'}; a value that starts with - goes as --${name}=-… (see ${help})`,
    );
  for (let i = 0; i < own.length; i++) {
    const tok = own[i]!;
    if (!tok.startsWith('-') || tok === '-') {
      positionals.push(tok);
      continue;
    }
    if (tok.startsWith('--')) {
      const found = optionByName(spec.options, tok);
      if (!found) throw unknownOption(tok, spec.options, where, help);
      const [name, o] = found;
      const eq = tok.indexOf('=');
      if (o.type === 'boolean') {
        if (eq >= 0) throw new HakoError('E_USAGE', `option --${name} takes no value`, `write just --${name} (see ${help})`);
        put(name, o, true);
      } else if (eq >= 0) {
        put(name, o, tok.slice(eq + 1));
      } else {
        const next = own[i + 1];
        if (next === undefined || (next.startsWith('-') && next !== '-')) throw needValue(name, o);
        put(name, o, next);
        i++;
      }
      continue;
    }
    // One or more short flags: -n, -yn, -e prod, -eprod.
    for (let j = 1; j < tok.length; j++) {
      const found = Object.entries(spec.options).find(([, x]) => x.short === tok[j]);
      if (!found) throw unknownOption(`-${tok[j]}`, spec.options, where, help);
      const [name, o] = found;
      if (o.type === 'boolean') {
        put(name, o, true);
        continue;
      }
      const inline = tok.slice(j + 1);
      if (inline) put(name, o, inline.startsWith('=') ? inline.slice(1) : inline);
      else {
        const next = own[i + 1];
        if (next === undefined || (next.startsWith('-') && next !== '-')) throw needValue(name, o);
        put(name, o, next);
        i++;
      }
      break;
    }
  }
  const [min, max] = spec.positionals ?? [0, 0];
  if (positionals.length < min || positionals.length > max) {
    const what =
      positionals.length > max
        ? max === 0
          ? `${where} takes no arguments`
          : `too many arguments for ${where}`
        : `${where} needs ${min === max ? min : `at least ${min}`} argument${min === 1 ? '' : 's'}`;
    throw new HakoError('E_USAGE', `${what}; usage: ${spec.usage}`, `see ${help}`);
  }
  return { values, positionals, rest: after };
}

/**
 * Leading options before the command word: `hako --env production get X` is
 * `hako get X --env production`. Returns the tokens to move and where the command starts.
 */
export function leadingOptions(argv: string[]): { moved: string[]; start: number } {
  const moved: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const tok = argv[i]!;
    if (!tok.startsWith('-') || tok === '-' || tok === '--') break;
    if (['--help', '-h', '--version', '-v', '-V'].includes(tok)) break;
    const found = optionByName(GLOBAL_OPTIONS, tok);
    if (!found)
      throw unknownOption(
        tok,
        { ...GLOBAL_OPTIONS, help: { type: 'boolean', help: '' }, version: { type: 'boolean', help: '' } },
        'hako (before the command)',
        'hako --help',
      );
    const [, o] = found;
    moved.push(tok);
    if (o.type === 'string' && !tok.includes('=') && !(tok.length > 2 && !tok.startsWith('--'))) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-'))
        throw new HakoError('E_USAGE', `option ${tok} needs a value (${o.label ?? 'VALUE'})`, 'e.g. hako --env production get NAME');
      moved.push(next);
      i++;
    }
    i++;
  }
  return { moved, start: i };
}
