/**
 * Per-secret metadata: when a value expires and how often it should be rotated.
 *
 * In the file a secret with metadata is a one-line object next to its value; the same fields
 * in a fixed text form are part of the value's additional data, so moving an expiry by hand
 * makes the value fail to open. Parse and encode only.
 *
 *   meta text: "expires=2027-03-01;rotate_every=90d" (present fields, in this order; "" for none)
 */
export interface SecretMeta {
  /** YYYY-MM-DD (UTC): after this day the secret is expired. */
  expires?: string;
  /** Days between rotations, e.g. "90d"; setting the value moves `expires` this far ahead. */
  rotateEvery?: string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const PERIOD = /^([1-9]\d{0,4})d$/;

/** A real calendar day in YYYY-MM-DD form. */
export function isIsoDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export function isPeriod(s: string): boolean {
  return PERIOD.test(s);
}

export function periodDays(s: string): number {
  return Number(PERIOD.exec(s)![1]);
}

export function isEmptyMeta(m: SecretMeta | undefined): boolean {
  return !m || (m.expires === undefined && m.rotateEvery === undefined);
}

/** The canonical text bound into a value's additional data. */
export function metaText(m: SecretMeta | undefined): string {
  if (!m) return '';
  const parts: string[] = [];
  if (m.expires !== undefined) parts.push(`expires=${m.expires}`);
  if (m.rotateEvery !== undefined) parts.push(`rotate_every=${m.rotateEvery}`);
  return parts.join(';');
}

/** The day `days` after `from` (YYYY-MM-DD). */
export function addDays(from: string, days: number): string {
  const d = new Date(`${from}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
