/**
 * `.hako/secrets.json`, format versions 1 and 2: parse and encode only (docs/FORMAT.md).
 *
 * The parser is strict: unknown fields, duplicate keys, malformed names, key ids, tokens or
 * chain links are errors, and a newer `version` is refused with its own code. Version 2 adds
 * an environment's key `chain`, per-secret metadata (a one-line object beside the value) and
 * environments bound to a SOPS file; a version 1 file is read as it is and written back as
 * version 2. The encoder is canonical: two-space indent, keys sorted, one secret, one chain
 * link and one recipient per line, `passphrase`, metadata and schema entries on one line,
 * final newline. Encoding a parsed canonical file gives back the same bytes, so rewriting a
 * file whose meaning did not change leaves git with nothing to show.
 */
import { HakoError } from '../errors.js';
import { displayName, displayText } from '../display.js';
import { ENV_NAME, KEY_ID, SECRET_NAME } from '../names.js';
import { isWellFormedToken, tokenVersion } from '../crypto/environment-cipher.js';
import { parseChainLink } from './chain-link.js';
import { conflictError, hasConflictMarkers } from './secrets-conflict.js';
import { isIsoDate, isPeriod, type SecretMeta } from './secret-meta.js';
import { decodeBase64Strict } from '../crypto/base64.js';
import { KDF_LIMITS, validKdfParams, type KdfParams } from '../crypto/argon2id.js';
import { isJsonObject, parseStrictJson, type JsonObject, type JsonValue } from './strict-json.js';

export const FORMAT_VERSION = 2;
export const SECRETS_FILE_NAME = '.hako/secrets.json';

export interface EnvironmentRecord {
  keyId: string;
  /** The key chain, oldest link first (chain-link.ts); empty until a write gives it one. */
  chain: string[];
  /** "v1:…" check token; empty for an environment bound to a SOPS file. */
  check: string;
  passphrase?: KdfParams;
  /** age recipient → base64 of a binary age file whose payload is the environment key. */
  recipients: Map<string, string>;
  /** secret name → "v1:…"/"v2:…" token. */
  secrets: Map<string, string>;
  /** secret name → its metadata (only names that have some). */
  meta: Map<string, SecretMeta>;
  /** Present when the values live in a SOPS file instead of `secrets`. */
  sops?: SopsBinding;
}

export interface SopsBinding {
  /** The SOPS file, relative to the repository root (never absolute, never `..`). */
  path: string;
  /** secret name → base64 tag authenticating that name's metadata under the data key. */
  tags: Map<string, string>;
}

export interface SchemaEntry {
  required: boolean;
  description?: string;
}

export interface SecretsFile {
  version: 1 | 2;
  environments: Map<string, EnvironmentRecord>;
  schema: Map<string, SchemaEntry>;
}

export function emptySecretsFile(): SecretsFile {
  return { version: FORMAT_VERSION, environments: new Map(), schema: new Map() };
}

export function newEnvironmentRecord(keyId: string, check: string, chain: string[] = []): EnvironmentRecord {
  return { keyId, chain, check, recipients: new Map(), secrets: new Map(), meta: new Map() };
}

