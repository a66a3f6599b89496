/**
 * Flat name → value maps from JSON and YAML files, for import. Strings are taken as they
 * are; numbers and booleans become their text; anything nested is refused with its name.
 * YAML is loaded only when a YAML file is imported. Errors never quote the input.
 */
import { HakoError } from '../errors.js';
import { isJsonObject, parseStrictJson, type JsonValue } from './strict-json.js';

export type ImportFormat = 'dotenv' | 'json' | 'yaml';

function flatten(root: unknown, what: string): Map<string, string> {
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new HakoError('E_FORMAT', `${what}: expected an object of NAME: value pairs`, 'nested structures cannot be imported; flatten them first');
  }
  const out = new Map<string, string>();
  for (const [name, v] of Object.entries(root as Record<string, unknown>)) {
    if (typeof v === 'string') out.set(name, v);
    else if (typeof v === 'number' || typeof v === 'boolean') out.set(name, String(v));
    else {
      throw new HakoError('E_FORMAT', `${what}: ${name.slice(0, 60)} is not a string, number or boolean`, 'nested structures cannot be imported; flatten them first');
    }
  }
  return out;
}

export function parseJsonMap(text: string, what: string): Map<string, string> {
  const v: JsonValue = parseStrictJson(text, what);
  if (!isJsonObject(v)) return flatten(null, what);
  return flatten(v, what);
}

export async function parseYamlMap(text: string, what: string): Promise<Map<string, string>> {
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new HakoError('E_FORMAT', `${what}: YAML error${line ? ` at line ${line}` : ''} (${e.code})`, 'fix the YAML syntax');
  }
  return flatten(doc.toJS({ maxAliasCount: 100 }), what);
}
