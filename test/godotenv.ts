/**
 * How act reads `--secret-file`: Go's joho/godotenv 1.5 parser (parser.go), ported line by
 * line for the tests, sharing no code with src/. Quirks kept on purpose: the whole input first
 * has every `---`+LF and CRLF replaced by LF; a quoted value ends at the first quote not
 * preceded by a backslash, and leading/trailing quote characters are trimmed from it;
 * double-quoted values turn `\n`/`\r` into LF/CR, drop a backslash before any other character
 * but `$`, then expand `$NAME` / `${NAME}` (from earlier lines, then the environment).
 */
const isSpace = (c: string) => '\t\v\f\r \u0085\u00a0'.includes(c);
const isLineEnd = (c: string) => c === '\n' || c === '\r';
// Go's unicode.IsSpace
const isUnicodeSpace = (c: string) => /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u.test(c);

export function godotenvParse(input: string, environ: Record<string, string | undefined> = {}): Record<string, string> {
  let src = input.split('---\n').join('\n').split('\r\n').join('\n');
  const out: Record<string, string> = {};
  for (;;) {
    const start = statementStart(src);
    if (start === null) break;
    const { key, rest } = locateKeyName(start);
    const { value, rest: left } = extractVarValue(rest, out, environ);
    out[key] = value;
    src = left;
  }
  return out;
}

function statementStart(src: string): string | null {
  const chars = [...src];
  const pos = chars.findIndex((c) => !isUnicodeSpace(c));
  if (pos === -1) return null;
  const s = chars.slice(pos).join('');
  if (s[0] !== '#') return s;
  const nl = s.indexOf('\n');
  if (nl === -1) return null;
  return statementStart(s.slice(nl));
}

function trimLeft(s: string, f: (c: string) => boolean): string {
  let i = 0;
  while (i < s.length && f(s[i]!)) i++;
  return s.slice(i);
}
function trimRight(s: string, f: (c: string) => boolean): string {
  let i = s.length;
  while (i > 0 && f(s[i - 1]!)) i--;
  return s.slice(0, i);
}

function locateKeyName(input: string): { key: string; rest: string } {
  let src = trimLeft(input, isSpace);
  if (src.startsWith('export')) {
    const t = src.slice('export'.length);
    if (t.length > 0 && isSpace(t[0]!)) src = trimLeft(t, isSpace);
  }
  let key = '';
  let offset = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (isSpace(c)) continue;
    if (c === '=' || c === ':') {
      key = src.slice(0, i);
      offset = i + 1;
      break;
    }
    if (c === '_' || /[\p{L}\p{N}.]/u.test(c)) continue;
    throw new Error(`unexpected character ${JSON.stringify(c)} in variable name`);
  }
  if (src.length === 0) throw new Error('zero length string');
  return { key: trimRight(key, (c) => /\s/u.test(c)), rest: trimLeft(src.slice(offset), isSpace) };
}

function extractVarValue(
  src: string,
  vars: Record<string, string>,
  environ: Record<string, string | undefined>,
): { value: string; rest: string } {
  const quote = src[0] === '"' || src[0] === "'" ? src[0] : null;
  if (!quote) {
    let end = [...src].findIndex(isLineEnd);
    const codeUnitEnd = end === -1 ? src.length : [...src].slice(0, end).join('').length;
    if (end === -1 && src.length === 0) return { value: '', rest: '' };
    const line = [...src.slice(0, codeUnitEnd)];
    if (line.length === 0) return { value: '', rest: src.slice(codeUnitEnd) };
    end = line.length;
    for (let i = end - 1; i >= 0; i--) {
      if (line[i] === '#' && i > 0 && isSpace(line[i - 1]!)) {
        end = i;
        break;
      }
    }
    const trimmed = trimRight(trimLeft(line.slice(0, end).join(''), isSpace), isSpace);
    return { value: expandVariables(trimmed, vars, environ), rest: src.slice(codeUnitEnd) };
  }
  for (let i = 1; i < src.length; i++) {
    if (src[i] !== quote) continue;
    if (src[i - 1] === '\\') continue;
    const isQuote = (c: string) => c === quote;
    let value = trimLeft(trimRight(src.slice(0, i), isQuote), isQuote);
    if (quote === '"') value = expandVariables(expandEscapes(value), vars, environ);
    return { value, rest: src.slice(i + 1) };
  }
  throw new Error('unterminated quoted value');
}

function expandEscapes(s: string): string {
  const out = s.replace(/\\[^\n]/gu, (m) => (m[1] === 'n' ? '\n' : m[1] === 'r' ? '\r' : m));
  return out.replace(/\\([^$])/gu, '$1');
}

function expandVariables(v: string, vars: Record<string, string>, environ: Record<string, string | undefined>): string {
  return v.replace(
    /(\\)?(\$)(\()?\{?([A-Z0-9_]+)?\}?/g,
    (s, backslash: string | undefined, _d: string, _p: string | undefined, name: string | undefined) => {
      if (backslash === '\\') return s.slice(1);
      if (name) {
        if (name in vars) return vars[name]!;
        if (environ[name] !== undefined) return environ[name]!;
        return '';
      }
      return s;
    },
  );
}
