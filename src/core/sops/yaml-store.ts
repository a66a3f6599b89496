/**
 * The YAML store: reads YAML into SOPS documents, with the position of every value.
 *
 * Parsing is the `yaml` package's (the failsafe schema, so every scalar comes back as the
 * text it was written as); the types are then resolved here as go-yaml v3 resolves them,
 * because the type is part of each encrypted value. Each document must be a mapping (or
 * empty); duplicate keys are refused; anchors and aliases are expanded and tags dropped,
 * as SOPS does.
 *
 * Comments: each comment line becomes an item of the mapping or list it belongs to, in
 * file order. A comment belongs to the innermost block whose indentation it reaches; a
 * comment on the same line as a value is "inline" and is placed before that value (where
 * SOPS places it). Comments inside the `sops` block are not kept.
 */
import type { Document, Node as YamlNode, Pair as YamlPair } from 'yaml';
import { yamlLibrary } from './yaml-library.js';
import { resolvePlain } from './yaml-scalar.js';
import { isComment, isMap, leavesInOrder, type SopsComment, type SopsLeaf, type SopsMap, type SopsValue } from './tree.js';
import { StoreError, type ParsedStore, type Span } from './store.js';

interface CommentToken {
  offset: number;
  col: number;
  line: number;
  end: number;
  text: string;
}

