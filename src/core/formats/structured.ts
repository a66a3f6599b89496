/**
 * Flat name → value maps from JSON and YAML files, for import. A value is exactly the text
 * written in the file: strings as they are, numbers and booleans as their source text
 * (`1.10` stays "1.10", `0x1F` stays "0x1F", a 20-digit id keeps every digit). Anything
 * nested, null, or of another type is refused with its name. YAML is loaded only when a YAML
 * file is imported; its aliases are resolved to the scalar they name, never expanded into
 * structures. Every refusal is a HakoError, and errors never quote the input.
 */
import { HakoError } from '../errors.js';
import { displayName } from '../display.js';
import { isJsonObject, parseStrictJson, type JsonValue } from './strict-json.js';

export type ImportFormat = 'dotenv' | 'json' | 'yaml';

const NESTED_HINT = 'nested structures cannot be imported; flatten them first';

function notAnObject(what: string): HakoError {
  return new HakoError('E_FORMAT', `${what}: expected an object of NAME: value pairs`, NESTED_HINT);
}

function notAValue(what: string, name: string): HakoError {
  return new HakoError('E_FORMAT', `${what}: ${displayName(name, { quote: false })} is not a string, number or boolean`, NESTED_HINT);
}

export function parseJsonMap(text: string, what: string): Map<string, string> {
  const root: JsonValue = parseStrictJson(text, what, { numbersAsText: true });
  if (!isJsonObject(root)) throw notAnObject(what);
  const out = new Map<string, string>();
  for (const [name, v] of Object.entries(root)) {
    if (typeof v === 'string')
      out.set(name, v); // numbers arrive as their source text
    else if (typeof v === 'boolean') out.set(name, String(v));
    else throw notAValue(what, name);
  }
  return out;
}

export async function parseYamlMap(text: string, what: string): Promise<Map<string, string>> {
  const { parseDocument, isAlias, isMap, isScalar } = await import('yaml');
  // logLevel silent: the library would otherwise print runtime warnings on hako's stderr.
  // uniqueKeys off: the library compares each key with every earlier one (quadratic in the
  // number of keys); duplicates are caught below with a set instead.
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, logLevel: 'silent' });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new HakoError('E_FORMAT', `${what}: YAML error${line ? ` at line ${line}` : ''} (${e.code})`, 'fix the YAML syntax');
  }
  const root = doc.contents;
  if (!isMap(root)) throw notAnObject(what);
  const out = new Map<string, string>();
  for (const pair of root.items) {
    const key = pair.key;
    if (!isScalar(key) || typeof key.value !== 'string') {
      throw new HakoError('E_FORMAT', `${what}: a key is not a plain name`, 'write one NAME: value per line');
    }
    const name = key.value;
    if (out.has(name)) {
      const line = key.range ? text.slice(0, key.range[0]).split('\n').length : undefined;
      throw new HakoError(
        'E_FORMAT',
        `${what}: ${displayName(name)} appears twice${line ? ` (again at line ${line})` : ''}`,
        'keep one NAME: value line per name',
      );
    }
    const node = isAlias(pair.value) ? pair.value.resolve(doc) : pair.value;
    if (!isScalar(node)) throw notAValue(what, name);
    const v = node.value;
    if (typeof v === 'string') out.set(name, v);
    else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') out.set(name, node.source ?? String(v));
    else throw notAValue(what, name);
  }
  return out;
}
