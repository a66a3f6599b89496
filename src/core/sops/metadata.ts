/**
 * The `sops` metadata block: who can open the data key, the MAC, the crypt rule, and the
 * version of the tool that wrote it.
 *
 * Read: any order, lists absent, empty or null, numbers as text (the flattened dotenv and
 * INI forms only have strings). Written in one of the three layouts SOPS has used, so a file
 * keeps the layout it came with (its diff stays small):
 *   legacy    (≤ 3.9)   struct order, empty key lists written (`kms: []`)
 *   omitempty (3.10–3.12) struct order, empty lists left out
 *   sorted    (≥ 3.13)  every mapping sorted by key (what new files get)
 * Master keys hako cannot use (KMS, GCP, Azure, Vault, HuaweiCloud) are kept as they were,
 * field for field, so a file whose data key did not change keeps them intact.
 */
import { isComment, isList, isMap, newList, newMap, type SopsMap, type SopsValue } from './tree.js';
import { DEFAULT_UNENCRYPTED_SUFFIX, RULE_FIELDS, type CryptRule } from './crypt-rules.js';

export const MASTER_KEY_KINDS = ['kms', 'gcp_kms', 'hckms', 'azure_kv', 'hc_vault', 'age', 'pgp'] as const;
export type MasterKeyKind = (typeof MASTER_KEY_KINDS)[number];

/** The field of each kind that names the key, for people. */
const ID_FIELD: Record<MasterKeyKind, string> = {
  kms: 'arn',
  gcp_kms: 'resource_id',
  hckms: 'key_id',
  azure_kv: 'vault_url',
  hc_vault: 'vault_address',
  age: 'recipient',
  pgp: 'fp',
};

/** Struct field order of each entry (≤ 3.12 layouts). */
const ENTRY_ORDER: Record<MasterKeyKind, string[]> = {
  kms: ['arn', 'role', 'context', 'created_at', 'enc', 'aws_profile'],
  gcp_kms: ['resource_id', 'created_at', 'enc'],
  hckms: ['key_id', 'created_at', 'enc'],
  azure_kv: ['vault_url', 'name', 'version', 'created_at', 'enc'],
  hc_vault: ['vault_address', 'engine_path', 'key_name', 'created_at', 'enc'],
  age: ['recipient', 'enc'],
  pgp: ['created_at', 'enc', 'fp'],
};

export interface MasterKey {
  kind: MasterKeyKind;
  /** Every field as read (strings; kms `context` is a mapping). */
  fields: Record<string, string | Record<string, string>>;
}

export type Layout = 'legacy' | 'omitempty' | 'sorted';

export interface SopsMetadata {
  keyGroups: MasterKey[][];
  shamirThreshold: number;
  lastModified: string;
  mac: string;
  rule: CryptRule;
  macOnlyEncrypted: boolean;
  version: string;
  layout: Layout;
}

export class MetadataError extends Error {}

export function masterKeyId(k: MasterKey): string {
  const v = k.fields[ID_FIELD[k.kind]];
  if (k.kind === 'azure_kv') return `${String(v ?? '')}/keys/${String(k.fields['name'] ?? '')}`;
  if (k.kind === 'hc_vault')
    return `${String(v ?? '')}/v1/${String(k.fields['engine_path'] ?? '')}/keys/${String(k.fields['key_name'] ?? '')}`;
  return typeof v === 'string' ? v : '';
}

export function masterKeyEnc(k: MasterKey): string {
  const e = k.fields['enc'];
  return typeof e === 'string' ? e : '';
}

export function layoutForVersion(version: string): Layout {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return 'sorted';
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major < 3 || (major === 3 && minor <= 9)) return 'legacy';
  if (major === 3 && minor <= 12) return 'omitempty';
  return 'sorted';
}

function scalarText(v: SopsValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (isMap(v) || isList(v)) return undefined;
  return v.text;
}

