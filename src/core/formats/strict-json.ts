/**
 * A strict RFC 8259 JSON parser for files that guard secrets.
 *
 * Unlike JSON.parse it refuses duplicate object keys (two parsers must never see two
 * different files), returns objects without a prototype, and reports errors by line and
 * column only: JSON.parse quotes the offending text, which may be a plaintext value.
 */
import { HakoError } from '../errors.js';
import { displayName } from '../display.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

const MAX_DEPTH = 64;

export interface StrictJsonOptions {
  /** Numbers as their source text: for imports, where a value is exactly what was written. */
  numbersAsText?: boolean;
}

export function parseStrictJson(text: string, what: string, opts: StrictJsonOptions = {}): JsonValue {
  let i = 0;
  const n = text.length;

  const fail = (msg: string): never => {
    let line = 1;
    let col = 1;
    for (let j = 0; j < i && j < n; j++) {
      if (text.charCodeAt(j) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    throw new HakoError(
      'E_FORMAT',
      `${what}: line ${line}, column ${col}: ${msg}`,
      'fix the JSON syntax (no duplicate keys, no trailing commas, no comments)',
    );
  };

  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
  };

  const str = (): string => {
    i++; // opening quote
    let out = '';
    let start = i;
    while (true) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 34) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c === 92) {
        out += text.slice(start, i);
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            i -= 2;
            fail('bad escape in string');
        }
        start = i;
        continue;
      }
      i++;
    }
  };

  const num = (): number | string => {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('bad number');
    i += m![0].length;
    if (opts.numbersAsText) return m![0];
    const v = Number(m![0]);
    if (!Number.isFinite(v)) fail('number out of range');
    return v;
  };

  const lit = (word: string, v: JsonValue): JsonValue => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return v;
    }
    return fail('unexpected character');
  };

  const value = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: JsonObject = Object.create(null);
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      while (true) {
        ws();
        if (text[i] !== '"') fail('expected a string key');
        const key = str();
        if (Object.prototype.hasOwnProperty.call(obj, key)) fail(`duplicate key ${displayName(key)}`);
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        obj[key] = value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      while (true) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    if (c === 't') return lit('true', true);
    if (c === 'f') return lit('false', false);
    if (c === 'n') return lit('null', null);
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return num();
    return fail(i >= n ? 'unexpected end of input' : 'unexpected character');
  };

  if (text.charCodeAt(0) === 0xfeff) i = 1; // tolerate a BOM
  const v = value(0);
  ws();
  if (i < n) fail('unexpected data after the end');
  return v;
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
