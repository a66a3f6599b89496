/**
 * "Did you mean …?": the candidates closest to a mistyped word, by edit distance with
 * transpositions (`exprot` is one edit from `export`). Only near misses are offered.
 */

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > 3) return Math.abs(a.length - b.length);
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidates within reach of `word` (at most 2 edits, and fewer than half its length),
 * nearest first; a candidate that starts with `word` (an abbreviation) also counts.
 */
export function closest(word: string, candidates: Iterable<string>): string[] {
  if (word.length === 0 || word.length > 64) return [];
  const limit = Math.min(2, Math.max(1, Math.floor(word.length / 2)));
  const scored: [string, number][] = [];
  for (const c of new Set(candidates)) {
    if (c === word) continue;
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist <= limit || (word.length >= 3 && c.startsWith(word))) scored.push([c, dist]);
  }
  return scored.sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1)).map(([c]) => c);
}

/** ` (did you mean X?)`-style text, or '' when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>, show: (c: string) => string = (c) => c): string {
  const near = closest(word, candidates).slice(0, 3);
  if (near.length === 0) return '';
  return `did you mean ${near.map(show).join(' or ')}?`;
}
