/** `--only NAME`: a subset of an environment's values, every asked-for name present. */
import { HakoError } from '../core/errors.js';
import { assertSecretName } from '../core/names.js';

export function selectNames(values: ReadonlyMap<string, string>, only: readonly string[], env: string): Map<string, string> {
  if (only.length === 0) return new Map(values);
  const out = new Map<string, string>();
  const missing: string[] = [];
  for (const name of [...new Set(only)].sort()) {
    assertSecretName(name);
    const v = values.get(name);
    if (v === undefined) missing.push(name);
    else out.set(name, v);
  }
  if (missing.length) {
    throw new HakoError('E_NO_SECRET', `no secret ${missing.join(', ')} in environment '${env}'`, `list names with hako ls --env ${env}`);
  }
  return out;
}
