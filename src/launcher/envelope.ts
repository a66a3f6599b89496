/**
 * The fd 3 envelope (`hako run --via fd3`): one UTF-8 JSON object, keys in sorted order,
 * `{"env":"production","hako":1,"secrets":{"NAME":"value",…}}`, names sorted, no newline.
 * `hako` is the envelope version; a reader refuses a version it does not know.
 */

export const ENVELOPE_VERSION = 1;
export const ENVELOPE_FD = 3;
/** The variable that tells the child where to read: it holds "3", never a value. */
export const ENVELOPE_FD_VAR = 'HAKO_SECRETS_FD';

export function encodeEnvelope(env: string, secrets: ReadonlyMap<string, string>): Buffer {
  const values: Record<string, string> = {};
  for (const name of [...secrets.keys()].sort()) values[name] = secrets.get(name)!;
  return Buffer.from(JSON.stringify({ env, hako: ENVELOPE_VERSION, secrets: values }), 'utf8');
}
