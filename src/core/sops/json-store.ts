/**
 * The JSON store, and the binary store built on it.
 *
 * Read with a small parser of its own (JSON.parse would reorder keys that look like array
 * indices, and give no positions): the top level must be an object, key order is kept,
 * numbers are `int` when they are integers in the 64-bit range and `float` otherwise (SOPS
 * ≥ 3.13.2; a file from an older SOPS already says `type:float` in its values). Written as
 * SOPS writes it: Go's json.Marshal for every scalar (`<`, `>`, `&`, U+2028 and U+2029
 * escaped), then json.Indent with a tab (or N spaces), `"key": value`, a final newline.
 *
 * Binary store: any other file is `{"data": <its bytes>}` in this store's format; the
 * bytes need not be UTF-8 and are kept as bytes.
 */
import { formatGoFloat } from './scalar-bytes.js';
import { isComment, isList, isMap, isTime, leavesInOrder, newMap, type SopsLeaf, type SopsMap, type SopsValue } from './tree.js';
import { StoreError, type ParsedStore, type Span } from './store.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

class JsonReader {
  pos = 0;
  spans: (Span | null)[] = [];
  constructor(
    readonly text: string,
    readonly track: boolean,
  ) {}

  fail(what: string): never {
    const upto = this.text.slice(0, this.pos);
    const line = upto.split('\n').length;
    throw new StoreError(`not valid JSON (line ${line}): ${what}`);
  }
  ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else break;
    }
  }
  string(): string {
    const t = this.text;
    if (t[this.pos] !== '"') this.fail('expected a string');
    const start = this.pos;
    let i = this.pos + 1;
    let simple = true;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        simple = false;
        i++;
      } else if (c < 32) this.fail('a control character in a string');
    }
    if (i >= t.length) this.fail('an unterminated string');
    this.pos = i + 1;
    if (simple) return t.slice(start + 1, i);
    try {
      return JSON.parse(t.slice(start, i + 1)) as string;
    } catch {
      return this.fail('a bad escape in a string');
    }
  }
  value(): SopsValue {
    this.ws();
    const t = this.text;
    const c = t[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    const start = this.pos;
    let v: SopsLeaf;
    if (c === '"') v = this.string();
    else if (t.startsWith('true', this.pos)) {
      this.pos += 4;
      v = true;
    } else if (t.startsWith('false', this.pos)) {
      this.pos += 5;
      v = false;
    } else if (t.startsWith('null', this.pos)) {
      this.pos += 4;
      v = null;
    } else {
      const m = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
      m.lastIndex = this.pos;
      const r = m.exec(t);
      if (!r || r[0] === '' || r[0] === '-') this.fail('an unexpected character');
      this.pos += r[0].length;
      if (!r[2] && !r[3]) {
        const n = BigInt(r[0]);
        v = n >= INT64_MIN && n <= INT64_MAX ? n : Number(r[0]);
      } else v = Number(r[0]);
    }
    if (this.track) this.spans.push(v === null ? null : { start, end: this.pos });
    return v;
  }
  object(): SopsMap {
    this.pos++;
    const m = newMap();
    const seen = new Set<string>();
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return m;
    }
    for (;;) {
      this.ws();
      const key = this.string();
      if (seen.has(key)) this.fail(`duplicate key "${key.slice(0, 40)}"`);
      seen.add(key);
      this.ws();
      if (this.text[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      m.items.push({ key, value: this.value() });
      this.ws();
      const c = this.text[this.pos++];
      if (c === '}') return m;
      if (c !== ',') this.fail('expected "," or "}"');
    }
  }
  array(): SopsValue {
    this.pos++;
    const items: SopsValue[] = [];
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { type: 'list', items };
    }
    for (;;) {
      items.push(this.value());
      this.ws();
      const c = this.text[this.pos++];
      if (c === ']') return { type: 'list', items };
      if (c !== ',') this.fail('expected "," or "]"');
    }
  }
}

/** Parses a JSON object, keeping key order and the span of every scalar. */
export function readJson(text: string): { doc: SopsMap; spans: (Span | null)[]; keySpans: Map<string, Span> } {
  const r = new JsonReader(text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text, true);
  r.ws();
  if (r.text[r.pos] !== '{') throw new StoreError('SOPS only supports JSON files whose top level is an object');
  // Top-level values are read one by one so the span of each entry is known.
  r.pos++;
  const doc = newMap();
  const keySpans = new Map<string, Span>();
  r.ws();
  if (r.text[r.pos] === '}') r.pos++;
  else
    for (;;) {
      r.ws();
      const key = r.string();
      if (keySpans.has(key)) r.fail(`duplicate key "${key.slice(0, 40)}"`);
      r.ws();
      if (r.text[r.pos] !== ':') r.fail('expected ":"');
      r.pos++;
      r.ws();
      const start = r.pos;
      doc.items.push({ key, value: r.value() });
      keySpans.set(key, { start, end: r.pos });
      r.ws();
      const c = r.text[r.pos++];
      if (c === '}') break;
      if (c !== ',') r.fail('expected "," or "}"');
    }
  r.ws();
  if (r.pos < r.text.length) r.fail('text after the top-level object');
  return { doc, spans: r.spans, keySpans };
}

