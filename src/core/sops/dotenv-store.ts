/**
 * The dotenv store, exactly as SOPS reads it: the text is split on `\n` (a `\r` stays in
 * the value), empty lines are skipped, a line starting with `#` is a comment, any other line
 * is split at its first `=`. Nothing is trimmed and quotes are part of the value (so
 * `A="x"` holds `"x"` with its quotes, and `foo =v` has the key `foo `); the two characters
 * `\n` in a value stand for a line break. Every value is a string. Metadata is flattened
 * into `sops_…` keys.
 */
import { flatten, unflatten } from './flatten.js';
import { isComment, isList, isMap, type SopsMap, type SopsValue } from './tree.js';
import { StoreError, type ParsedStore, type Span } from './store.js';

export function parseDotenvStore(text: string): ParsedStore {
  const doc: SopsMap = { type: 'map', items: [] };
  const spans: (Span | null)[] = [];
  const meta: [string, string][] = [];
  const metaSpans = new Map<string, Span>();
  let firstMeta = -1;
  let lastMetaEnd = -1;
  let offset = 0;
  let lineNo = 0;
  for (const line of text.split('\n')) {
    const start = offset;
    offset += line.length + 1;
    lineNo++;
    if (line.length === 0) continue;
    if (line[0] === '#') {
      doc.items.push({ type: 'comment', text: line.slice(1) });
      spans.push({ start: start + 1, end: start + line.length });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new StoreError(`not a dotenv line (line ${lineNo}): no "="`);
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replace(/\\n/g, '\n');
    const span = { start: start + eq + 1, end: start + line.length };
    if (key.startsWith('sops_')) {
      meta.push([key.slice(5), value]);
      metaSpans.set(key.slice(5), span);
      if (firstMeta < 0) firstMeta = start;
      lastMetaEnd = Math.min(offset, text.length);
      continue;
    }
    doc.items.push({ key, value });
    spans.push(span);
  }
  let metadata: SopsMap | null = null;
  if (meta.length) {
    try {
      metadata = unflatten(meta);
    } catch (err) {
      throw new StoreError(`the sops_ metadata keys: ${(err as Error).message}`);
    }
  }
  const one = (k: string) => (metaSpans.has(k) ? [metaSpans.get(k)!] : []);
  return {
    kind: 'dotenv',
    text,
    docs: [doc],
    metadata,
    leafSpans: [spans],
    macSpans: one('mac'),
    lastModifiedSpans: one('lastmodified'),
    metadataSpans: firstMeta >= 0 ? [{ start: firstMeta, end: lastMetaEnd }] : [],
    indent: 0,
  };
}

function valueText(v: SopsValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return '';
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (isMap(v) || isList(v)) throw new StoreError('a dotenv file cannot hold nested values');
  return v.text;
}

export function dotenvLine(key: string, v: SopsValue): string {
  return `${key}=${valueText(v).replace(/\n/g, '\\n')}\n`;
}

export function emitDotenv(doc: SopsMap, metadata: SopsMap | null): string {
  let out = '';
  for (const item of doc.items) {
    if (isComment(item)) out += `#${item.text}\n`;
    else {
      if (isMap(item.value) || isList(item.value))
        throw new StoreError(`cannot use a nested value in a dotenv file (key ${item.key.slice(0, 40)})`);
      out += dotenvLine(item.key, item.value);
    }
  }
  if (metadata) for (const [k, v] of flatten(metadata, true)) out += `sops_${k}=${v.replace(/\n/g, '\\n')}\n`;
  return out;
}

export function emitDotenvMetadata(metadata: SopsMap): string {
  return flatten(metadata, true)
    .map(([k, v]) => `sops_${k}=${v.replace(/\n/g, '\\n')}\n`)
    .join('');
}
