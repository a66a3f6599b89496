/**
 * dotenv: parse and encode only.
 *
 * Accepted: `NAME=value`, an optional `export ` prefix, `#` comments, blank lines;
 * unquoted values (trimmed, ` #` starts a comment), single quotes (literal), double quotes
 * (escapes \n \r \t \" \\ \$, may span lines). No variable expansion: a value is exactly
 * what is written. Errors give a line number and never the line itself, which may hold a
 * plaintext value.
 */
import { HakoError } from '../errors.js';

export interface DotenvEntry {
  name: string;
  value: string;
  line: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseDotenv(text: string, what = 'dotenv'): DotenvEntry[] {
  const src = text.replace(/\r\n?/g, '\n').replace(/^\ufeff/, '');
  const lines = src.split('\n');
  const out: DotenvEntry[] = [];
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
    let rest = line.slice(eq + 1);
    let value: string;
    const q = rest[0];
    if (q === '"' || q === "'") {
      // The value may continue over the following lines until its closing quote. Each line
      // is scanned once, as its own piece, and the pieces are joined once at the end: a long
      // unterminated value stays linear (re-scanning a growing string was quadratic).
      const pieces = [rest.slice(1)];
      let endLine = i;
      let scan = findClose(pieces[0]!, q, 0);
      while (scan.close < 0) {
        endLine++;
        if (endLine >= lines.length) fail(lineNo, `unterminated ${q === '"' ? 'double' : 'single'} quote`);
        const prev = pieces[pieces.length - 1]!;
        const piece = `\n${lines[endLine]}`;
        pieces.push(piece);
        scan = findClose(piece, q, scan.next - prev.length); // 1 when a backslash ended prev
      }
      const last = pieces.pop()!;
      const after = last.slice(scan.close + 1).trim();
      if (after !== '' && !after.startsWith('#')) fail(endLine + 1, 'unexpected text after the closing quote');
      const raw = pieces.join('') + last.slice(0, scan.close);
      value = q === "'" ? raw : unescapeDouble(raw, () => fail(lineNo, 'bad escape in double quotes'));
      i = endLine;
    } else {
      const hash = rest.search(/\s#/);
      if (hash >= 0) rest = rest.slice(0, hash);
      value = rest.trim();
    }
    if (seen.has(name)) fail(lineNo, `${name} appears twice`);
    seen.add(name);
    out.push({ name, value, line: lineNo });
  }
  return out;
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

/** One `NAME=value` line; plain values stay bare, the rest are double-quoted with escapes. */
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
