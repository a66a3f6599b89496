/**
 * A SOPS file as a whole: read it with its store, open it with its data key (checking the
 * MAC), and write it back.
 *
 * Writing an existing file changes as little as possible: when an edit left the document's
 * shape alone (same keys, same list lengths, same comments), only the values that changed
 * are rewritten where they stand, with `mac` and `lastmodified`; the rest of the file, its
 * indentation, quoting, metadata layout and `version` included, stays byte for byte. When
 * keys were added or removed, the file is written again the way SOPS would write it, in the
 * file's own indentation and metadata layout. New files get SOPS 3.13's layout.
 */
import { CryptRules, type CryptRule } from './crypt-rules.js';
import { emitDotenv, emitDotenvMetadata } from './dotenv-store.js';
import { formatGoFloat } from './scalar-bytes.js';
import { emitIni, emitIniMetadata, parseIniStore } from './ini-store.js';
import { binaryDocument, emitJsonDocument, emitJsonValue, jsonLeaf, parseJsonStore } from './json-store.js';
import { effectiveRule, metadataTree, readMetadata, type Layout, type MasterKey, type SopsMetadata } from './metadata.js';
import { parseDotenvStore } from './dotenv-store.js';
import { StoreError, type ParsedStore, type Span, type StoreKind } from './store.js';
import { decryptDocuments, decryptMac, encryptDocuments, encryptMac, lastModifiedNow } from './tree-crypt.js';
import {
  getKey,
  isComment,
  isList,
  isMap,
  leavesInOrder,
  sameLeaf,
  sameShape,
  type SopsComment,
  type SopsLeaf,
  type SopsMap,
  type SopsValue,
} from './tree.js';
import { ValueCipher } from './value-cipher.js';
import { emitYamlDocuments, emitYamlEntry } from './yaml-emit.js';
import { formatYamlLeaf, formatYamlString } from './yaml-scalar.js';
import { parseYamlStore } from './yaml-store.js';

/** The SOPS version whose layout hako writes new files in. */
export const SOPS_COMPAT_VERSION = '3.13.2';

export interface SopsFile {
  store: ParsedStore;
  metadata: SopsMetadata;
}

export class NotEncryptedError extends Error {}
export class MacMismatchError extends Error {
  constructor(
    message: string,
    readonly stored: string | null,
    readonly computed: string,
  ) {
    super(message);
  }
}

/** Reads a file in a store; `metadata` is null when it has no `sops` block. */
export function parseStore(text: string, kind: StoreKind): ParsedStore {
  switch (kind) {
    case 'yaml':
      return parseYamlStore(text);
    case 'json':
      return parseJsonStore(text, 'json');
    case 'binary':
      return parseJsonStore(text, 'binary');
    case 'dotenv':
      return parseDotenvStore(text);
    case 'ini':
      return parseIniStore(text);
  }
}

/** Reads an encrypted file; throws NotEncryptedError when it has no metadata. */
export function readSopsFile(text: string, kind: StoreKind): SopsFile {
  const store = parseStore(text, kind);
  if (!store.metadata) throw new NotEncryptedError('the file has no sops metadata: it is not encrypted');
  return { store, metadata: readMetadata(store.metadata) };
}

/** The plaintext documents of a file to encrypt. Binary files are any bytes. */
export function readPlainFile(input: Buffer, kind: StoreKind): SopsMap[] {
  if (kind === 'binary') return [binaryDocument(input)];
  const text = input.toString('utf8');
  if (kind === 'dotenv' && text.split('\n').some((l) => l.startsWith('sops_'))) throw new NotEncryptedError('already encrypted');
  const store = parseStore(text, kind);
  if (store.metadata || store.docs.some((d) => getKey(d, 'sops') !== undefined)) throw new NotEncryptedError('already encrypted');
  return store.docs;
}

export function rulesOf(md: SopsMetadata): CryptRules {
  return new CryptRules(effectiveRule(md));
}

export interface Opened {
  docs: SopsMap[];
  cipher: ValueCipher;
  /** The MAC computed over the plaintext, and the one stored (null: the file has none). */
  computedMac: string;
  storedMac: string | null;
}

/** Decrypts every value and checks the MAC (MacMismatchError) unless `ignoreMac`. */
export function openSopsFile(file: SopsFile, dataKey: Uint8Array, opts: { ignoreMac?: boolean } = {}): Opened {
  const cipher = new ValueCipher(dataKey);
  const { docs, mac } = decryptDocuments(file.store.docs, cipher, {
    rules: rulesOf(file.metadata),
    macOnlyEncrypted: file.metadata.macOnlyEncrypted,
    binary: file.store.kind === 'binary',
  });
  let stored: string | null = null;
  if (!opts.ignoreMac) {
    try {
      stored = decryptMac(file.metadata.mac || undefined, file.metadata.lastModified, cipher);
    } catch {
      throw new MacMismatchError('cannot decrypt the MAC', null, mac);
    }
    if (stored === null) throw new MacMismatchError('the file has no MAC', null, mac);
    if (stored !== mac) throw new MacMismatchError('MAC mismatch: the file was changed without its key', stored, mac);
  }
  return { docs, cipher, computedMac: mac, storedMac: stored };
}

