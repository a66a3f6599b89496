/**
 * The SOPS data model, as the reference implementation keeps it in memory.
 *
 * A file is a list of documents (YAML may have several; every other store has one). Each
 * document is an ordered mapping. Values are mappings, lists or leaves; comments are items
 * of the mapping or list they appear in, in file order, because that is what decides the
 * additional data they are encrypted with and where they are written back.
 *
 * Leaves keep the type SOPS gives them, since the type is written into every encrypted
 * value (`type:int`) and decides the bytes that are encrypted and hashed:
 *   string            str     (Uint8Array: a str leaf that need not be UTF-8, binary store)
 *   bigint            int
 *   number            float
 *   boolean           bool
 *   SopsTime          time    (RFC 3339 text as written)
 *   null              never encrypted, not part of the MAC
 * Keys are strings. Nothing here does I/O.
 */

export interface SopsComment {
  type: 'comment';
  /** The text after `#` (YAML, dotenv) or after `; `/`# ` (INI), leading space kept. */
  text: string;
  /** On the same line as the value it follows (YAML line comments). */
  inline?: boolean;
}

export interface SopsTime {
  type: 'time';
  text: string;
}

export type SopsLeaf = string | Uint8Array | bigint | number | boolean | SopsTime | null;

export interface SopsPair {
  key: string;
  value: SopsValue;
}

export interface SopsMap {
  type: 'map';
  items: (SopsPair | SopsComment)[];
}

export interface SopsList {
  type: 'list';
  items: (SopsValue | SopsComment)[];
}

export type SopsValue = SopsLeaf | SopsMap | SopsList;

export function isComment(x: unknown): x is SopsComment {
  return typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'comment';
}
export function isMap(x: unknown): x is SopsMap {
  return typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'map';
}
export function isList(x: unknown): x is SopsList {
  return typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'list';
}
export function isTime(x: unknown): x is SopsTime {
  return typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'time';
}
export function isPair(x: SopsPair | SopsComment): x is SopsPair {
  return !isComment(x);
}

export function newMap(items: (SopsPair | SopsComment)[] = []): SopsMap {
  return { type: 'map', items };
}
export function newList(items: (SopsValue | SopsComment)[] = []): SopsList {
  return { type: 'list', items };
}

/** The value under `key` in a mapping (the first, as SOPS never writes duplicates), or undefined. */
export function getKey(map: SopsMap, key: string): SopsValue | undefined {
  for (const item of map.items) if (!isComment(item) && item.key === key) return item.value;
  return undefined;
}

export function hasKey(map: SopsMap, key: string): boolean {
  return map.items.some((i) => !isComment(i) && i.key === key);
}

/** A deep copy (leaves are immutable, except byte arrays, which are copied). */
export function cloneValue<T extends SopsValue | SopsComment>(v: T): T {
  if (v instanceof Uint8Array) return new Uint8Array(v) as T;
  if (isMap(v))
    return { type: 'map', items: v.items.map((i) => (isComment(i) ? { ...i } : { key: i.key, value: cloneValue(i.value) })) } as T;
  if (isList(v)) return { type: 'list', items: v.items.map((i) => cloneValue(i)) } as T;
  if (isComment(v)) return { ...(v as SopsComment) } as T;
  if (isTime(v)) return { ...(v as SopsTime) } as T;
  return v;
}

/**
 * Visits every leaf and comment in file order, depth first, the order in which SOPS
 * encrypts, hashes and writes them. `path` holds the mapping keys from the document root
 * (list positions are not part of it); `comments` is the stack of comments seen since the
 * last value, one level per mapping or list, which the comment rules look at.
 */
export type LeafVisitor = (
  leaf: SopsLeaf | SopsComment,
  path: readonly string[],
  comments: readonly (readonly string[])[],
) => SopsLeaf | SopsComment;

export function mapLeaves(doc: SopsMap, visit: LeafVisitor): SopsMap {
  return walkMap(doc, [], [], visit);
}

function walkValue(v: SopsValue, path: string[], stack: string[][], visit: LeafVisitor): SopsValue {
  if (isMap(v)) return walkMap(v, path, stack, visit);
  if (isList(v)) return walkList(v, path, stack, visit);
  if (v === null) return null;
  return visit(v, path, stack) as SopsLeaf;
}

function walkMap(m: SopsMap, path: string[], stack: string[][], visit: LeafVisitor): SopsMap {
  const level: string[] = [];
  const inner = [...stack, level];
  const items: (SopsPair | SopsComment)[] = [];
  for (const item of m.items) {
    if (isComment(item)) {
      level.push(item.text);
      const out = visit(item, path, inner);
      items.push(isComment(out) ? out : { type: 'comment', text: String(out), ...(item.inline ? { inline: true } : {}) });
      continue;
    }
    items.push({ key: item.key, value: walkValue(item.value, [...path, item.key], inner, visit) });
    level.length = 0;
  }
  return { type: 'map', items };
}

function walkList(l: SopsList, path: string[], stack: string[][], visit: LeafVisitor): SopsList {
  const level: string[] = [];
  const inner = [...stack, level];
  const items: (SopsValue | SopsComment)[] = [];
  for (const item of l.items) {
    if (isComment(item)) {
      level.push(item.text);
      items.push(visit(item, path, inner) as SopsComment);
      continue;
    }
    items.push(walkValue(item, path, inner, visit));
    level.length = 0;
  }
  return { type: 'list', items };
}

/**
 * True when two documents have the same keys, list lengths and comment positions, so that
 * their leaves correspond one to one in file order (an edit that only changed values).
 */
export function sameShape(a: SopsValue | SopsComment, b: SopsValue | SopsComment): boolean {
  if (isMap(a) || isMap(b)) {
    if (!isMap(a) || !isMap(b) || a.items.length !== b.items.length) return false;
    return a.items.every((x, i) => {
      const y = b.items[i]!;
      if (isComment(x) || isComment(y)) return isComment(x) && isComment(y) && !!x.inline === !!y.inline;
      return x.key === y.key && sameShape(x.value, y.value);
    });
  }
  if (isList(a) || isList(b)) {
    if (!isList(a) || !isList(b) || a.items.length !== b.items.length) return false;
    return a.items.every((x, i) => sameShape(x, b.items[i]!));
  }
  if (isComment(a) || isComment(b)) return isComment(a) && isComment(b);
  return (a === null) === (b === null);
}

/** Leaves and comments of a document in file order (nulls included, for span bookkeeping). */
export function leavesInOrder(doc: SopsValue): (SopsLeaf | SopsComment)[] {
  const out: (SopsLeaf | SopsComment)[] = [];
  const go = (v: SopsValue | SopsComment) => {
    if (isMap(v)) for (const i of v.items) go(isComment(i) ? i : i.value);
    else if (isList(v)) for (const i of v.items) go(i);
    else out.push(v);
  };
  go(doc);
  return out;
}

/** True when two leaves are the same value of the same type. */
export function sameLeaf(a: SopsLeaf | SopsComment, b: SopsLeaf | SopsComment): boolean {
  if (isComment(a) || isComment(b)) return isComment(a) && isComment(b) && a.text === b.text;
  if (isTime(a) || isTime(b)) return isTime(a) && isTime(b) && a.text === b.text;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
  }
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
  return a === b;
}