/** Go's json.Marshal of a string. */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Go's json.Marshal of a float64. */
function goJsonFloat(v: number): string {
  if (!Number.isFinite(v)) throw new StoreError('JSON cannot hold infinity or NaN');
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    return v
      .toExponential()
      .replace(/e([+-])(\d)$/, 'e$10$2')
      .replace(/e([+-])0(\d)$/, 'e$1$2');
  }
  return formatGoFloat(v) === '-0' ? '-0' : formatGoFloat(v);
}

export function jsonLeaf(v: SopsLeaf): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (v instanceof Uint8Array) return goJsonString(Buffer.from(v).toString('utf8'));
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return goJsonFloat(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (isTime(v)) return goJsonString(v.text);
  return 'null';
}

/** A value as SOPS writes it: compact, then indented like Go's json.Indent. */
export function emitJsonValue(v: SopsValue, indent: number | '\t', depth = 0): string {
  const unit = indent === '\t' ? '\t' : ' '.repeat(indent);
  const pad = (d: number) => `\n${unit.repeat(d)}`;
  if (isMap(v)) {
    const pairs = v.items.filter((i) => !isComment(i)) as { key: string; value: SopsValue }[];
    if (!pairs.length) return '{}';
    return `{${pairs.map((p) => `${pad(depth + 1)}${goJsonString(p.key)}: ${emitJsonValue(p.value, indent, depth + 1)}`).join(',')}${pad(depth)}}`;
  }
  if (isList(v)) {
    const items = v.items.filter((i) => !isComment(i)) as SopsValue[];
    if (!items.length) return '[]';
    return `[${items.map((i) => `${pad(depth + 1)}${emitJsonValue(i, indent, depth + 1)}`).join(',')}${pad(depth)}]`;
  }
  return jsonLeaf(v);
}

export function emitJsonDocument(doc: SopsMap, indent: number | '\t', finalNewline = true): string {
  return emitJsonValue(doc, indent) + (finalNewline ? '\n' : '');
}

export function detectJsonIndent(text: string): number | '\t' {
  const m = /^\{\r?\n([ \t]+)"/.exec(text);
  if (!m) return '\t';
  return m[1]!.startsWith('\t') ? '\t' : m[1]!.length;
}

function findMetaSpans(text: string, sopsSpan: Span | undefined, meta: SopsValue | undefined) {
  const out: { mac: Span | null; lastModified: Span | null } = { mac: null, lastModified: null };
  if (!sopsSpan || !isMap(meta)) return out;
  const sub = readJson(text.slice(sopsSpan.start, sopsSpan.end));
  for (const name of ['mac', 'lastmodified'] as const) {
    const s = sub.keySpans.get(name);
    if (s) out[name === 'mac' ? 'mac' : 'lastModified'] = { start: s.start + sopsSpan.start, end: s.end + sopsSpan.start };
  }
  return out;
}

/** Reads a JSON (or binary-store) file. `binary`: the `data` leaf is bytes. */
export function parseJsonStore(text: string, kind: 'json' | 'binary' = 'json'): ParsedStore {
  const { doc, spans, keySpans } = readJson(text);
  const idx = doc.items.findIndex((i) => !isComment(i) && i.key === 'sops');
  let metadata: SopsMap | null = null;
  let leafSpans = spans;
  const sopsSpan = keySpans.get('sops');
  let meta: { mac: Span | null; lastModified: Span | null } = { mac: null, lastModified: null };
  let block: Span[] = [];
  if (idx >= 0) {
    const item = doc.items[idx] as { key: string; value: SopsValue };
    if (isMap(item.value)) metadata = item.value;
    // drop the metadata's spans: only data leaves are rewritten in place
    const before = countLeaves(doc.items.slice(0, idx));
    leafSpans = [...spans.slice(0, before), ...spans.slice(before + countLeaves([item]))];
    doc.items.splice(idx, 1);
    meta = findMetaSpans(text, sopsSpan, item.value);
    if (sopsSpan) block = [sopsSpan];
  }
  return {
    kind,
    text,
    docs: [doc],
    metadata,
    leafSpans: [leafSpans],
    macSpans: meta.mac ? [meta.mac] : [],
    lastModifiedSpans: meta.lastModified ? [meta.lastModified] : [],
    metadataSpans: block,
    indent: detectJsonIndent(text),
  };
}

function countLeaves(items: SopsMap['items']): number {
  return leavesInOrder({ type: 'map', items }).length;
}

/** The binary store's plaintext document: `{data: bytes}`. */
export function binaryDocument(bytes: Uint8Array): SopsMap {
  return newMap([{ key: 'data', value: new Uint8Array(bytes) }]);
}
