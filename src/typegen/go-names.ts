/**
 * Secret names → Go method names (docs/SDK.md "Go names").
 *
 * Split on "_", drop empty parts; a part that is a well-known initialism stays upper-case
 * (URL, ID, API, ...: Go style writes DatabaseURL, not DatabaseUrl), every other part keeps
 * its first character and lower-cases the rest; join. A result that starts with a digit
 * gets an "X" in front. DATABASE_URL → DatabaseURL, API_KEY → APIKey, APIKEY → Apikey,
 * OAUTH2_TOKEN → Oauth2Token, _2FA_SEED → X2faSeed.
 *
 * Two names that give the same identifier (API_KEY and API__KEY, TOKEN and _TOKEN, A_1 and
 * A1) are refused, as are names that become a method the generated type needs for
 * redaction (String, GoString, Format, MarshalJSON) or that have no letter or digit ("_").
 */
import { HakoError } from '../core/errors.js';

export const GO_INITIALISMS: ReadonlySet<string> = new Set([
  'ACL',
  'API',
  'ARN',
  'AWS',
  'CA',
  'CPU',
  'CSRF',
  'CSS',
  'DB',
  'DNS',
  'DSN',
  'GCP',
  'GPG',
  'HMAC',
  'HTML',
  'HTTP',
  'HTTPS',
  'ID',
  'IP',
  'JSON',
  'JWT',
  'KMS',
  'OTP',
  'RPC',
  'SDK',
  'SMTP',
  'SQL',
  'SSH',
  'SSL',
  'SSO',
  'TCP',
  'TLS',
  'TTL',
  'UDP',
  'UI',
  'URI',
  'URL',
  'UUID',
  'XML',
]);

/** Methods of the generated type that keep values out of fmt and encoding/json. */
export const GO_RESERVED: ReadonlySet<string> = new Set(['String', 'GoString', 'Format', 'MarshalJSON']);

/** The Go identifier for a secret name, or '' when it has no letter or digit. */
export function goName(name: string): string {
  const id = name
    .split('_')
    .filter((part) => part !== '')
    .map((part) => (GO_INITIALISMS.has(part) ? part : part[0]! + part.slice(1).toLowerCase()))
    .join('');
  return /^[0-9]/.test(id) ? `X${id}` : id;
}

/** Name → identifier for every name, or an E_INVALID_NAME error listing every conflict. */
export function goNames(names: readonly string[]): Map<string, string> {
  const byId = new Map<string, string[]>();
  const problems: string[] = [];
  for (const name of names) {
    const id = goName(name);
    if (id === '') problems.push(`${name} has no letter or digit`);
    else if (GO_RESERVED.has(id))
      problems.push(`${name} would become ${id}, a method the Go type needs to keep values out of fmt and JSON`);
    byId.set(id, [...(byId.get(id) ?? []), name]);
  }
  for (const [id, group] of byId) if (id !== '' && group.length > 1) problems.push(`${group.join(' and ')} would all become ${id}`);
  if (problems.length > 0) {
    throw new HakoError(
      'E_INVALID_NAME',
      `these secret names cannot be Go methods: ${problems.join('; ')}`,
      'rename one of each (hako set NEW_NAME, then hako rm OLD_NAME --all-envs), then run hako typegen again',
    );
  }
  return new Map(names.map((n) => [n, goName(n)]));
}
