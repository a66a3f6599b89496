/**
 * What typegen works from: secret names, never values, so it needs no key.
 *
 * The names are those of every environment plus the top-level `schema`. Whether a name may
 * be missing at run time (typed `string | undefined` in TypeScript, `(string, bool)` in Go):
 *  - declared in `schema`: `required: false` makes it optional, `required: true` required;
 *  - not declared: required when every environment has a value for it, optional otherwise
 *    (an environment without it would start the app without it).
 * Descriptions become doc comments after `commentText` made them one safe line.
 */
import type { SecretsFile } from '../core/formats/secrets-file.js';

export interface TypegenName {
  name: string;
  optional: boolean;
  description?: string;
}

/** The names of a secrets file in byte order, the same on every machine. */
export function typegenNames(file: SecretsFile): TypegenName[] {
  const envs = [...file.environments.values()];
  const all = new Set<string>(file.schema.keys());
  for (const env of envs) for (const name of env.secrets.keys()) all.add(name);
  return [...all].sort(byteOrder).map((name) => {
    const declared = file.schema.get(name);
    const optional = declared ? !declared.required : !envs.every((e) => e.secrets.has(name));
    const entry: TypegenName = { name, optional };
    const description = declared?.description === undefined ? '' : commentText(declared.description);
    if (description) entry.description = description;
    return entry;
  });
}

export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A description as one line of plain text: control, format (bidi, BOM) and line/paragraph
 * separator characters become spaces, so it can never end a comment line early, hide code
 * from a reader, or be refused by a compiler. Each language escapes its own comment closer.
 */
export function commentText(s: string): string {
  return s
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
