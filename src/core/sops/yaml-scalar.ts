/**
 * YAML scalars as SOPS's YAML library (go-yaml v3) reads and writes them.
 *
 * Reading a plain scalar: YAML 1.2 core types as go-yaml resolves them into Go values
 * (`true`/`True`/`TRUE`, `null`/`~`/empty, Go integer syntax with `0x`/`0o`/`0b` and `_`,
 * floats, `.inf`, `.nan`); everything else, including `yes`/`no` and unquoted dates, is a
 * string. Writing a string: plain when it would read back as the same string and its
 * characters allow it, else single- or double-quoted, or a literal block (`|`) when it has
 * line breaks, by the style rules of libyaml's emitter that go-yaml keeps. Floats are
 * written with Go's `%g`-like shortest form (`1e+06`), as go-yaml does.
 */
import { formatGoFloat } from './scalar-bytes.js';
import type { SopsLeaf } from './tree.js';

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['true', 'True', 'TRUE']);
const FALSES = new Set(['false', 'False', 'FALSE']);
const OLD_BOOLS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF']);
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP = /^\d{4}-\d{1,2}-\d{1,2}(?:(?:[Tt]|[ \t]+)\d{1,2}:\d{2}:\d{2}(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d{1,2}(?::\d{2})?))?)?$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt(s, 0, 64) / ParseUint syntax: sign, base prefix, underscores. */
function goInt(text: string): bigint | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(text);
  if (!m) return null;
  let body = m[2]!;
  if (body.includes('_')) {
    // Go allows underscores only between digits (and after a base prefix).
    if (/__|_$/.test(body) || (/^[1-9]/.test(body) && /^_/.test(body))) return null;
    body = body.replace(/_/g, '');
  }
  let n: bigint;
  if (/^0[oO]/.test(body)) n = BigInt(`0o${body.slice(2)}`);
  else if (/^0[0-7]+$/.test(body)) n = BigInt(`0o${body.slice(1)}`);
  else n = BigInt(body);
  if (m[1] === '-') n = -n;
  if (n < INT64_MIN || n > UINT64_MAX) return null;
  return n;
}

/** What go-yaml decodes a plain (unquoted, untagged) scalar to. */
export function resolvePlain(text: string): SopsLeaf {
  if (NULLS.has(text)) return null;
  if (TRUES.has(text)) return true;
  if (FALSES.has(text)) return false;
  if (text === '.nan' || text === '.NaN' || text === '.NAN') return NaN;
  if (/^\+?\.(inf|Inf|INF)$/.test(text)) return Infinity;
  if (/^-\.(inf|Inf|INF)$/.test(text)) return -Infinity;
  const c = text[0]!;
  if ((c >= '0' && c <= '9') || c === '-' || c === '+' || c === '.') {
    const plain = text.replace(/_/g, '');
    const i = goInt(text);
    if (i !== null) return i;
    if (FLOAT.test(plain)) return Number(plain);
  }
  return text;
}

/** Would `text`, written plain, read back as this very string? */
function plainReadsAsString(text: string): boolean {
  return typeof resolvePlain(text) === 'string' && !TIMESTAMP.test(text) && !BASE60.test(text) && !OLD_BOOLS.has(text);
}

