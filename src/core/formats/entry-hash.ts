/**
 * The fingerprint of one environment entry as the repository holds it: the skip check of
 * `hako sync`. Anyone can compute it from the committed file (it needs no key and reveals
 * nothing the file does not show), and a server stores it next to the values it opened from
 * that entry, so a client that sees the same fingerprint knows the server already has it.
 *
 * `entryHash(env, entry)` = "sha256:" + hex SHA-256 of
 *   "hako-entry:1\n" + env + "\n" + canonicalJson(entry)
 * where canonicalJson writes objects with keys sorted by UTF-16 code units, no whitespace,
 * strings and numbers as JSON.stringify does. The entry is the parsed JSON object (not its
 * bytes), so indentation or key order in the file never changes the fingerprint. A SOPS file
 * that travels with an entry is appended as "\n" + its exact text.
 */
import { createHash } from 'node:crypto';
import { HakoError } from '../errors.js';

export const ENTRY_HASH = /^sha256:[0-9a-f]{64}$/;
const MAX_DEPTH = 32;

export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new HakoError('E_FORMAT', 'environment entry nests too deeply', 'send the entry as the repository holds it');
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new HakoError('E_FORMAT', 'environment entry holds a number JSON cannot carry');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    const obj = value as Record<string, unknown>;
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k], depth + 1)}`).join(',')}}`;
  }
  throw new HakoError('E_FORMAT', 'environment entry holds a value JSON cannot carry');
}

export function entryHash(env: string, entry: unknown, sopsText?: string): string {
  const h = createHash('sha256').update(`hako-entry:1\n${env}\n${canonicalJson(entry)}`, 'utf8');
  if (sopsText !== undefined) h.update(`\n${sopsText}`, 'utf8');
  return `sha256:${h.digest('hex')}`;
}
