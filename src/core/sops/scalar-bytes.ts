/**
 * The bytes SOPS encrypts and hashes for each leaf type, and the way it reads them back.
 * These follow Go's standard library, which SOPS is written with, not JavaScript's:
 *   int    strconv.Itoa / Atoi                 decimal, optional sign
 *   float  strconv.FormatFloat(v, 'f', -1, 64) the shortest digits that read back as the
 *          same double, never an exponent (1e21 → "1000000000000000000000")
 *   bool   "True" / "False" (a legacy of the Python SOPS); read with strconv.ParseBool
 *   time   the RFC 3339 text
 * A difference of one byte here changes the MAC, so every rule is tested against files the
 * real SOPS wrote.
 */
import { isComment, isTime, type SopsComment, type SopsLeaf } from './tree.js';

export type SopsType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'comment' | 'bytes';

const utf8 = new TextEncoder();

/** Go's FormatFloat(v, 'f', -1, 64). */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // toExponential() without an argument gives the shortest digits that round-trip.
  const [mant, expText] = v.toExponential().split('e') as [string, string];
  const negative = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const exp = Number(expText);
  let out: string;
  if (exp >= 0) {
    out = digits.length > exp + 1 ? `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}` : digits + '0'.repeat(exp + 1 - digits.length);
  } else {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return negative ? `-${out}` : out;
}

/** The type name SOPS writes for a leaf. */
export function typeOf(leaf: Exclude<SopsLeaf, null> | SopsComment): SopsType {
  if (isComment(leaf)) return 'comment';
  if (isTime(leaf)) return 'time';
  if (typeof leaf === 'string' || leaf instanceof Uint8Array) return 'str';
  if (typeof leaf === 'bigint') return 'int';
  if (typeof leaf === 'number') return 'float';
  return 'bool';
}

/** The bytes of a leaf (sops.ToBytes), what is encrypted and what the MAC hashes. */
export function leafBytes(leaf: Exclude<SopsLeaf, null> | SopsComment): Uint8Array {
  if (isComment(leaf)) return utf8.encode(leaf.text);
  if (isTime(leaf)) return utf8.encode(leaf.text);
  if (leaf instanceof Uint8Array) return leaf;
  if (typeof leaf === 'string') return utf8.encode(leaf);
  if (typeof leaf === 'bigint') return utf8.encode(leaf.toString());
  if (typeof leaf === 'number') return utf8.encode(formatGoFloat(leaf));
  return utf8.encode(leaf ? 'True' : 'False');
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseFloat for decimal text (and Go's spellings of infinity and NaN). */
export function parseGoFloat(text: string): number | null {
  const t = text.replace(/_/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX]/.test(t)) {
    const n = Number(t.replace(/^[+-]/, ''));
    if (!Number.isNaN(n)) return t.startsWith('-') ? -n : n;
  }
  return null;
}

/**
 * Reads decrypted bytes as the type named in the value, as SOPS does; throws on text the
 * type does not accept (Go's Atoi, ParseFloat, ParseBool) and on an unknown type.
 */
export function leafFromBytes(type: string, bytes: Uint8Array, asBytes = false): Exclude<SopsLeaf, null> | SopsComment {
  const text = Buffer.from(bytes).toString('utf8');
  switch (type) {
    case 'str':
      return asBytes ? new Uint8Array(bytes) : text;
    case 'bytes':
      return new Uint8Array(bytes);
    case 'comment':
      return { type: 'comment', text };
    case 'int':
      if (!/^[+-]?\d+$/.test(text)) throw new Error('an int value that is not an integer');
      return BigInt(text);
    case 'float': {
      const n = parseGoFloat(text);
      if (n === null) throw new Error('a float value that is not a number');
      return n;
    }
    case 'bool':
      if (GO_TRUE.has(text)) return true;
      if (GO_FALSE.has(text)) return false;
      throw new Error('a bool value that is not a boolean');
    case 'time':
      return { type: 'time', text };
    default:
      throw new Error('an unknown value type');
  }
}
