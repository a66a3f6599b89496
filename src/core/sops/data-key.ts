/**
 * The data key of a SOPS file and its key groups.
 *
 * One group: every master key in it holds the whole 32-byte data key, and any one of them
 * opens the file. Several groups: the data key is split with Shamir's scheme over GF(2^8)
 * (the AES field, as SOPS's HashiCorp-Vault-derived code has it): each share is 32 bytes
 * followed by its x coordinate, every master key of group i holds share i, and
 * `shamir_threshold` shares (0 means all groups) rebuild the key. Splitting and combining
 * use the audited `shamir-secret-sharing` package, which has the same share layout; SOPS
 * reads shares at any x coordinate.
 *
 * How a master key is opened or made is not decided here: the caller passes functions for
 * that (age, PGP through gpg), so this module stays free of I/O.
 */
import { randomBytes } from 'node:crypto';
import { masterKeyId, type MasterKey, type MasterKeyKind, type SopsMetadata } from './metadata.js';

/** Opens one master key: its payload, or null when this machine cannot (not an error). */
export type Unwrap = (key: MasterKey) => Promise<Uint8Array | null>;

/** Makes a master key entry (with `enc`) for a recipient from a payload. */
export type Wrap = (recipient: Recipient, payload: Uint8Array) => Promise<MasterKey>;

export interface Recipient {
  kind: MasterKeyKind;
  /** age recipient, PGP fingerprint, or for kept keys the entry itself. */
  id: string;
  /** An existing entry to keep as it is (a KMS key when the data key did not change). */
  keep?: MasterKey;
}

export class DataKeyError extends Error {
  constructor(
    message: string,
    /** Per master key tried: why it did not open. */
    readonly tried: { kind: MasterKeyKind; id: string; reason: string }[],
  ) {
    super(message);
  }
}

export const DEFAULT_DECRYPTION_ORDER: MasterKeyKind[] = ['age', 'pgp'];

function ordered(group: MasterKey[], order: readonly string[]): MasterKey[] {
  const rank = (k: MasterKey) => {
    const i = order.indexOf(k.kind);
    return i < 0 ? order.length : i;
  };
  return group
    .map((k, i) => ({ k, i }))
    .sort((a, b) => rank(a.k) - rank(b.k) || a.i - b.i)
    .map((x) => x.k);
}

async function openGroup(
  group: MasterKey[],
  unwrap: Unwrap,
  order: readonly string[],
  tried: DataKeyError['tried'],
): Promise<Uint8Array | null> {
  for (const k of ordered(group, order)) {
    try {
      const payload = await unwrap(k);
      if (payload) return payload;
      tried.push({ kind: k.kind, id: masterKeyId(k), reason: 'no matching key on this machine' });
    } catch (err) {
      tried.push({ kind: k.kind, id: masterKeyId(k), reason: (err as Error).message });
    }
  }
  return null;
}

/** Recovers the data key from the metadata's key groups. Throws DataKeyError. */
export async function recoverDataKey(
  md: SopsMetadata,
  unwrap: Unwrap,
  order: readonly string[] = DEFAULT_DECRYPTION_ORDER,
): Promise<Uint8Array> {
  const tried: DataKeyError['tried'] = [];
  if (md.keyGroups.length === 1) {
    const key = await openGroup(md.keyGroups[0]!, unwrap, order, tried);
    if (!key) throw new DataKeyError('no master key of the file could be opened', tried);
    if (key.length !== 32) throw new DataKeyError('a master key holds something that is not a 32-byte data key', tried);
    return key;
  }
  const threshold = md.shamirThreshold > 0 ? md.shamirThreshold : md.keyGroups.length;
  const shares: Uint8Array[] = [];
  for (const group of md.keyGroups) {
    if (shares.length >= threshold) break;
    const share = await openGroup(group, unwrap, order, tried);
    if (share) shares.push(new Uint8Array(share));
  }
  if (shares.length < threshold) {
    throw new DataKeyError(`only ${shares.length} of the ${threshold} key groups needed could be opened`, tried);
  }
  const { combine } = await import('shamir-secret-sharing');
  let key: Uint8Array;
  try {
    key = shares.length === 1 ? shares[0]!.subarray(0, -1) : await combine(shares);
  } catch (err) {
    throw new DataKeyError(`the key group shares do not combine (${(err as Error).message})`, tried);
  }
  if (key.length !== 32) throw new DataKeyError('the key group shares do not make a 32-byte data key', tried);
  return key;
}

export function newDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

/**
 * Wraps a data key for key groups: the key itself for one group, a Shamir share per group
 * otherwise. Kept entries are reused as they are (only valid when the data key did not
 * change: the caller decides).
 */
export async function wrapDataKey(dataKey: Uint8Array, groups: Recipient[][], threshold: number, wrap: Wrap): Promise<MasterKey[][]> {
  let payloads: Uint8Array[];
  if (groups.length <= 1) payloads = [dataKey];
  else {
    const t = threshold > 0 ? Math.min(threshold, groups.length) : groups.length;
    if (t < 2) throw new Error('a Shamir threshold must be at least 2');
    const { split } = await import('shamir-secret-sharing');
    payloads = await split(new Uint8Array(dataKey), groups.length, t);
  }
  const out: MasterKey[][] = [];
  for (let i = 0; i < groups.length; i++) {
    const group: MasterKey[] = [];
    for (const r of groups[i]!) group.push(r.keep ?? (await wrap(r, payloads[i]!)));
    out.push(group);
  }
  return out;
}
