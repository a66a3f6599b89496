/**
 * The flattened metadata of the dotenv and INI stores, which hold only strings: nested
 * keys are joined with `__map_<key>`, list items with `__list_<index>`
 * (`age__list_0__map_recipient`). Unflattening refuses gaps in list indices and a key
 * that is both a value and a mapping.
 */
import { isComment, isList, isMap, newList, newMap, type SopsMap, type SopsValue } from './tree.js';

const MAP = '__map_';
const LIST = '__list_';

type Token = { map: string } | { list: number };

function tokenize(path: string): Token[] {
  const out: Token[] = [];
  let state: 'normal' | 'map' | 'list' = 'normal';
  let last = 0;
  let i = 0;
  const finish = () => {
    if (state === 'normal') out.push({ map: path.slice(last, i) });
    else if (state === 'map') out.push({ map: path.slice(last + MAP.length, i) });
    else out.push({ list: Number.parseInt(path.slice(last + LIST.length, i), 10) || 0 });
    last = i;
  };
  while (i < path.length) {
    if (path.startsWith(MAP, i)) {
      finish();
      state = 'map';
      i += MAP.length;
    } else if (path.startsWith(LIST, i)) {
      finish();
      state = 'list';
      i += LIST.length;
    } else i++;
  }
  finish();
  return out;
}

interface Node {
  value?: string;
  keys?: Map<string, Node>;
  indices?: Map<number, Node>;
}

function convert(n: Node): SopsValue {
  const kinds = Number(n.value !== undefined) + Number(!!n.keys?.size) + Number(!!n.indices?.size);
  if (kinds > 1) throw new Error('flattened metadata mixes a value with nested keys');
  if (n.value !== undefined) return n.value;
  if (n.keys?.size) {
    const m = newMap();
    for (const k of [...n.keys.keys()].sort()) m.items.push({ key: k, value: convert(n.keys.get(k)!) });
    return m;
  }
  if (n.indices?.size) {
    const idx = [...n.indices.keys()].sort((a, b) => a - b);
    if (idx[0] !== 0 || idx[idx.length - 1] !== idx.length - 1) throw new Error('flattened metadata has a gap in a list');
    return newList(idx.map((i) => convert(n.indices!.get(i)!)));
  }
  return newMap();
}

export function unflatten(entries: [string, string][]): SopsMap {
  const root: Node = {};
  for (const [path, value] of entries) {
    let n = root;
    for (const t of tokenize(path)) {
      if ('map' in t) {
        n.keys ??= new Map();
        if (!n.keys.has(t.map)) n.keys.set(t.map, {});
        n = n.keys.get(t.map)!;
      } else {
        n.indices ??= new Map();
        if (!n.indices.has(t.list)) n.indices.set(t.list, {});
        n = n.indices.get(t.list)!;
      }
    }
    if (n.value !== undefined) throw new Error('flattened metadata has a duplicate key');
    n.value = value;
  }
  const v = convert(root);
  return isMap(v) ? v : newMap();
}

function leafText(v: SopsValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return '';
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (isMap(v) || isList(v)) return '';
  return v.text;
}

/** Flattens a metadata mapping to (key, text) pairs, sorted as SOPS ≥ 3.8 writes them. */
export function flatten(map: SopsMap, sorted: boolean): [string, string][] {
  const out: [string, string][] = [];
  const go = (v: SopsValue, prefix: string) => {
    if (isMap(v)) {
      for (const i of v.items) if (!isComment(i)) go(i.value, prefix === '' ? i.key : `${prefix}${MAP}${i.key}`);
    } else if (isList(v)) {
      let n = 0;
      for (const i of v.items) if (!isComment(i)) go(i as SopsValue, `${prefix}${LIST}${n++}`);
    } else out.push([prefix, leafText(v)]);
  };
  go(map, '');
  if (sorted) out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return out;
}
