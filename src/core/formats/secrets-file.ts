/**
 * `.hako/secrets.json`, format version 1: parse and encode only (docs/FORMAT.md).
 *
 * The parser is strict: unknown fields, duplicate keys, malformed names, key ids or tokens
 * are errors, and a newer `version` is refused with its own code. The encoder is canonical:
 * two-space indent, keys sorted, one secret per line, `passphrase` and schema entries on
 * one line, final newline. Encoding a parsed canonical file gives back the same bytes, so
 * rewriting a file whose meaning did not change leaves git with nothing to show.
 */
import { HakoError } from '../errors.js';
import { displayName, displayText } from '../display.js';
import { ENV_NAME, KEY_ID, SECRET_NAME } from '../names.js';
import { isWellFormedToken } from '../crypto/environment-cipher.js';
import { decodeBase64Strict } from '../crypto/base64.js';
import { KDF_LIMITS, validKdfParams, type KdfParams } from '../crypto/argon2id.js';
import { isJsonObject, parseStrictJson, type JsonObject, type JsonValue } from './strict-json.js';

export const FORMAT_VERSION = 1;
export const SECRETS_FILE_NAME = '.hako/secrets.json';

export interface EnvironmentRecord {
  keyId: string;
  check: string;
  passphrase?: KdfParams;
  /** age recipient → base64 of a binary age file whose payload is the environment key. */
  recipients: Map<string, string>;
  /** secret name → "v1:…" token. */
  secrets: Map<string, string>;
}

export interface SchemaEntry {
  required: boolean;
  description?: string;
}

export interface SecretsFile {
  version: 1;
  environments: Map<string, EnvironmentRecord>;
  schema: Map<string, SchemaEntry>;
}

export function emptySecretsFile(): SecretsFile {
  return { version: 1, environments: new Map(), schema: new Map() };
}

const RECIPIENT = /^[\x21-\x7e][\x20-\x7e]{0,4095}$/;

// ---------------------------------------------------------------- parse

export function parseSecretsFile(text: string, where = SECRETS_FILE_NAME): SecretsFile {
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
  if (version !== FORMAT_VERSION) bad('version', `must be ${FORMAT_VERSION}`);
  onlyFields(root, ['environments', 'schema', 'version'], '', bad);

  const envs = root['environments'];
  if (!isJsonObject(envs)) return bad('environments', 'must be an object');
  const environments = new Map<string, EnvironmentRecord>();
  for (const [name, value] of Object.entries(envs)) {
    const path = `environments.${displayName(name, { quote: false })}`;
    if (!ENV_NAME.test(name)) bad(path, 'invalid environment name');
    environments.set(name, environmentFromJson(value, path, bad));
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
  return { version: 1, environments, schema };
}

type Bad = (path: string, msg: string, hint?: string) => never;

function environmentFromJson(value: JsonValue | undefined, path: string, bad: Bad): EnvironmentRecord {
  if (!isJsonObject(value)) return bad(path, 'must be an object');
  onlyFields(value, ['check', 'key_id', 'passphrase', 'recipients', 'secrets'], path, bad);

  const keyId = value['key_id'];
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) bad(`${path}.key_id`, 'must be 16 lower-case hex characters');
  const check = value['check'];
  if (typeof check !== 'string' || !isWellFormedToken(check)) bad(`${path}.check`, 'must be a "v1:" token');

  const record: EnvironmentRecord = {
    keyId: keyId as string,
    check: check as string,
    recipients: new Map(),
    secrets: new Map(),
  };

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
    const token = secrets[name];
    if (!SECRET_NAME.test(name)) bad(`${path}.secrets`, `invalid secret name ${displayName(name)}`);
    if (typeof token !== 'string' || !isWellFormedToken(token)) bad(`${path}.secrets.${name}`, 'must be a "v1:" token');
    record.secrets.set(name, token as string);
  }
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

export function encodeSecretsFile(file: SecretsFile): string {
  const envIndent = '      ';
  const envs = sortedEntries(file.environments).map(([name, env]) => {
    const members: string[] = [`"check": ${q(env.check)}`, `"key_id": ${q(env.keyId)}`];
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
    members.push(`"secrets": ${stringMap(env.secrets, envIndent)}`);
    return `${q(name)}: ${block(members, '    ')}`;
  });
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
