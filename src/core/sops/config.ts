/**
 * `.sops.yaml`: the creation rules that decide the recipients and crypt rule of a new file
 * (and of `updatekeys`), and the store settings (indentation).
 *
 * Rules are tried in order and the first whose `path_regex` matches wins; a rule without
 * `path_regex` matches every file. The regex is a search (unanchored) over the file's
 * absolute path with the config's folder and a `/` removed from its front, so a path inside
 * the folder is matched relative to it. Keys are given per type (`age: "a,b"` or a list) or
 * as `key_groups` (which replace them). YAML anchors and aliases work as YAML has them.
 * Unknown fields are ignored, as SOPS ignores them.
 */
import { yamlLibrary } from './yaml-library.js';
import { compileGoRegex, RULE_FIELDS, type CryptRule } from './crypt-rules.js';

export interface RuleKeys {
  age: string[];
  pgp: string[];
  /** Other kinds, named for messages: hako cannot make those. */
  other: { kind: string; id: string }[];
}

export interface CreationRule {
  index: number;
  pathRegex: string | null;
  keyGroups: RuleKeys[];
  shamirThreshold: number;
  rule: CryptRule;
  macOnlyEncrypted: boolean;
}

export interface SopsConfig {
  rules: CreationRule[];
  yamlIndent: number | null;
  jsonIndent: number | null;
  jsonBinaryIndent: number | null;
}

export class ConfigError extends Error {}

function list(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (Array.isArray(v))
    return v.flatMap((x) =>
      typeof x === 'string'
        ? x
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [],
    );
  return [];
}

function dedupe(keys: RuleKeys): RuleKeys {
  return { age: [...new Set(keys.age)], pgp: [...new Set(keys.pgp)], other: keys.other };
}

function groupFrom(g: Record<string, unknown>): RuleKeys {
  const other: RuleKeys['other'] = [];
  const objs = (kind: string, field: string) => {
    const v = g[kind];
    if (Array.isArray(v))
      for (const x of v) other.push({ kind, id: typeof x === 'string' ? x : String((x as Record<string, unknown>)?.[field] ?? '') });
  };
  objs('kms', 'arn');
  objs('gcp_kms', 'resource_id');
  objs('azure_keyvault', 'vaultUrl');
  objs('hc_vault', '');
  objs('hckms', 'key_id');
  const keys: RuleKeys = { age: list(g['age']), pgp: list(g['pgp']), other };
  if (Array.isArray(g['merge'])) {
    for (const m of g['merge']) {
      if (m && typeof m === 'object') {
        const sub = groupFrom(m as Record<string, unknown>);
        keys.age.push(...sub.age);
        keys.pgp.push(...sub.pgp);
        keys.other.push(...sub.other);
      }
    }
  }
  return dedupe(keys);
}

function indentOf(v: unknown): number | null {
  if (v && typeof v === 'object' && typeof (v as Record<string, unknown>)['indent'] === 'number')
    return (v as Record<string, number>)['indent']!;
  return null;
}

export function parseSopsConfig(text: string): SopsConfig {
  let doc: unknown;
  try {
    doc = yamlLibrary().parse(text, { merge: true, maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigError(`.sops.yaml is not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const root = (doc && typeof doc === 'object' ? doc : {}) as Record<string, unknown>;
  const rawRules = Array.isArray(root['creation_rules']) ? root['creation_rules'] : [];
  const rules: CreationRule[] = rawRules.map((r, index) => {
    const o = (r && typeof r === 'object' ? r : {}) as Record<string, unknown>;
    const ruleFields = RULE_FIELDS.filter((f) => typeof o[f] === 'string' && o[f] !== '');
    if (ruleFields.length > 1) throw new ConfigError(`creation rule ${index + 1} has more than one crypt rule (${ruleFields.join(', ')})`);
    let keyGroups: RuleKeys[];
    if (Array.isArray(o['key_groups']) && o['key_groups'].length) {
      keyGroups = (o['key_groups'] as unknown[]).map((g) => groupFrom((g && typeof g === 'object' ? g : {}) as Record<string, unknown>));
    } else {
      const other: RuleKeys['other'] = [];
      for (const [field, kind] of [
        ['kms', 'kms'],
        ['gcp_kms', 'gcp_kms'],
        ['azure_keyvault', 'azure_kv'],
        ['hc_vault_transit_uri', 'hc_vault'],
      ] as const) {
        for (const id of list(o[field])) other.push({ kind, id });
      }
      keyGroups = [dedupe({ age: list(o['age']), pgp: list(o['pgp']), other })];
    }
    const threshold = typeof o['shamir_threshold'] === 'number' ? o['shamir_threshold'] : 0;
    return {
      index,
      pathRegex: typeof o['path_regex'] === 'string' ? o['path_regex'] : null,
      keyGroups,
      shamirThreshold: threshold,
      rule: ruleFields.length ? { field: ruleFields[0]!, value: o[ruleFields[0]!] as string } : null,
      macOnlyEncrypted: o['mac_only_encrypted'] === true,
    };
  });
  const stores = (root['stores'] && typeof root['stores'] === 'object' ? root['stores'] : {}) as Record<string, unknown>;
  return {
    rules,
    yamlIndent: indentOf(stores['yaml']),
    jsonIndent: indentOf(stores['json']),
    jsonBinaryIndent: indentOf(stores['json_binary']),
  };
}

/**
 * The first rule matching `absPath` (POSIX separators), the config living in `configDir`.
 * Null when none matches.
 */
export function matchCreationRule(config: SopsConfig, configDir: string, absPath: string): CreationRule | null {
  const prefix = configDir.endsWith('/') ? configDir : `${configDir}/`;
  const rel = absPath.startsWith(prefix) ? absPath.slice(prefix.length) : absPath;
  for (const r of config.rules) {
    if (r.pathRegex === null || r.pathRegex === '') return r;
    if (compileGoRegex(r.pathRegex).test(rel)) return r;
  }
  return null;
}
