/**
 * Writes SOPS documents as YAML the way SOPS does (go-yaml v3's encoder, block style):
 * `indent` spaces per level (SOPS's default is 4, `.sops.yaml` `stores.yaml.indent` may
 * change it), a sequence under a key indented one level, the keys of a mapping in a
 * sequence item two columns after the dash, literal blocks for multi-line strings, `{}`
 * and `[]` for empty collections, documents separated by `---`. Comments are written as
 * go-yaml writes the comments SOPS attaches: lines before an item at its indentation, a
 * comment that was inline after the value of the item that follows it, the comments after
 * the last item below it.
 */
import { formatYamlLeaf, formatYamlString } from './yaml-scalar.js';
import { isComment, isList, isMap, type SopsComment, type SopsLeaf, type SopsMap, type SopsValue } from './tree.js';

/** go-yaml's rule: a nested block starts at the next multiple of the indentation. */
function nextIndent(current: number, best: number): number {
  return best * Math.floor((current + best) / best);
}

class Writer {
  out: string[] = [];
  constructor(readonly best: number) {}

  comments(list: SopsComment[], indent: number): void {
    for (const c of list) this.out.push(`${' '.repeat(indent)}#${c.text}\n`);
  }

  /** The text after `key:` or `- ` for a leaf, with the inline comments of the item. */
  leaf(v: SopsLeaf, blockIndent: number, inline: SopsComment[]): string {
    const text =
      typeof v === 'string' ? formatYamlString(v, { blockIndent, bestIndent: this.best }) : formatYamlLeaf(v as Exclude<SopsLeaf, string>);
    const line = inline.length ? ` #${inline.map((c) => c.text).join(' #')}` : '';
    if (text.includes('\n')) {
      const nl = text.indexOf('\n');
      return `${text.slice(0, nl)}${line}${text.slice(nl)}${text.endsWith('\n') ? '' : '\n'}`;
    }
    return `${text}${line}\n`;
  }

  /**
   * A mapping whose keys sit at `indent`; `first` is the text already on the first line
   * (a sequence dash), in which case the first key follows it directly.
   */
  map(m: SopsMap, indent: number, first: string | null, mappingIndent: number): void {
    let head: SopsComment[] = [];
    let inline: SopsComment[] = [];
    let prefix = first;
    const pad = () => {
      if (prefix !== null) {
        const p = prefix;
        prefix = null;
        return p;
      }
      return ' '.repeat(indent);
    };
    for (const item of m.items) {
      if (isComment(item)) {
        if (item.inline) inline.push(item);
        else head.push(item);
        continue;
      }
      if (head.length) {
        if (prefix !== null) {
          // comments before the first key of a sequence item: the dash stays on its own line
          this.out.push(`${prefix.trimEnd()}\n`);
          prefix = null;
        }
        this.comments(head, indent);
        head = [];
      }
      const key = formatYamlString(item.key, { key: true });
      const v = item.value;
      if (isMap(v) && v.items.some((i) => !isComment(i))) {
        this.out.push(`${pad()}${key}:${inline.length ? ` #${inline.map((c) => c.text).join(' #')}` : ''}\n`);
        inline = [];
        const child = nextIndent(mappingIndent, this.best);
        this.map(v, child, null, child);
      } else if (isList(v) && v.items.some((i) => !isComment(i))) {
        this.out.push(`${pad()}${key}:${inline.length ? ` #${inline.map((c) => c.text).join(' #')}` : ''}\n`);
        inline = [];
        this.list(v, nextIndent(mappingIndent, this.best));
      } else if (isMap(v) || isList(v)) {
        this.out.push(`${pad()}${key}: ${isMap(v) ? '{}' : '[]'}${inline.length ? ` #${inline.map((c) => c.text).join(' #')}` : ''}\n`);
        inline = [];
        const inner = v.items as SopsComment[];
        if (inner.length) this.comments(inner, nextIndent(mappingIndent, this.best));
      } else {
        this.out.push(`${pad()}${key}: ${this.leaf(v, nextIndent(mappingIndent, this.best), inline)}`);
        inline = [];
      }
    }
    const rest = [...head, ...inline];
    if (rest.length) {
      if (prefix !== null) this.out.push(`${prefix.trimEnd()}\n`);
      this.comments(rest, indent);
    }
  }

  /** A block sequence whose dashes sit at `indent`; `first`: text already on the first line. */
  list(l: { items: (SopsValue | SopsComment)[] }, indent: number, first: string | null = null): void {
    let head: SopsComment[] = [];
    let inline: SopsComment[] = [];
    let prefix = first;
    const dash = () => {
      if (prefix !== null) {
        const p = prefix;
        prefix = null;
        return `${p}- `;
      }
      return `${' '.repeat(indent)}- `;
    };
    for (const item of l.items) {
      if (isComment(item)) {
        if (item.inline) inline.push(item);
        else head.push(item);
        continue;
      }
      if (head.length && prefix !== null) {
        this.out.push(`${prefix.trimEnd()}\n`);
        prefix = null;
      }
      this.comments(head, indent);
      head = [];
      if (isMap(item) && item.items.some((i) => !isComment(i))) {
        this.map(item, indent + 2, dash(), indent);
      } else if (isList(item) && item.items.some((i) => !isComment(i))) {
        this.list(item, indent + 2, dash());
      } else if (isMap(item) || isList(item)) {
        this.out.push(`${dash()}${isMap(item) ? '{}' : '[]'}\n`);
      } else {
        this.out.push(`${dash()}${this.leaf(item, indent + 2, inline)}`);
      }
      inline = [];
    }
    const rest = [...head, ...inline];
    if (rest.length) {
      if (prefix !== null) this.out.push(`${prefix.trimEnd()}\n`);
      this.comments(rest, indent);
    }
  }
}

export function emitYamlDocuments(docs: readonly SopsMap[], indent = 4): string {
  const parts: string[] = [];
  for (const doc of docs) {
    const w = new Writer(indent);
    if (doc.items.some((i) => !isComment(i))) w.map(doc, 0, null, 0);
    else if (doc.items.length) w.comments(doc.items as SopsComment[], 0);
    else w.out.push('{}\n');
    parts.push(w.out.join(''));
  }
  return parts.join('---\n');
}

/** One mapping entry `key: value` (possibly several lines) at `indent`, for splicing. */
export function emitYamlEntry(key: string, value: SopsValue, indent: number, best: number): string {
  const w = new Writer(best);
  w.map({ type: 'map', items: [{ key, value }] }, indent, null, indent);
  return w.out.join('');
}