/** A relative path inside the repository: no absolute path, no `..`, no backslash or control character. */
export function isSafeRelativePath(p: string): boolean {
  if (p.length === 0 || p.length > 1024 || p.startsWith('/') || /[\\\x00-\x1f\x7f]/.test(p)) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

const RECIPIENT = /^[\x21-\x7e][\x20-\x7e]{0,4095}$/;

// ---------------------------------------------------------------- parse

export function parseSecretsFile(text: string, where = SECRETS_FILE_NAME): SecretsFile {
  if (hasConflictMarkers(text)) throw conflictError(text, where);
  let fast: JsonValue | undefined;
  try {
    fast = JSON.parse(text) as JsonValue;
  } catch {
    fast = undefined;
  }
  if (fast !== undefined) {
    const file = fromJson(fast, where);
    // A canonical file cannot hide a duplicate key: its re-encoding would be shorter.
    if (encodeSecretsFile(file) === text) return file;
  }
  return fromJson(parseStrictJson(text, where), where);
}

function fromJson(root: JsonValue, where: string): SecretsFile {
  const bad = (path: string, msg: string, hint = 'restore the file from git, or fix it by hand'): never => {
    throw new HakoError('E_FORMAT', `${where}: ${path ? `${path}: ` : ''}${msg}`, hint);
  };
  if (!isJsonObject(root)) return bad('', 'not a JSON object');

  const version = root['version'];
  if (typeof version === 'number' && Number.isInteger(version) && version > FORMAT_VERSION) {
    throw new HakoError(
      'E_VERSION',
      `${where} has format version ${version}; this hako reads version ${FORMAT_VERSION}`,
      'upgrade hako (npm install -g hako@latest) to read it',
    );
  }
  if (version !== 1 && version !== 2) bad('version', `must be 1 or ${FORMAT_VERSION}`);
  const v = version as 1 | 2;
  onlyFields(root, ['environments', 'schema', 'version'], '', bad);

  const envs = root['environments'];
  if (!isJsonObject(envs)) return bad('environments', 'must be an object');
  const environments = new Map<string, EnvironmentRecord>();
  for (const [name, value] of Object.entries(envs)) {
    const path = `environments.${displayName(name, { quote: false })}`;
    if (!ENV_NAME.test(name)) bad(path, 'invalid environment name');
    environments.set(name, environmentFromJson(value, path, v, bad));
  }

  const schema = new Map<string, SchemaEntry>();
  if (root['schema'] !== undefined) {
    const s = root['schema'];
    if (!isJsonObject(s)) return bad('schema', 'must be an object');
    for (const [name, value] of Object.entries(s)) {
      const path = `schema.${displayName(name, { quote: false })}`;
      if (!SECRET_NAME.test(name)) bad(path, 'invalid secret name');
      if (!isJsonObject(value)) return bad(path, 'must be an object');
      onlyFields(value, ['description', 'required'], path, bad);
      const required = value['required'];
      if (typeof required !== 'boolean') bad(`${path}.required`, 'must be true or false');
      const entry: SchemaEntry = { required: required as boolean };
      if (value['description'] !== undefined) {
        const d = value['description'];
        if (typeof d !== 'string' || d.length > 1000) bad(`${path}.description`, 'must be a string of at most 1000 characters');
        entry.description = d as string;
      }
      schema.set(name, entry);
    }
  }
  return { version: v, environments, schema };
}

type Bad = (path: string, msg: string, hint?: string) => never;

function environmentFromJson(value: JsonValue | undefined, path: string, version: 1 | 2, bad: Bad): EnvironmentRecord {
  if (!isJsonObject(value)) return bad(path, 'must be an object');
  if (version === 2 && value['sops'] !== undefined) return sopsBindingFromJson(value, path, bad);
  onlyFields(
    value,
    version === 1
      ? ['check', 'key_id', 'passphrase', 'recipients', 'secrets']
      : ['chain', 'check', 'key_id', 'passphrase', 'recipients', 'secrets'],
    path,
    bad,
  );

  const keyId = value['key_id'];
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) bad(`${path}.key_id`, 'must be 16 lower-case hex characters');
  const check = value['check'];
  if (typeof check !== 'string' || !isWellFormedToken(check) || tokenVersion(check) !== 1) bad(`${path}.check`, 'must be a "v1:" token');

  const record = newEnvironmentRecord(keyId as string, check as string, chainFromJson(value['chain'], keyId as string, path, false, bad));

  if (value['passphrase'] !== undefined) {
    const p = value['passphrase'];
    if (!isJsonObject(p)) return bad(`${path}.passphrase`, 'must be an object');
    onlyFields(p, ['kdf', 'm', 'p', 't'], `${path}.passphrase`, bad);
    const params = { kdf: p['kdf'], m: p['m'], t: p['t'], p: p['p'] } as KdfParams;
    if (!validKdfParams(params))
      bad(
        `${path}.passphrase`,
        `kdf must be "argon2id" with integers p from 1 to ${KDF_LIMITS.pMax}, t from 1 to ${KDF_LIMITS.tMax}, m (KiB) from 8·p to ${KDF_LIMITS.mMax}`,
      );
    record.passphrase = params;
  }

  if (value['recipients'] !== undefined) {
    const r = value['recipients'];
    if (!isJsonObject(r)) return bad(`${path}.recipients`, 'must be an object');
    for (const [recipient, wrapped] of Object.entries(r)) {
      if (!RECIPIENT.test(recipient)) bad(`${path}.recipients`, 'a recipient must be one printable line');
      if (typeof wrapped !== 'string' || decodeBase64Strict(wrapped) === null) {
        bad(`${path}.recipients`, `the entry of ${displayText(recipient)} must be standard base64`);
      }
      record.recipients.set(recipient, wrapped as string);
    }
  }

  const secrets = value['secrets'];
  if (!isJsonObject(secrets)) return bad(`${path}.secrets`, 'must be an object');
  // for…in, not Object.entries: no array per secret (a file may hold 10,000). Both parsers
  // make only own, enumerable, string-keyed properties, so both visit the same names in
  // the same order.
  for (const name in secrets) {
    const entry = secrets[name];
    if (!SECRET_NAME.test(name)) bad(`${path}.secrets`, `invalid secret name ${displayName(name)}`);
    if (typeof entry === 'string') {
      if (!isWellFormedToken(entry) || (version === 1 && tokenVersion(entry) !== 1))
        bad(`${path}.secrets.${name}`, `must be a "v${version}:" token`);
      record.secrets.set(name, entry);
      continue;
    }
    if (version === 1 || !isJsonObject(entry))
      return bad(`${path}.secrets.${name}`, version === 1 ? 'must be a "v1:" token' : 'must be a token or an object with "value"');
    onlyFields(entry, ['expires', 'rotate_every', 'value'], `${path}.secrets.${name}`, bad);
    const token = entry['value'];
    if (typeof token !== 'string' || !isWellFormedToken(token) || tokenVersion(token) !== 2)
      bad(`${path}.secrets.${name}.value`, 'must be a "v2:" token');
    record.secrets.set(name, token as string);
    record.meta.set(name, metaFromJson(entry, `${path}.secrets.${name}`, bad));
  }
  return record;
}