/** Go's strconv.FormatFloat(v, 'g', -1, 64), with go-yaml's spellings of infinity and NaN. */
export function formatYamlFloat(v: number): string {
  if (Number.isNaN(v)) return '.nan';
  if (v === Infinity) return '.inf';
  if (v === -Infinity) return '-.inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp >= -4 && exp < 6) return formatGoFloat(v);
  const e = Math.abs(exp);
  return `${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
}

function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    cp === 0x85 ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}
const isBreak = (c: string | undefined) => c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029';
const isBlankZ = (c: string | undefined) => c === undefined || c === ' ' || c === '\t' || isBreak(c);

interface Analysis {
  multiline: boolean;
  blockPlain: boolean;
  flowPlain: boolean;
  single: boolean;
  block: boolean;
}

/** libyaml's yaml_emitter_analyze_scalar, as go-yaml v3 has it. */
function analyse(value: string): Analysis {
  if (value === '') return { multiline: false, blockPlain: false, flowPlain: false, single: true, block: false };
  const chars = Array.from(value);
  let blockInd = false;
  let flowInd = false;
  let lineBreaks = false;
  let special = false;
  let tabs = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let prevSpace = false;
  let prevBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) {
    blockInd = true;
    flowInd = true;
  }
  let precededByWs = true;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const followedByWs = isBlankZ(chars[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) {
        flowInd = true;
        blockInd = true;
      } else if (c === '?' || c === ':') {
        flowInd = true;
        if (followedByWs) blockInd = true;
      } else if (c === '-' && followedByWs) {
        flowInd = true;
        blockInd = true;
      }
    } else if (',?[]{}'.includes(c)) {
      flowInd = true;
    } else if (c === ':') {
      flowInd = true;
      if (followedByWs) blockInd = true;
    } else if (c === '#' && precededByWs) {
      flowInd = true;
      blockInd = true;
    }
    const cp = c.codePointAt(0)!;
    if (!isPrintable(cp) && c !== '\t') special = true;
    if (isBreak(c)) lineBreaks = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (c === '\t') {
      tabs = true;
      prevSpace = false;
      prevBreak = false;
    } else if (isBreak(c)) {
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevBreak = true;
      prevSpace = false;
    } else {
      prevSpace = false;
      prevBreak = false;
    }
    precededByWs = isBlankZ(c);
  }
  const a: Analysis = { multiline: lineBreaks, blockPlain: true, flowPlain: true, single: true, block: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) a.flowPlain = a.blockPlain = false;
  if (trailingSpace) a.block = false;
  if (breakSpace) a.flowPlain = a.blockPlain = a.single = false;
  if (spaceBreak || tabs || special) a.flowPlain = a.blockPlain = a.single = false;
  if (spaceBreak || special) a.block = false;
  if (lineBreaks) a.flowPlain = a.blockPlain = false;
  if (flowInd) a.flowPlain = false;
  if (blockInd) a.blockPlain = false;
  return a;
}

function doubleQuoted(value: string): string {
  let out = '"';
  for (const c of value) {
    const cp = c.codePointAt(0)!;
    switch (c) {
      case '\0':
        out += '\\0';
        break;
      case '\x07':
        out += '\\a';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\v':
        out += '\\v';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\x1b':
        out += '\\e';
        break;
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\u0085':
        out += '\\N';
        break;
      case '\u00a0':
        out += '\\_';
        break;
      case '\u2028':
        out += '\\L';
        break;
      case '\u2029':
        out += '\\P';
        break;
      default:
        if (!isPrintable(cp) || cp === 0xfeff) {
          if (cp <= 0xff) out += `\\x${cp.toString(16).toUpperCase().padStart(2, '0')}`;
          else if (cp <= 0xffff) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
          else out += `\\U${cp.toString(16).toUpperCase().padStart(8, '0')}`;
        } else out += c;
    }
  }
  return `${out}"`;
}

/**
 * A literal block scalar: the header (`|`, `|-`, `|+`, with an indentation digit when the
 * text starts with a space or a line break) and its lines at `indent` columns.
 */
function literalBlock(value: string, indent: number, bestIndent: number): string {
  let header = '|';
  if (value.startsWith(' ') || isBreak(value[0])) header += String(bestIndent);
  const last = value[value.length - 1];
  if (!isBreak(last)) header += '-';
  else if (value.length === 1 || isBreak(value[value.length - 2])) header += '+';
  const body = value.endsWith('\n') ? value.slice(0, -1) : value;
  const pad = ' '.repeat(indent);
  return `${header}\n${body
    .split('\n')
    .map((l) => (l === '' ? '' : pad + l))
    .join('\n')}${value.endsWith('\n') ? '\n' : ''}`;
}

export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal';

/** The style go-yaml v3 writes a string in: `key` for mapping keys, `indent` for a block. */
export function stringStyle(value: string, key: boolean): ScalarStyle {
  const a = analyse(value);
  let style: ScalarStyle = value.includes('\n') ? 'literal' : plainReadsAsString(value) ? 'plain' : 'double';
  if (style === 'plain') {
    if (!a.blockPlain || (value === '' && key)) style = 'single';
  }
  if (style === 'single' && !a.single) style = 'double';
  if (style === 'literal' && (!a.block || key)) style = 'double';
  return style;
}

/**
 * A string as go-yaml v3 writes it. A literal block spans several lines; its content lines
 * are indented by `blockIndent`.
 */
export function formatYamlString(value: string, opts: { key?: boolean; blockIndent?: number; bestIndent?: number } = {}): string {
  const style = stringStyle(value, !!opts.key);
  switch (style) {
    case 'plain':
      return value;
    case 'single':
      return `'${value.replace(/'/g, "''")}'`;
    case 'double':
      return doubleQuoted(value);
    case 'literal':
      return literalBlock(value, opts.blockIndent ?? 4, opts.bestIndent ?? 4);
  }
}

/** A non-string leaf as go-yaml v3 writes it. */
export function formatYamlLeaf(leaf: Exclude<SopsLeaf, string>): string {
  if (leaf === null) return 'null';
  if (typeof leaf === 'boolean') return leaf ? 'true' : 'false';
  if (typeof leaf === 'bigint') return leaf.toString();
  if (typeof leaf === 'number') return formatYamlFloat(leaf);
  if (leaf instanceof Uint8Array) return formatYamlString(Buffer.from(leaf).toString('utf8'));
  return leaf.text;
}