/** go-yaml's reading of an explicitly tagged scalar (the common core tags). */
function resolveTagged(tag: string, text: string, plain: boolean): SopsLeaf {
  switch (tag) {
    case 'tag:yaml.org,2002:str':
      return text;
    case 'tag:yaml.org,2002:int':
    case 'tag:yaml.org,2002:float':
    case 'tag:yaml.org,2002:bool':
    case 'tag:yaml.org,2002:null': {
      const v = resolvePlain(text);
      if (tag.endsWith(':float') && typeof v === 'bigint') return Number(v);
      return v;
    }
    case 'tag:yaml.org,2002:timestamp':
      return { type: 'time', text };
    case 'tag:yaml.org,2002:binary':
      return Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('latin1');
    default:
      return plain ? resolvePlain(text) : text;
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

class Reader {
  private readonly starts: number[];
  private comments: CommentToken[] = [];
  private cursor = 0;
  spans: (Span | null)[] = [];

  constructor(
    private readonly text: string,
    private readonly doc: Document.Parsed,
  ) {
    this.starts = lineStarts(text);
  }

  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  colOf(offset: number): number {
    return offset - this.starts[this.lineOf(offset)]!;
  }

  /** Finds comment lines in [from, to): a `#` at a line start or after a blank, outside every scalar. */
  scanComments(from: number, to: number, protectedRanges: [number, number][]): void {
    protectedRanges.sort((a, b) => a[0] - b[0]);
    let r = 0;
    const text = this.text;
    for (let i = from; i < to; i++) {
      const ch = text.charCodeAt(i);
      if (ch !== 35) continue; // '#'
      while (r < protectedRanges.length && protectedRanges[r]![1] <= i) r++;
      if (r < protectedRanges.length && protectedRanges[r]![0] <= i && i < protectedRanges[r]![1]) {
        i = protectedRanges[r]![1] - 1;
        continue;
      }
      const prev = i === 0 ? 10 : text.charCodeAt(i - 1);
      if (prev !== 10 && prev !== 32 && prev !== 9 && prev !== 13) continue;
      let end = text.indexOf('\n', i);
      if (end < 0 || end > to) end = to;
      let textEnd = end;
      if (text.charCodeAt(textEnd - 1) === 13) textEnd--;
      const line = this.lineOf(i);
      this.comments.push({ offset: i, col: i - this.starts[line]!, line, end: textEnd, text: text.slice(i + 1, textEnd) });
      i = end;
    }
  }

  private peek(): CommentToken | undefined {
    return this.comments[this.cursor];
  }

  private take(inline = false): SopsComment {
    const c = this.comments[this.cursor++]!;
    this.spans.push({ start: c.offset + 1, end: c.end });
    return inline ? { type: 'comment', text: c.text, inline: true } : { type: 'comment', text: c.text };
  }

  /** Comments that start before `offset`, as non-inline items. */
  private headComments(offset: number, into: (SopsComment | unknown)[]): void {
    while (this.peek() && this.peek()!.offset < offset) into.push(this.take());
  }

  /** A comment on `line` (the line a value ends on) is inline. */
  private inlineComment(line: number, limit: number): SopsComment | null {
    const c = this.peek();
    if (c && c.line === line && c.offset < limit) return this.take(true);
    return null;
  }

  /** Trailing comments of a block at column `col`, before `limit`. */
  private trailing(col: number, limit: number, into: unknown[]): void {
    while (this.peek() && this.peek()!.offset < limit && this.peek()!.col >= col) into.push(this.take());
  }

  scalar(node: YamlNode): SopsLeaf {
    if (!yamlLibrary().isScalar(node)) throw new StoreError('internal: not a scalar');
    const raw = node.value;
    const text = raw === null || raw === undefined ? '' : String(raw);
    const plain = node.type === 'PLAIN' || node.type === undefined;
    if (node.tag && node.tag !== '!' && node.tag !== '?') return resolveTagged(node.tag, text, plain);
    return plain ? resolvePlain(node.source ?? text) : text;
  }

  value(node: YamlNode | null | undefined, limit: number, keyLine: number, expanded: boolean, out: unknown[], where: number): SopsValue {
    if (node === null || node === undefined) {
      if (!expanded) this.spans.push(null);
      return null;
    }
    if (yamlLibrary().isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) throw new StoreError(`an alias to an unknown anchor (line ${this.lineOf(where) + 1})`);
      const saveSpans = this.spans;
      this.spans = [];
      const v = this.value(target as YamlNode, limit, keyLine, true, out, where);
      const n = leavesInOrder(v).length;
      this.spans = saveSpans;
      for (let i = 0; i < n; i++) this.spans.push(null);
      return v;
    }
    if (yamlLibrary().isMap(node) || yamlLibrary().isSeq(node)) {
      const before = this.spans.length;
      const v = yamlLibrary().isMap(node) ? this.map(node as never, limit, expanded) : this.seq(node as never, limit, expanded);
      // values inside a flow collection cannot be rewritten in place (quoting rules differ)
      if ((node as { flow?: boolean }).flow) for (let i = before; i < this.spans.length; i++) this.spans[i] = null;
      return v;
    }
    const leaf = this.scalar(node);
    const range = node.range!;
    const multiline = this.text.slice(range[0], range[1]).includes('\n');
    if (!expanded) this.spans.push(multiline || leaf === null ? null : { start: range[0], end: range[1] });
    return leaf;
  }

  map(
    node: { items: YamlPair<YamlNode, YamlNode>[]; range?: [number, number, number] | null; flow?: boolean },
    limit: number,
    expanded = false,
  ): SopsMap {
    const items: SopsMap['items'] = [];
    const col = node.range ? this.colOf(node.range[0]) : 0;
    const seen = new Set<string>();
    node.items.forEach((pair, idx) => {
      const keyNode = pair.key as YamlNode | null;
      const keyStart = keyNode?.range?.[0] ?? node.range?.[0] ?? 0;
      if (!expanded && !node.flow) this.headComments(keyStart, items);
      let key: string;
      if (keyNode && yamlLibrary().isScalar(keyNode)) {
        const k = this.scalar(keyNode);
        key =
          k === null
            ? 'null'
            : typeof k === 'string'
              ? k
              : typeof k === 'object' && 'text' in (k as object)
                ? (k as { text: string }).text
                : String(k);
      } else if (keyNode === null) key = 'null';
      else throw new StoreError(`a mapping key that is not a scalar (line ${this.lineOf(keyStart) + 1})`);
      if (seen.has(key)) throw new StoreError(`duplicate key "${key.slice(0, 40)}" (line ${this.lineOf(keyStart) + 1})`);
      seen.add(key);
      const next = node.items[idx + 1]?.key as YamlNode | undefined;
      const childLimit = next?.range?.[0] ?? limit;
      const v = pair.value as YamlNode | null;
      const keyLine = this.lineOf(keyStart);
      if (v && (yamlLibrary().isMap(v) || yamlLibrary().isSeq(v)) && !(v as { flow?: boolean }).flow) {
        // comments on the key's own line belong to this mapping
        if (!expanded) while (this.peek() && this.peek()!.line === keyLine && this.peek()!.offset < childLimit) items.push(this.take());
        const value = this.value(v, childLimit, keyLine, expanded, items, keyStart);
        items.push({ key, value });
      } else {
        const spansBefore = this.spans.length;
        const value = this.value(v, childLimit, keyLine, expanded, items, keyStart);
        const endOffset = v?.range?.[1] ?? keyNode?.range?.[1] ?? keyStart;
        const inline = !expanded && !node.flow ? this.inlineComment(this.lineOf(Math.max(endOffset - 1, keyStart)), childLimit) : null;
        if (inline) {
          // SOPS keeps an inline comment before its value: move its span before the value's
          const span = this.spans.pop()!;
          this.spans.splice(spansBefore, 0, span);
          items.push(inline);
        }
        items.push({ key, value });
      }
    });
    if (!expanded && !node.flow) this.trailing(col, limit, items);
    return { type: 'map', items };
  }

  seq(node: { items: YamlNode[]; range?: [number, number, number] | null; flow?: boolean }, limit: number, expanded = false): SopsValue {
    const items: (SopsValue | SopsComment)[] = [];
    const dashAt = (n: YamlNode | null | undefined, fallback: number) => {
      const t = this.text;
      let i = (n?.range?.[0] ?? fallback) - 1;
      for (;;) {
        while (i >= 0 && (t[i] === ' ' || t[i] === '\t' || t[i] === '\n' || t[i] === '\r')) i--;
        // skip a whole comment line between the dash and the item
        const lineStart = t.lastIndexOf('\n', i) + 1;
        const hash = t.indexOf('#', lineStart);
        if (i >= 0 && hash >= 0 && hash <= i && t.slice(lineStart, hash).trim() === '') {
          i = lineStart - 1;
          continue;
        }
        break;
      }
      return t[i] === '-' ? i : (n?.range?.[0] ?? fallback);
    };
    const start = node.range?.[0] ?? 0;
    const col = node.flow ? 0 : this.colOf(dashAt(node.items[0] ?? null, start));
    node.items.forEach((item, idx) => {
      const itemStart = node.flow ? (item?.range?.[0] ?? start) : dashAt(item, start);
      if (!expanded && !node.flow) this.headComments(itemStart, items);
      const nextItem = node.items[idx + 1];
      const childLimit = nextItem ? (node.flow ? (nextItem.range?.[0] ?? limit) : dashAt(nextItem, limit)) : limit;
      if (item && (yamlLibrary().isMap(item) || yamlLibrary().isSeq(item)) && !(item as { flow?: boolean }).flow) {
        items.push(this.value(item, childLimit, this.lineOf(itemStart), expanded, items, itemStart));
      } else {
        const spansBefore = this.spans.length;
        const value = this.value(item, childLimit, this.lineOf(itemStart), expanded, items, itemStart);
        const endOffset = item?.range?.[1] ?? itemStart + 1;
        const inline = !expanded && !node.flow ? this.inlineComment(this.lineOf(Math.max(endOffset - 1, itemStart)), childLimit) : null;
        if (inline) {
          const span = this.spans.pop()!;
          this.spans.splice(spansBefore, 0, span);
          items.push(inline);
        }
        items.push(value);
      }
    });
    if (!expanded && !node.flow) this.trailing(col, limit, items);
    return { type: 'list', items };
  }

  /** Every scalar range in the document (where a `#` is not a comment). */
  protectedRanges(): [number, number][] {
    const out: [number, number][] = [];
    const visit = (n: unknown) => {
      if (!n || typeof n !== 'object') return;
      if (yamlLibrary().isScalar(n as YamlNode)) {
        const r = (n as YamlNode).range;
        if (r) out.push([r[0], r[1]]);
        return;
      }
      if (yamlLibrary().isMap(n as YamlNode) || yamlLibrary().isSeq(n as YamlNode)) {
        const c = n as { items: unknown[]; flow?: boolean; range?: [number, number, number] };
        if (c.flow && c.range) {
          out.push([c.range[0], c.range[1]]);
          return;
        }
        for (const it of c.items) {
          if (it && typeof it === 'object' && 'key' in (it as object)) {
            visit((it as YamlPair).key);
            visit((it as YamlPair).value);
          } else visit(it);
        }
      }
    };
    visit(this.doc.contents);
    return out;
  }
}

export interface YamlDocument {
  doc: SopsMap;
  spans: (Span | null)[];
  /** Where the top-level `sops` entry is (key start to value end), and its mac/lastmodified values. */
  sops: { block: Span; mac: Span | null; lastModified: Span | null; value: SopsValue } | null;
}

/** Parses every document of a YAML text. */
export function readYaml(text: string): YamlDocument[] {
  const parsed = yamlLibrary().parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: true, strict: false, prettyErrors: false });
  const docs = Array.isArray(parsed) ? parsed : [parsed];
  const out: YamlDocument[] = [];
  let prevEnd = 0;
  for (const d of docs) {
    if (d.errors.length) {
      const e = d.errors[0]!;
      const line = e.linePos?.[0]?.line;
      throw new StoreError(
        `not valid YAML${line ? ` (line ${line})` : ''}: ${e.code === 'DUPLICATE_KEY' ? 'duplicate key' : e.code.toLowerCase().replace(/_/g, ' ')}`,
      );
    }
    const reader = new Reader(text, d as Document.Parsed);
    const contents = d.contents as YamlNode | null;
    const docStart = prevEnd;
    const docEnd = d.range[2];
    prevEnd = docEnd;
    reader.scanComments(docStart, docEnd, contents ? reader.protectedRanges() : []);
    if (contents === null || (yamlLibrary().isScalar(contents) && (contents.value === null || contents.value === ''))) {
      const items: SopsMap['items'] = [];
      const m = reader.map({ items: [], range: [docStart, docStart, docStart] }, docEnd);
      items.push(...m.items);
      out.push({ doc: { type: 'map', items }, spans: reader.spans, sops: null });
      continue;
    }
    if (!yamlLibrary().isMap(contents)) {
      throw new StoreError(
        yamlLibrary().isSeq(contents)
          ? 'YAML documents that are sequences are not supported'
          : 'YAML documents that are values are not supported',
      );
    }
    const mapNode = contents as unknown as { items: YamlPair<YamlNode, YamlNode>[]; range: [number, number, number] };
    const doc = reader.map(mapNode, docEnd);
    // Take the top-level `sops` entry out, with its place in the text.
    let sops: YamlDocument['sops'] = null;
    const idx = doc.items.findIndex((i) => !isComment(i) && i.key === 'sops');
    if (idx >= 0) {
      const pair = mapNode.items.find((p) => yamlLibrary().isScalar(p.key) && String((p.key as { value: unknown }).value) === 'sops')!;
      const keyStart = (pair.key as YamlNode).range![0];
      const lineStart = text.lastIndexOf('\n', keyStart - 1) + 1;
      const v = pair.value as YamlNode | null;
      let end = v?.range?.[2] ?? (pair.key as YamlNode).range![2];
      if (end < text.length && text[end - 1] !== '\n') {
        const nl = text.indexOf('\n', end);
        end = nl < 0 ? text.length : nl + 1;
      }
      const find = (name: string): Span | null => {
        if (!v || !yamlLibrary().isMap(v)) return null;
        const p = (v as unknown as { items: YamlPair<YamlNode, YamlNode>[] }).items.find(
          (x) => yamlLibrary().isScalar(x.key) && String((x.key as { value: unknown }).value) === name,
        );
        const r = (p?.value as YamlNode | undefined)?.range;
        return r ? { start: r[0], end: r[1] } : null;
      };
      // The spans of the leaves inside `sops` are not data: drop them.
      const item = doc.items[idx] as { key: string; value: SopsValue };
      const before = leavesInOrder({ type: 'map', items: doc.items.slice(0, idx) }).length;
      const inside = leavesInOrder(item.value).length;
      reader.spans.splice(before, inside);
      doc.items.splice(idx, 1);
      sops = { block: { start: lineStart, end }, mac: find('mac'), lastModified: find('lastmodified'), value: item.value };
    }
    out.push({ doc, spans: reader.spans, sops });
  }
  return out;
}

/** The indentation a SOPS-written YAML file uses: the first indented line's spaces. */
export function detectYamlIndent(text: string): number {
  const m = /\n( +)[^\s#-]/.exec(text);
  if (m) return m[1]!.length;
  const s = /:\n( +)- /.exec(text);
  return s ? s[1]!.length : 4;
}

export function parseYamlStore(text: string): ParsedStore {
  const docs = readYaml(text);
  const first = docs[0]?.sops ?? null;
  return {
    kind: 'yaml',
    text,
    docs: docs.map((d) => d.doc),
    metadata: first && isMap(first.value) ? first.value : null,
    leafSpans: docs.map((d) => d.spans),
    macSpans: docs.flatMap((d) => (d.sops?.mac ? [d.sops.mac] : [])),
    lastModifiedSpans: docs.flatMap((d) => (d.sops?.lastModified ? [d.sops.lastModified] : [])),
    metadataSpans: docs.flatMap((d) => (d.sops ? [d.sops.block] : [])),
    indent: detectYamlIndent(text),
  };
}
