/**
 * dotenv: parse and encode only.
 *
 * Two dialects share one reader. Both accept `NAME=value`, an optional `export ` prefix,
 * `#` comments and blank lines; unquoted values are trimmed and end at a `#` that follows
 * whitespace; single quotes and backticks are literal and may span lines; double quotes
 * may span lines. No variable is expanded and no command is run: `${VAR}` and `$(cmd)` stay
 * as written. Errors give a line number and never the line itself, which may hold a value.
 *
 * - `dotenv` (hako import): reads a `.env` the way dotenv, dotenvx and `node --env-file` do
 *   where they agree, and refuses where they do not, saying why: an unquoted value ends at
 *   its first `#`, as all three read it (with a note when that `#` is glued to the value);
 *   in double quotes only `\n` (a line break) is an escape, and any other backslash is
 *   refused (node keeps `\t` and ends the value at `\"`, dotenvx turns `\t` into a tab and
 *   keeps `\"`). A `$` that dotenvx would expand or run is kept as written, with a note.
 * - `hako` (hako edit, whose file hako writes): double quotes take hako's escapes
 *   (\n \r \t \" \\ \$ \'), and a `#` glued to an unquoted value is refused rather than
 *   cutting the value short.
 */
import { HakoError } from '../errors.js';

export interface DotenvEntry {
  name: string;
  value: string;
  line: number;
}

export type DotenvDialect = 'hako' | 'dotenv';

export interface DotenvReading {
  entries: DotenvEntry[];
  /** What a person should know about how a line was read; names and line numbers, never values. */
  notes: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** `$NAME`, `${…}` or `$(…)`: what a shell or dotenvx would expand or run. */
const EXPANSION = /\$[A-Za-z_{(]/;

export function parseDotenv(text: string, what = 'dotenv', dialect: DotenvDialect = 'hako'): DotenvEntry[] {
  return readDotenv(text, what, dialect).entries;
}

export function readDotenv(text: string, what = 'dotenv', dialect: DotenvDialect = 'hako'): DotenvReading {
  const src = text.replace(/\r\n?/g, '\n').replace(/^\ufeff/, '');
  const lines = src.split('\n');
  const out: DotenvEntry[] = [];
  const notes: string[] = [];
  const seen = new Set<string>();
  const fail = (line: number, msg: string): never => {
    throw new HakoError(
      'E_FORMAT',
      `${what}: line ${line}: ${msg}`,
      'write one NAME=value per line; quote values with spaces, # or newlines',
    );
  };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ') || line.startsWith('export\t')) line = line.slice(7).replace(/^\s+/, '');
    const eq = line.indexOf('=');
    if (eq < 0) fail(lineNo, 'expected NAME=value');
    const name = line.slice(0, eq).trimEnd();
    if (!NAME.test(name)) fail(lineNo, 'invalid name before "="');
    let rest = line.slice(eq + 1).replace(/^[ \t]+/, '');
    let value: string;
    const q = rest[0];
    if (q === '"' || q === "'" || q === '`') {
      // The value may continue over the following lines until its closing quote. Each line
      // is scanned once, as its own piece, and the pieces are joined once at the end: a long
      // unterminated value stays linear (re-scanning a growing string was quadratic).
      const pieces = [rest.slice(1)];
      let endLine = i;
      let scan = findClose(pieces[0]!, q, 0);
      while (scan.close < 0) {
        endLine++;
        if (endLine >= lines.length) fail(lineNo, `unterminated ${q === '"' ? 'double' : q === "'" ? 'single' : 'backtick'} quote`);
        const prev = pieces[pieces.length - 1]!;
        const piece = `\n${lines[endLine]}`;
        pieces.push(piece);
        scan = findClose(piece, q, scan.next - prev.length); // 1 when a backslash ended prev
      }
      const last = pieces.pop()!;
      const after = last.slice(scan.close + 1).trim();
      const raw = pieces.join('') + last.slice(0, scan.close);
      if (after !== '' && !after.startsWith('#')) {
        if (q === "'" && raw.endsWith('\\'))
          fail(endLine + 1, "\\' inside single quotes: dotenvx reads it as a quote, node as the end of the value; use double quotes");
        fail(endLine + 1, 'unexpected text after the closing quote');
      }
      if (q === '"') {
        value =
          dialect === 'hako'
            ? unescapeDouble(raw, () => fail(lineNo, 'bad escape in double quotes'))
            : unescapeDotenvDouble(raw, () =>
                fail(
                  lineNo,
                  'a backslash other than \\n inside double quotes, which dotenv, dotenvx and node read differently; write the character itself, or use single quotes for literal text',
                ),
              );
      } else value = raw;
      if (dialect === 'dotenv' && q !== "'" && EXPANSION.test(value)) notes.push(keptAsWritten(what, lineNo, name));
      i = endLine;
    } else {
      const hash = rest.indexOf('#');
      if (hash >= 0) {
        if (hash > 0 && !/\s/.test(rest[hash - 1]!)) {
          if (dialect === 'hako') fail(lineNo, '"#" inside an unquoted value (dotenv reads the rest as a comment); quote the value');
          notes.push(`${what}: line ${lineNo} (${name}): the value ends at "#", as dotenv reads it; quote the value to keep the rest`);
        }
        rest = rest.slice(0, hash);
      }
      value = rest.trim();
      if (dialect === 'dotenv' && EXPANSION.test(value)) notes.push(keptAsWritten(what, lineNo, name));
    }
    if (seen.has(name)) fail(lineNo, `${name} appears twice`);
    seen.add(name);
    out.push({ name, value, line: lineNo });
  }
  return { entries: out, notes };
}

function keptAsWritten(what: string, line: number, name: string): string {
  return `${what}: line ${line} (${name}): "$" kept as written; hako never expands variables or runs $(…) commands (dotenvx would)`;
}

/** Double quotes as dotenv readers agree on them: `\n` is a line break, any other backslash is refused. */
function unescapeDotenvDouble(raw: string, bad: () => never): string {
  return raw.replace(/\\(.)?/gs, (_m, c: string | undefined) => (c === 'n' ? '\n' : bad()));
}

/**
 * The closing quote at or after `from`, or close = -1 and `next`, where a scan of a longer
 * body must resume (past an escaping backslash that ended this one).
 */
function findClose(body: string, q: string, from: number): { close: number; next: number } {
  let j = from;
  for (; j < body.length; j++) {
    const c = body[j];
    if (q === '"' && c === '\\') {
      j++;
      continue;
    }
    if (c === q) return { close: j, next: j };
  }
  return { close: -1, next: j };
}

function unescapeDouble(raw: string, bad: () => never): string {
  return raw.replace(/\\(.)?/gs, (_m, c: string | undefined) => {
    switch (c) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case '"':
        return '"';
      case '\\':
        return '\\';
      case '$':
        return '$';
      case "'":
        return "'";
      default:
        return bad();
    }
  });
}

const PLAIN = /^[A-Za-z0-9_./:@%+,=-]*$/;

/**
 * One `NAME=value` line in hako's own dialect (`hako edit`), which holds every value: plain
 * values bare, the rest double-quoted with hako's escapes (\n \r \t \" \\ \$). Only hako reads
 * these escapes the same way; for a file other programs read, see encodePortableDotenvLine.
 */
export function encodeDotenvLine(name: string, value: string): string {
  if (PLAIN.test(value)) return `${name}=${value}`;
  const esc = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\$/g, '\\$')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `${name}="${esc}"`;
}

