/**
 * The INI store: sections become top-level keys whose values are mappings of strings (keys
 * before any section header are in `DEFAULT`); a comment (`;` or `#`) attaches to the
 * section or key below it, and SOPS keeps a key's comment after that key. Read as go-ini
 * reads it: keys and values trimmed, `key = value` or `key: value`, values in `"…"`,
 * `` `…` `` or `"""…"""` (which may span lines) unquoted, an unquoted value cut at `;` or
 * `#`. Written as go-ini writes it: `[section]`, `key = value` with the `=` of a section
 * aligned, `; comment` lines above, a blank line between sections. The metadata is the
 * flattened `[sops]` section, with line breaks written as `\n`.
 */
import { flatten, unflatten } from './flatten.js';
import { isComment, isList, isMap, type SopsComment, type SopsMap, type SopsValue } from './tree.js';
import { StoreError, type ParsedStore, type Span } from './store.js';

function stripCommentChar(line: string): string {
  if (line.startsWith(';')) return line.replace(/^[; ]+/, '');
  if (line.startsWith('#')) return line.replace(/^[# ]+/, '');
  return line;
}

export function parseIniStore(text: string): ParsedStore {
  const lines = text.split('\n');
  const sections: { name: string; items: SopsMap['items']; spans: (Span | null)[]; start: number; end: number }[] = [];
  let pendingComments: { text: string; span: Span }[] = [];
  let current: (typeof sections)[number] | null = null;
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const start = offset;
    offset += raw.length + 1;
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const lead = line.length - line.trimStart().length;
    if (trimmed.startsWith(';') || trimmed.startsWith('#')) {
      const body = stripCommentChar(trimmed);
      const bodyStart = start + line.indexOf(body.length ? body : trimmed);
      pendingComments.push({
        text: body,
        span: { start: body.length ? bodyStart : start + lead + trimmed.length, end: start + line.trimEnd().length },
      });
      continue;
    }
    if (trimmed.startsWith('[')) {
      const close = trimmed.indexOf(']');
      if (close < 0) throw new StoreError(`not valid INI (line ${i + 1}): unclosed section header`);
      if (current) current.end = start;
      current = { name: trimmed.slice(1, close).trim(), items: [], spans: [], start, end: text.length };
      sections.push(current);
      if (pendingComments.length) {
        const c = pendingComments.map((p) => p.text).join('\n');
        current.items.push({ type: 'comment', text: c });
        current.spans.push(pendingComments.length === 1 ? pendingComments[0]!.span : null);
        pendingComments = [];
      }
      continue;
    }
    if (!current) {
      current = { name: 'DEFAULT', items: [], spans: [], start, end: text.length };
      sections.push(current);
    }
    const m = /[=:]/.exec(line);
    if (!m) throw new StoreError(`not valid INI (line ${i + 1}): no "=" after a key`);
    const key = line.slice(0, m.index).trim();
    let rest = line.slice(m.index + 1);
    const valueStart = start + m.index + 1 + (rest.length - rest.trimStart().length);
    rest = rest.trim();
    let value: string;
    let span: Span | null;
    if (rest.startsWith('"""')) {
      // a value that may span lines, until the closing """
      let body = rest.slice(3);
      let j = i;
      let endOffset = offset;
      while (!body.includes('"""')) {
        j++;
        if (j >= lines.length) throw new StoreError(`not valid INI (line ${i + 1}): unclosed """`);
        body += `\n${lines[j]!.replace(/\r$/, '')}`;
        endOffset += lines[j]!.length + 1;
      }
      value = body.slice(0, body.indexOf('"""'));
      offset = endOffset;
      i = j;
      span = null;
    } else if (
      (rest.startsWith('"') && rest.endsWith('"') && rest.length > 1) ||
      (rest.startsWith('`') && rest.endsWith('`') && rest.length > 1)
    ) {
      value = rest.slice(1, -1);
      span = null;
    } else {
      const cut = rest.search(/[#;]/);
      if (cut >= 0) rest = rest.slice(0, cut).trimEnd();
      value = rest;
      span = { start: valueStart, end: valueStart + rest.length };
    }
    current.items.push({ key, value });
    current.spans.push(span);
    if (pendingComments.length) {
      current.items.push({ type: 'comment', text: pendingComments.map((p) => p.text).join('\n') });
      current.spans.push(pendingComments.length === 1 ? pendingComments[0]!.span : null);
      pendingComments = [];
    }
  }
  const doc: SopsMap = { type: 'map', items: [] };
  const spans: (Span | null)[] = [];
  let metadata: SopsMap | null = null;
  let metaBlock: Span | null = null;
  const metaSpans = new Map<string, Span>();
  for (const s of sections) {
    if (s.name === 'sops') {
      const entries: [string, string][] = [];
      s.items.forEach((it, k) => {
        if (isComment(it)) return;
        entries.push([it.key, (it.value as string).replace(/\\n/g, '\n')]);
        const sp = s.spans[k];
        if (sp) metaSpans.set(it.key, sp);
      });
      try {
        metadata = unflatten(entries);
      } catch (err) {
        throw new StoreError(`the [sops] section: ${(err as Error).message}`);
      }
      metaBlock = { start: s.start, end: s.end };
      continue;
    }
    if (s.name === 'DEFAULT' && s.items.length === 0) continue;
    doc.items.push({ key: s.name, value: { type: 'map', items: s.items } });
    spans.push(...s.spans);
  }
  return {
    kind: 'ini',
    text,
    docs: [doc],
    metadata,
    leafSpans: [spans],
    macSpans: metaSpans.has('mac') ? [metaSpans.get('mac')!] : [],
    lastModifiedSpans: metaSpans.has('lastmodified') ? [metaSpans.get('lastmodified')!] : [],
    metadataSpans: metaBlock ? [metaBlock] : [],
    indent: 0,
  };
}

function iniValue(v: SopsValue): string {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'bigint' || typeof v === 'number') s = String(v);
  else if (typeof v === 'boolean') s = v ? 'true' : 'false';
  else if (v === null) s = '';
  else if (v instanceof Uint8Array) s = Buffer.from(v).toString('utf8');
  else if (isMap(v) || isList(v)) throw new StoreError('an INI file holds sections of plain values only');
  else s = v.text;
  if (s.includes('\n') || s.includes('`')) return `"""${s}"""`;
  if (/[#;]/.test(s) || s !== s.trim()) return `\`${s}\``;
  return s;
}

function emitSection(name: string, items: SopsMap['items']): string {
  let out = '';
  let comment: SopsComment | null = null;
  const first = items[0];
  let rest = items;
  if (first && isComment(first)) {
    out += first.text
      .split('\n')
      .map((l) => `; ${l}\n`)
      .join('');
    rest = items.slice(1);
  }
  out += `[${name}]\n`;
  const pairs: { key: string; value: string; comment: string | null }[] = [];
  for (const it of rest) {
    if (isComment(it)) {
      if (pairs.length) pairs[pairs.length - 1]!.comment = it.text;
      comment = it;
      continue;
    }
    pairs.push({ key: it.key, value: iniValue(it.value), comment: null });
  }
  void comment;
  const width = Math.max(0, ...pairs.map((p) => p.key.length));
  for (const p of pairs) {
    if (p.comment !== null)
      out += p.comment
        .split('\n')
        .map((l) => `; ${l}\n`)
        .join('');
    out += `${p.key.padEnd(width)} = ${p.value}\n`;
  }
  return out;
}

export function emitIni(doc: SopsMap, metadata: SopsMap | null): string {
  const parts: string[] = [];
  for (const item of doc.items) {
    if (isComment(item)) continue;
    if (!isMap(item.value)) throw new StoreError(`an INI file holds sections only; "${item.key.slice(0, 40)}" is not a section`);
    parts.push(emitSection(item.key, item.value.items));
  }
  if (metadata) parts.push(emitIniMetadata(metadata));
  return parts.join('\n');
}

export function emitIniMetadata(metadata: SopsMap): string {
  return emitSection(
    'sops',
    flatten(metadata, true).map(([key, value]) => ({ key, value: value.replace(/\n/g, '\\n') })),
  );
}