/** The plaintext of documents in a store's format (what `sops decrypt` prints). */
export function emitPlain(docs: SopsMap[], kind: StoreKind, indent?: number | '\t'): string | Uint8Array {
  switch (kind) {
    case 'yaml':
      return emitYamlDocuments(docs, typeof indent === 'number' && indent > 0 ? indent : 4);
    case 'json':
      return emitJsonDocument(docs[0] ?? { type: 'map', items: [] }, indent ?? '\t');
    case 'dotenv':
      return emitDotenv(docs[0] ?? { type: 'map', items: [] }, null);
    case 'ini':
      return emitIni(docs[0] ?? { type: 'map', items: [] }, null);
    case 'binary': {
      const data = getKey(docs[0] ?? { type: 'map', items: [] }, 'data');
      if (data instanceof Uint8Array) return data;
      if (typeof data === 'string') return Buffer.from(data, 'utf8');
      throw new StoreError('the binary file has no data');
    }
  }
}

export interface WriteRequest {
  kind: StoreKind;
  /** Plaintext documents. */
  docs: SopsMap[];
  /** Key groups (already wrapped), rule, version, layout; mac and lastmodified are set here. */
  metadata: SopsMetadata;
  /** The cipher that opened the file (its stash keeps unchanged values as they were), or a new one. */
  cipher: ValueCipher;
  indent?: number | '\t';
  /** The file as read, for an edit in place. */
  original?: ParsedStore;
  /** True when the key groups changed (updatekeys, rotate): the metadata block is written anew. */
  keysChanged?: boolean;
  /** The values and data key are unchanged (updatekeys): keep `mac` and `lastmodified` as they are. */
  keepMac?: boolean;
  now?: Date;
}

/** Encrypts and writes a SOPS file; returns its text. */
export function writeSopsFile(req: WriteRequest): string {
  const md: SopsMetadata = { ...req.metadata };
  const { docs: enc, mac } = encryptDocuments(req.docs, req.cipher, {
    rules: new CryptRules(effectiveRule(md)),
    macOnlyEncrypted: md.macOnlyEncrypted,
    binary: req.kind === 'binary',
  });
  if (!req.keepMac || !md.mac) {
    md.lastModified = lastModifiedNow(req.now);
    md.mac = encryptMac(mac, md.lastModified, req.cipher);
  }
  if (req.original) {
    const patched = patchInPlace(req.original, enc, md, !!req.keysChanged);
    if (patched !== null) return patched;
  }
  const indent = req.indent ?? req.original?.indent ?? (req.kind === 'json' || req.kind === 'binary' ? '\t' : 4);
  return emitEncrypted(req.kind, enc, md, indent);
}

function emitEncrypted(kind: StoreKind, docs: SopsMap[], md: SopsMetadata, indent: number | '\t'): string {
  const tree = metadataTree(md, md.layout, { emptyAsNull: md.layout === 'legacy' && (kind === 'json' || kind === 'binary') });
  switch (kind) {
    case 'yaml':
      return emitYamlDocuments(
        docs.map((d) => ({ type: 'map', items: [...d.items, { key: 'sops', value: tree }] })),
        typeof indent === 'number' && indent > 0 ? indent : 4,
      );
    case 'json':
    case 'binary': {
      const d = docs[0]!;
      return emitJsonDocument({ type: 'map', items: [...d.items, { key: 'sops', value: tree }] }, indent);
    }
    case 'dotenv':
      return emitDotenv(docs[0]!, tree);
    case 'ini':
      return emitIni(docs[0]!, tree);
  }
}