function entries(map: SopsMap): [string, SopsValue][] {
  const out: [string, SopsValue][] = [];
  for (const i of map.items) if (!isComment(i)) out.push([i.key, i.value]);
  return out;
}

function readKeys(kind: MasterKeyKind, v: SopsValue | undefined): MasterKey[] {
  if (v === undefined || v === null) return [];
  if (!isList(v)) throw new MetadataError(`sops.${kind} is not a list`);
  const out: MasterKey[] = [];
  for (const item of v.items) {
    if (isComment(item)) continue;
    if (!isMap(item)) throw new MetadataError(`an entry of sops.${kind} is not a mapping`);
    const fields: MasterKey['fields'] = {};
    for (const [k, fv] of entries(item)) {
      if (kind === 'kms' && k === 'context' && isMap(fv)) {
        const ctx: Record<string, string> = {};
        for (const [ck, cv] of entries(fv)) ctx[ck] = scalarText(cv) ?? '';
        fields[k] = ctx;
      } else {
        const t = scalarText(fv);
        if (t !== undefined) fields[k] = t;
      }
    }
    if (fields['created_at'] !== undefined && typeof fields['created_at'] === 'string' && !isRfc3339(fields['created_at'])) {
      throw new MetadataError(`sops.${kind}: created_at is not an RFC 3339 time`);
    }
    out.push({ kind, fields });
  }
  return out;
}

function isRfc3339(t: string): boolean {
  return /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(t);
}

function readGroup(map: SopsMap): MasterKey[] {
  const group: MasterKey[] = [];
  const byKey = new Map(entries(map));
  for (const kind of ['pgp', 'kms', 'gcp_kms', 'hckms', 'azure_kv', 'hc_vault', 'age'] as const)
    group.push(...readKeys(kind, byKey.get(kind)));
  return group;
}

/** Reads the metadata mapping (already unflattened for dotenv and INI). */
export function readMetadata(map: SopsMap): SopsMetadata {
  const byKey = new Map(entries(map));
  const lastModified = scalarText(byKey.get('lastmodified')) ?? '';
  if (!isRfc3339(lastModified)) throw new MetadataError('sops.lastmodified is missing or not an RFC 3339 time');
  let keyGroups: MasterKey[][];
  const kg = byKey.get('key_groups');
  if (kg !== undefined && kg !== null && isList(kg) && kg.items.filter((i) => !isComment(i)).length > 0) {
    keyGroups = kg.items
      .filter((i) => !isComment(i))
      .map((g) => {
        if (!isMap(g)) throw new MetadataError('an entry of sops.key_groups is not a mapping');
        return readGroup(g);
      });
  } else {
    const group: MasterKey[] = [];
    for (const kind of ['kms', 'gcp_kms', 'hckms', 'azure_kv', 'hc_vault', 'age', 'pgp'] as const)
      group.push(...readKeys(kind, byKey.get(kind)));
    keyGroups = [group];
  }
  if (keyGroups.every((g) => g.length === 0)) throw new MetadataError('no keys found in the file');
  const rules = RULE_FIELDS.filter((f) => (scalarText(byKey.get(f)) ?? '') !== '');
  if (rules.length > 1) throw new MetadataError(`the file has more than one crypt rule (${rules.join(', ')})`);
  const rule: CryptRule = rules.length
    ? { field: rules[0]!, value: scalarText(byKey.get(rules[0]!))! }
    : { field: 'unencrypted_suffix', value: DEFAULT_UNENCRYPTED_SUFFIX };
  const threshold = Number(scalarText(byKey.get('shamir_threshold')) ?? '0');
  const macOnly = scalarText(byKey.get('mac_only_encrypted'));
  const version = scalarText(byKey.get('version')) ?? '';
  return {
    keyGroups,
    shamirThreshold: Number.isInteger(threshold) && threshold > 0 ? threshold : 0,
    lastModified,
    mac: scalarText(byKey.get('mac')) ?? '',
    rule: rules.length ? rule : null,
    macOnlyEncrypted: macOnly === 'true' || macOnly === 'True' || macOnly === '1',
    version,
    layout: layoutForVersion(version),
  };
}