function chainFromJson(value: JsonValue | undefined, keyId: string, path: string, required: boolean, bad: Bad): string[] {
  if (value === undefined) return required ? bad(`${path}.chain`, 'is required') : [];
  if (!Array.isArray(value) || value.length === 0) return bad(`${path}.chain`, 'must be a non-empty list of links');
  if (value.length > 10000) return bad(`${path}.chain`, 'is too long');
  const chain: string[] = [];
  for (const link of value) {
    if (typeof link !== 'string' || !parseChainLink(link))
      return bad(`${path}.chain`, `link ${chain.length + 1} is not "key_id:signer:signature"`);
    chain.push(link);
  }
  if (!chain[chain.length - 1]!.startsWith(`${keyId}:`)) bad(`${path}.chain`, 'the last link must be for the key_id of the environment');
  return chain;
}

function metaFromJson(entry: JsonObject, path: string, bad: Bad): SecretMeta {
  const meta: SecretMeta = {};
  const expires = entry['expires'];
  if (expires !== undefined) {
    if (typeof expires !== 'string' || !isIsoDate(expires)) bad(`${path}.expires`, 'must be a date, YYYY-MM-DD');
    meta.expires = expires as string;
  }
  const every = entry['rotate_every'];
  if (every !== undefined) {
    if (typeof every !== 'string' || !isPeriod(every)) bad(`${path}.rotate_every`, 'must be a number of days, e.g. "90d"');
    meta.rotateEvery = every as string;
  }
  if (meta.expires === undefined && meta.rotateEvery === undefined) bad(path, 'an object entry needs "expires" or "rotate_every"');
  return meta;
}

function sopsBindingFromJson(value: JsonObject, path: string, bad: Bad): EnvironmentRecord {
  onlyFields(value, ['chain', 'key_id', 'meta', 'sops'], path, bad);
  const keyId = value['key_id'];
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) bad(`${path}.key_id`, 'must be 16 lower-case hex characters');
  const file = value['sops'];
  if (typeof file !== 'string' || !isSafeRelativePath(file)) {
    bad(`${path}.sops`, 'must be a path relative to the repository root, without ".." or a leading "/"');
  }
  const record = newEnvironmentRecord(keyId as string, '', chainFromJson(value['chain'], keyId as string, path, true, bad));
  const binding: SopsBinding = { path: file as string, tags: new Map() };
  if (value['meta'] !== undefined) {
    const m = value['meta'];
    if (!isJsonObject(m)) return bad(`${path}.meta`, 'must be an object');
    for (const name in m) {
      const entry = m[name];
      const where = `${path}.meta.${displayName(name, { quote: false })}`;
      if (!SECRET_NAME.test(name)) bad(`${path}.meta`, `invalid secret name ${displayName(name)}`);
      if (!isJsonObject(entry)) return bad(where, 'must be an object');
      onlyFields(entry, ['expires', 'rotate_every', 'tag'], where, bad);
      const tag = entry['tag'];
      const raw = typeof tag === 'string' ? decodeBase64Strict(tag) : null;
      if (!raw || raw.length !== 16) bad(`${where}.tag`, 'must be 16 bytes of standard base64');
      record.meta.set(name, metaFromJson(entry, where, bad));
      binding.tags.set(name, tag as string);
    }
  }
  record.sops = binding;
  return record;
}

function onlyFields(obj: JsonObject, allowed: string[], path: string, bad: Bad): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      bad(
        path,
        `unknown field ${displayName(key)}`,
        'the file may come from a newer hako or was edited by hand; upgrade hako or remove the field',
      );
    }
  }
}