function leafText(kind: StoreKind, v: SopsLeaf | SopsComment, original: string): string | null {
  if (isComment(v)) return v.text.includes('\n') ? null : v.text;
  switch (kind) {
    case 'yaml': {
      const t = typeof v === 'string' ? formatYamlString(v) : formatYamlLeaf(v as Exclude<SopsLeaf, string>);
      return t.includes('\n') ? null : t;
    }
    case 'json':
    case 'binary':
      return jsonLeaf(v);
    case 'dotenv':
      return typeof v === 'string' ? v.replace(/\n/g, '\\n') : null;
    case 'ini':
      return typeof v === 'string' && !/[\n#;`"]/.test(v) && v === v.trim() ? v : null;
  }
  void original;
  return null;
}

function quoteLike(kind: StoreKind, original: string, value: string): string {
  if (kind === 'json' || kind === 'binary') return JSON.stringify(value);
  if (kind === 'yaml') {
    if (original.startsWith("'")) return `'${value}'`;
    if (original.startsWith('"')) return `"${value}"`;
  }
  return value;
}

function metadataText(kind: StoreKind, md: SopsMetadata, indent: number | '\t', original: string): string {
  const tree = metadataTree(md, md.layout, { emptyAsNull: md.layout === 'legacy' && (kind === 'json' || kind === 'binary') });
  switch (kind) {
    case 'yaml':
      return emitYamlEntry('sops', tree, 0, typeof indent === 'number' && indent > 0 ? indent : 4);
    case 'json':
    case 'binary':
      return emitJsonValue(tree, indent, 1);
    case 'dotenv':
      return emitDotenvMetadata(tree);
    case 'ini': {
      const text = emitIniMetadata(tree);
      return original.endsWith('\n\n') ? `${text}\n` : text;
    }
  }
}

/** Rewrites only what changed; null when the change cannot be made in place. */
function patchInPlace(orig: ParsedStore, enc: SopsMap[], md: SopsMetadata, keysChanged: boolean): string | null {
  if (orig.docs.length !== enc.length) return null;
  const edits: { span: Span; text: string }[] = [];
  for (let d = 0; d < enc.length; d++) {
    if (!sameShape(orig.docs[d]!, enc[d]!)) return null;
    const before = leavesInOrder(orig.docs[d]!);
    const after = leavesInOrder(enc[d]!);
    const spans = orig.leafSpans[d]!;
    if (spans.length !== before.length) return null;
    for (let i = 0; i < after.length; i++) {
      if (sameLeaf(before[i]!, after[i]!)) continue;
      const span = spans[i];
      if (!span) return null;
      const text = leafText(orig.kind, after[i]!, orig.text.slice(span.start, span.end));
      if (text === null) return null;
      edits.push({ span, text });
    }
  }
  if (keysChanged) {
    if (!orig.metadataSpans.length) return null;
    for (const span of orig.metadataSpans)
      edits.push({ span, text: metadataText(orig.kind, md, orig.indent, orig.text.slice(span.start, span.end)) });
  } else {
    if (!orig.macSpans.length || !orig.lastModifiedSpans.length) return null;
    for (const span of orig.macSpans) edits.push({ span, text: quoteLike(orig.kind, orig.text.slice(span.start, span.end), md.mac) });
    for (const span of orig.lastModifiedSpans)
      edits.push({ span, text: quoteLike(orig.kind, orig.text.slice(span.start, span.end), md.lastModified) });
  }
  edits.sort((a, b) => a.span.start - b.span.start);
  let out = '';
  let at = 0;
  for (const e of edits) {
    if (e.span.start < at) return null; // overlapping: write the file anew
    out += orig.text.slice(at, e.span.start) + e.text;
    at = e.span.end;
  }
  return out + orig.text.slice(at);
}

/** Metadata for a new file. */
export function newMetadata(
  keyGroups: MasterKey[][],
  opts: { rule?: CryptRule; shamirThreshold?: number; macOnlyEncrypted?: boolean; layout?: Layout } = {},
): SopsMetadata {
  return {
    keyGroups,
    shamirThreshold: keyGroups.length > 1 ? (opts.shamirThreshold ?? 0) : 0,
    lastModified: lastModifiedNow(),
    mac: '',
    rule: opts.rule ?? null,
    macOnlyEncrypted: !!opts.macOnlyEncrypted,
    version: SOPS_COMPAT_VERSION,
    layout: opts.layout ?? 'sorted',
  };
}

/** Top-level scalars of the first document as environment variables (sops exec-env). */
export function topLevelValues(docs: SopsMap[]): Map<string, string> {
  const out = new Map<string, string>();
  const doc = docs[0];
  if (!doc) return out;
  for (const item of doc.items) {
    if (isComment(item)) continue;
    const v: SopsValue = item.value;
    if (isMap(v) || isList(v)) throw new StoreError(`cannot use a nested value as an environment variable (key ${item.key.slice(0, 40)})`);
    if (item.key.includes('=')) throw new StoreError('a key containing "=" cannot be an environment variable');
    out.set(item.key, valueToString(v));
  }
  return out;
}

/** SOPS's ValToString: how a leaf is shown as text (exec-env, --extract of a scalar, INI). */
export function valueToString(v: SopsValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return goFormatG(v);
  if (isMap(v) || isList(v)) return '';
  return v.text;
}

/** SOPS's ValToString writes floats with strconv.FormatFloat(v, 'f', -1, 64). */
function goFormatG(v: number): string {
  return formatGoFloat(v);
}
