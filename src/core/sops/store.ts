/**
 * What every store (YAML, JSON, dotenv, INI, binary) gives the codec when it reads a file:
 * the documents without the metadata, the metadata mapping, and where each value sits in the
 * text, so that an edit can rewrite only the values that changed (plus `mac` and
 * `lastmodified`) and leave every other byte of the file as it was.
 */
import type { SopsMap } from './tree.js';

export type StoreKind = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

export interface Span {
  start: number;
  end: number;
}

export interface ParsedStore {
  kind: StoreKind;
  text: string;
  docs: SopsMap[];
  /** The `sops` mapping (unflattened), or null for a file that is not encrypted. */
  metadata: SopsMap | null;
  /**
   * Per document, the span of every leaf and comment in file order (see leavesInOrder);
   * null for an entry that cannot be rewritten in place (a multi-line value, a null).
   */
  leafSpans: (Span | null)[][];
  /** Where `mac` and `lastmodified` are written (YAML repeats them in every document). */
  macSpans: Span[];
  lastModifiedSpans: Span[];
  /** The whole metadata block of each document, replaced when key lists change. */
  metadataSpans: Span[];
  /** The indentation the file uses (spaces, or '\t' for JSON). */
  indent: number | '\t';
}

export class StoreError extends Error {}

export function storeForPath(path: string): StoreKind {
  const p = path.toLowerCase();
  if (p.endsWith('.yaml') || p.endsWith('.yml')) return 'yaml';
  if (p.endsWith('.json')) return 'json';
  if (p.endsWith('.env')) return 'dotenv';
  if (p.endsWith('.ini')) return 'ini';
  return 'binary';
}

export function isStoreKind(s: string): s is StoreKind {
  return s === 'yaml' || s === 'json' || s === 'dotenv' || s === 'ini' || s === 'binary';
}
