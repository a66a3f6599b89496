/**
 * A `.hako/secrets.json` left with merge-conflict markers: by hako's merge driver (one marked
 * line per conflicting secret, labelled "production STRIPE_KEY: changed on both sides") or by
 * git's own text merge. Listing the conflicts and keeping one side; parse and edit text only.
 */
import { HakoError } from '../errors.js';

export interface ConflictRegion {
  /** hako's label ("production STRIPE_KEY: …"), or git's ("HEAD") for a plain text merge. */
  label: string;
  start: number;
  mid: number;
  end: number;
}

const START = /^<{7}(?: |$)/;
/** The first marker line of a conflict the merge driver wrote (see secrets-merge.ts). */
export const HAKO_CONFLICT = /^<{7} ours: /m;
const MID = /^={7}$/;
const END = /^>{7}(?: |$)/;

export function hasConflictMarkers(text: string): boolean {
  return text.startsWith('<<<<<<<') || text.includes('\n<<<<<<<');
}

export function conflictRegions(text: string): ConflictRegion[] {
  const lines = text.split('\n');
  const out: ConflictRegion[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!START.test(lines[i]!)) continue;
    let mid = -1;
    let end = -1;
    for (let j = i + 1; j < lines.length; j++) {
      if (mid < 0 && MID.test(lines[j]!)) mid = j;
      else if (mid >= 0 && END.test(lines[j]!)) {
        end = j;
        break;
      } else if (START.test(lines[j]!)) break;
    }
    if (mid < 0 || end < 0) continue;
    out.push({ label: lines[i]!.slice(7).replace(/^ (ours: )?/, ''), start: i, mid, end });
    i = end;
  }
  return out;
}

/** The error every command gives for a file with conflict markers: what conflicts and how to finish. */
export function conflictError(text: string, where: string): HakoError {
  const labels = conflictRegions(text).map((r) => r.label || 'a text conflict');
  const shown = labels.slice(0, 8).join('; ') + (labels.length > 8 ? `; and ${labels.length - 8} more` : '');
  return new HakoError(
    'E_CONFLICT',
    `${where} has ${labels.length || 'unresolved'} merge conflict${labels.length === 1 ? '' : 's'}: ${shown || 'conflict markers'}`,
    'keep one side of each with hako git resolve --ours|--theirs [--env E] [NAME...] (then set what the other side had, if needed, with hako set), check with hako verify, then git add .hako/secrets.json',
  );
}

/**
 * Keeps one side of the conflicts whose label starts with `env` (and names one of `names`),
 * all when both are empty. Returns the new text and how many regions were resolved.
 */
export function resolveConflictText(
  text: string,
  side: 'ours' | 'theirs',
  env?: string,
  names: readonly string[] = [],
): { text: string; resolved: number } {
  const lines = text.split('\n');
  const regions = conflictRegions(text).filter((r) => {
    const [e, n] = r.label.split(':')[0]!.split(' ');
    if (env !== undefined && e !== env) return false;
    if (names.length && (!n || !names.includes(n))) return false;
    return true;
  });
  if (!regions.length) return { text, resolved: 0 };
  const out: string[] = [];
  let at = 0;
  for (const r of regions) {
    out.push(...lines.slice(at, r.start));
    out.push(...(side === 'ours' ? lines.slice(r.start + 1, r.mid) : lines.slice(r.mid + 1, r.end)));
    at = r.end + 1;
  }
  out.push(...lines.slice(at));
  // A side without the line leaves the line before it with a comma that now ends its block.
  let joined = out.join('\n');
  if (!hasConflictMarkers(joined)) joined = joined.replace(/,(\n\s*[}\]])/g, '$1');
  return { text: joined, resolved: regions.length };
}