export function encodeDotenv(values: ReadonlyMap<string, string>): string {
  return [...values].map(([k, v]) => `${encodeDotenvLine(k, v)}\n`).join('');
}

/**
 * One line that `node --env-file`, dotenv, dotenvx and a POSIX shell (`set -a; . file`) all
 * read back as exactly `value`, and that runs nothing when sourced:
 * - letters, digits and `_./:@%+,=-` only: bare;
 * - no `'`, no carriage return, not ending in `\`: single quotes, literal in all of them,
 *   newlines included (dotenv(x) would take a final `\'` for an escaped quote);
 * - a `'` but none of `"`, `$`, a backtick, `\`: double quotes (the shell would expand those;
 *   dotenv readers disagree on backslashes);
 * - anything else cannot be written so that all of them agree, and is refused (E_INVALID_VALUE).
 */
export function encodePortableDotenvLine(name: string, value: string): string {
  if (PLAIN.test(value)) return `${name}=${value}`;
  const why = unportable(value);
  if (why === null) return value.includes("'") ? `${name}="${value}"` : `${name}='${value}'`;
  throw new HakoError(
    'E_INVALID_VALUE',
    `the value of ${name} cannot be written as a dotenv line that node --env-file, dotenv(x) and sh all read the same: ${why}`,
    'export it with --format json or --format shell, or hand it to the program with hako run',
  );
}

/** Why no quoting carries `value` to every reader unchanged, or null. */
function unportable(value: string): string | null {
  if (value.includes('\r')) return 'it holds a carriage return (dotenv readers turn it into a line break)';
  if (value.endsWith('\\')) return 'it ends with a backslash';
  if (value.includes("'") && /["$`\\]/.test(value)) return 'it holds a single quote together with one of " $ ` \\';
  return null;
}

export function encodePortableDotenv(values: ReadonlyMap<string, string>): string {
  return [...values].map(([k, v]) => `${encodePortableDotenvLine(k, v)}\n`).join('');
}