// ---------------------------------------------------------------- encode

const q = JSON.stringify;

// Strings made only of these characters encode as themselves between quotes. Every secret
// name and token is one, and a 10,000-secret file is re-encoded on each read (the parser's
// canonical check), so skipping JSON.stringify for them halves the cost of a read.
const PLAIN = /^[A-Za-z0-9_+/=:.-]*$/;

function str(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : q(s);
}

function byKey<V>(a: [string, V], b: [string, V]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** Entries sorted by key; a map read from a canonical file already is, so it is only checked. */
function sortedEntries<V>(m: Map<string, V>): [string, V][] {
  const entries = [...m.entries()];
  for (let i = 1; i < entries.length; i++) if (entries[i - 1]![0] >= entries[i]![0]) return entries.sort(byKey);
  return entries;
}

/** An object whose members are already-encoded lines, at the given indent. */
function block(members: string[], indent: string): string {
  if (members.length === 0) return '{}';
  return `{\n${members.map((m) => indent + '  ' + m).join(',\n')}\n${indent}}`;
}

function stringMap(m: Map<string, string>, indent: string): string {
  if (m.size === 0) return '{}';
  const lead = `${indent}  `;
  const lines = sortedEntries(m).map(([k, v]) => `${lead}${str(k)}: ${str(v)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

function inline(fields: [string, string | number | boolean][]): string {
  return `{ ${fields.map(([k, v]) => `${q(k)}: ${q(v)}`).join(', ')} }`;
}

function metaFields(m: SecretMeta): [string, string][] {
  const fields: [string, string][] = [];
  if (m.expires !== undefined) fields.push(['expires', m.expires]);
  if (m.rotateEvery !== undefined) fields.push(['rotate_every', m.rotateEvery]);
  return fields;
}

function secretsBlock(env: EnvironmentRecord, indent: string): string {
  if (env.meta.size === 0) return stringMap(env.secrets, indent);
  if (env.secrets.size === 0) return '{}';
  const lead = `${indent}  `;
  const lines = sortedEntries(env.secrets).map(([k, token]) => {
    const m = env.meta.get(k);
    return m ? `${lead}${str(k)}: ${inline([...metaFields(m), ['value', token]])}` : `${lead}${str(k)}: ${str(token)}`;
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

function chainBlock(chain: string[], indent: string): string {
  return `[\n${chain.map((l) => `${indent}  ${str(l)}`).join(',\n')}\n${indent}]`;
}

function environmentMembers(env: EnvironmentRecord, envIndent: string): string[] {
  const members: string[] = [];
  if (env.chain.length > 0) members.push(`"chain": ${chainBlock(env.chain, envIndent)}`);
  if (env.sops) {
    members.push(`"key_id": ${q(env.keyId)}`);
    if (env.meta.size > 0) {
      const tags = env.sops.tags;
      const lines = sortedEntries(env.meta).map(
        ([k, m]) => `${envIndent}  ${str(k)}: ${inline([...metaFields(m), ['tag', tags.get(k) ?? '']])}`,
      );
      members.push(`"meta": {\n${lines.join(',\n')}\n${envIndent}}`);
    }
    members.push(`"sops": ${q(env.sops.path)}`);
    return members;
  }
  members.push(`"check": ${q(env.check)}`, `"key_id": ${q(env.keyId)}`);
  if (env.passphrase) {
    const p = env.passphrase;
    members.push(
      `"passphrase": ${inline([
        ['kdf', p.kdf],
        ['m', p.m],
        ['p', p.p],
        ['t', p.t],
      ])}`,
    );
  }
  if (env.recipients.size > 0) members.push(`"recipients": ${stringMap(env.recipients, envIndent)}`);
  members.push(`"secrets": ${secretsBlock(env, envIndent)}`);
  return members;
}

export function encodeSecretsFile(file: SecretsFile): string {
  const envIndent = '      ';
  const envs = sortedEntries(file.environments).map(([name, env]) => `${q(name)}: ${block(environmentMembers(env, envIndent), '    ')}`);
  const top: string[] = [`"environments": ${block(envs, '  ')}`];
  if (file.schema.size > 0) {
    const entries = sortedEntries(file.schema).map(([name, e]) => {
      const fields: [string, string | boolean][] = [];
      if (e.description !== undefined) fields.push(['description', e.description]);
      fields.push(['required', e.required]);
      return `${q(name)}: ${inline(fields)}`;
    });
    top.push(`"schema": ${block(entries, '  ')}`);
  }
  top.push(`"version": ${file.version}`);
  return `${block(top, '')}\n`;
}