/** The rule a file applies: its own, or the default suffix rule when it names none. */
export function effectiveRule(md: SopsMetadata): CryptRule {
  return md.rule ?? { field: 'unencrypted_suffix', value: DEFAULT_UNENCRYPTED_SUFFIX };
}

function entryMap(k: MasterKey, layout: Layout): SopsMap {
  const names =
    layout === 'sorted'
      ? Object.keys(k.fields).sort()
      : [...ENTRY_ORDER[k.kind], ...Object.keys(k.fields).filter((f) => !ENTRY_ORDER[k.kind].includes(f))];
  const m = newMap();
  for (const n of names) {
    const v = k.fields[n];
    if (v === undefined) continue;
    if (typeof v === 'string') m.items.push({ key: n, value: v });
    else {
      const ctx = newMap();
      for (const ck of Object.keys(v).sort()) ctx.items.push({ key: ck, value: v[ck]! });
      m.items.push({ key: n, value: ctx });
    }
  }
  return m;
}

/**
 * The metadata mapping to write, in `layout`. `binaryStore` follows SOPS ≥ 3.11, which
 * writes no default suffix rule for the binary store.
 */
export function metadataTree(md: SopsMetadata, layout: Layout = md.layout, opts: { emptyAsNull?: boolean } = {}): SopsMap {
  const fields: [string, SopsValue, boolean][] = []; // name, value, keep when empty
  const keysOf = (group: MasterKey[], kind: MasterKeyKind) => newList(group.filter((k) => k.kind === kind).map((k) => entryMap(k, layout)));
  if (md.shamirThreshold > 0) fields.push(['shamir_threshold', BigInt(md.shamirThreshold), false]);
  if (md.keyGroups.length > 1) {
    const groups = newList(
      md.keyGroups.map((g) => {
        const m = newMap();
        const order: [MasterKeyKind, boolean][] = [
          ['pgp', false],
          ['kms', false],
          ['gcp_kms', false],
          ['hckms', false],
          ['azure_kv', false],
          ['hc_vault', true],
          ['age', true],
        ];
        for (const [kind, always] of order) {
          const l = keysOf(g, kind);
          if (always || l.items.length) m.items.push({ key: kind, value: l });
        }
        if (layout === 'sorted') m.items.sort((a, b) => ((a as { key: string }).key < (b as { key: string }).key ? -1 : 1));
        return m;
      }),
    );
    fields.push(['key_groups', groups, false]);
  } else {
    const g = md.keyGroups[0] ?? [];
    for (const kind of ['kms', 'gcp_kms', 'hckms', 'azure_kv', 'hc_vault', 'age'] as const) {
      fields.push([kind, keysOf(g, kind), layout === 'legacy' && kind !== 'hckms']);
    }
  }
  fields.push(['lastmodified', md.lastModified, true]);
  fields.push(['mac', md.mac, true]);
  if (md.keyGroups.length <= 1) fields.push(['pgp', keysOf(md.keyGroups[0] ?? [], 'pgp'), layout === 'legacy']);
  if (md.rule) fields.push([md.rule.field, md.rule.value, false]);
  if (md.macOnlyEncrypted) fields.push(['mac_only_encrypted', true, false]);
  fields.push(['version', md.version, true]);
  const m = newMap();
  for (const [name, value, keep] of fields) {
    const empty = value === '' || (isList(value) && value.items.length === 0);
    if (empty && !keep) continue;
    m.items.push({ key: name, value: empty && opts.emptyAsNull && isList(value) ? null : value });
  }
  if (layout === 'sorted') m.items.sort((a, b) => ((a as { key: string }).key < (b as { key: string }).key ? -1 : 1));
  return m;
}
