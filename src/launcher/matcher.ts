/**
 * A multi-pattern byte matcher built for throughput on output that rarely holds a secret.
 *
 * Two filters keep the hot loop cheap. Wu–Manber skipping: with m the shortest pattern
 * length, a window of m bytes is judged by its last three; a shift table (hashed) says how
 * far the window can move without passing the start of any pattern, so ordinary text is
 * crossed several bytes per step. Where the shift is zero, a bit set over all 2^24
 * three-byte prefixes says in one read whether a pattern can start at the window. Only then
 * are the patterns sharing the first four bytes (longest first) compared in full. Matches
 * are leftmost-longest. Every pattern is at least 4 bytes long.
 *
 * The same tables answer the question streaming needs at the end of a chunk: can the bytes
 * from here to the end be the beginning of some pattern (so they must wait for more)?
 */

export interface Pattern {
  readonly bytes: Buffer;
  /** What replaces a match, e.g. `[REDACTED:DATABASE_URL]`. */
  readonly replacement: Buffer;
}

export const MIN_PATTERN_BYTES = 4;
/** Shortest window for which skipping beats looking at every byte (measured). */
const SKIP_FROM = 8;
const SHIFT_BITS = 18;
const SHIFT_MASK = (1 << SHIFT_BITS) - 1;

/** The shift-table slot of the three bytes a, b, c. */
function blockHash(a: number, b: number, c: number): number {
  return ((a << 12) ^ (b << 6) ^ c) & SHIFT_MASK;
}

export class Matcher {
  readonly maxLength: number;
  /** The window of the skip loop: the shortest pattern length (at most 255). */
  private readonly window: number;
  /** How far a window whose last three bytes hash here may move (Wu–Manber SHIFT). */
  private readonly shift = new Uint8Array(1 << SHIFT_BITS);
  /** Bit i set when some pattern starts with the 3 bytes whose big-endian value is i. */
  private readonly tri = new Uint8Array(1 << 21);
  private readonly first1 = new Uint8Array(256);
  private readonly first2 = new Uint8Array(1 << 16);
  /** First 4 bytes (as int32) → patterns starting with them, longest first. */
  private readonly buckets = new Map<number, Pattern[]>();

  constructor(patterns: Iterable<Pattern>) {
    const all = [...patterns];
    let max = 0;
    let min = 255;
    for (const p of all) min = Math.min(min, p.bytes.length);
    this.window = min;
    this.shift.fill(min - 2);
    for (const p of all) {
      const b = p.bytes;
      if (b.length < MIN_PATTERN_BYTES) throw new RangeError('pattern shorter than 4 bytes');
      const t = (b[0]! << 16) | (b[1]! << 8) | b[2]!;
      this.tri[t >>> 3]! |= 1 << (t & 7);
      this.first1[b[0]!] = 1;
      this.first2[(b[0]! << 8) | b[1]!] = 1;
      const key = b.readInt32BE(0);
      const list = this.buckets.get(key);
      if (list) list.push(p);
      else this.buckets.set(key, [p]);
      if (b.length > max) max = b.length;
      for (let j = 2; j < min; j++) {
        const h = blockHash(b[j - 2]!, b[j - 1]!, b[j]!);
        if (this.shift[h]! > min - 1 - j) this.shift[h] = min - 1 - j;
      }
    }
    for (const list of this.buckets.values()) list.sort((x, y) => y.bytes.length - x.bytes.length);
    this.maxLength = max;
  }

  /**
   * The first position in [from, to) where some pattern may start (its first three bytes
   * are a pattern's), or -1. Positions need three readable bytes: `to` ≤ data.length - 2.
   */
  nextCandidate(data: Uint8Array, from: number, to: number): number {
    // Windows of m bytes that fit in the data: skip by the shift of their last three bytes.
    // With short windows the skips are too small to pay for themselves: scan every byte.
    const full = this.window >= SKIP_FROM ? Math.min(to, data.length - this.window + 1) : from;
    const i = full > from ? this.skipToCandidate(data, from, full) : -1;
    if (i >= 0) return i;
    return this.scanToCandidate(data, Math.max(from, full), to);
  }

  private skipToCandidate(data: Uint8Array, from: number, to: number): number {
    const tri = this.tri;
    const shift = this.shift;
    const last = this.window - 1;
    let i = from;
    while (i < to) {
      const e = i + last;
      const s = shift[blockHash(data[e - 2]!, data[e - 1]!, data[e]!)]!;
      if (s !== 0) {
        i += s;
        continue;
      }
      const h = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
      if ((tri[h >>> 3]! & (1 << (h & 7))) !== 0) return i;
      i++;
    }
    return -1;
  }

  /** Every position, with a rolling 24-bit window over the bit set. */
  private scanToCandidate(data: Uint8Array, from: number, to: number): number {
    if (from >= to) return -1;
    const tri = this.tri;
    let h = (data[from]! << 8) | data[from + 1]!;
    for (let i = from; i < to; i++) {
      h = ((h << 8) | data[i + 2]!) & 0xffffff;
      if ((tri[h >>> 3]! & (1 << (h & 7))) !== 0) return i;
    }
    return -1;
  }

  /** The longest pattern that starts at `i` and ends within `data`, or null. */
  longestAt(data: Uint8Array, i: number): Pattern | null {
    const n = data.length;
    if (i + MIN_PATTERN_BYTES > n) return null;
    const list = this.buckets.get((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]! | 0);
    if (!list) return null;
    for (const p of list) {
      const len = p.bytes.length;
      if (i + len <= n && equalAt(data, i, p.bytes, MIN_PATTERN_BYTES, len)) return p;
    }
    return null;
  }

  /** True when data[i..] is shorter than some pattern and that pattern begins with it. */
  isProperPrefixAt(data: Uint8Array, i: number): boolean {
    const r = data.length - i;
    if (r <= 0) return false;
    if (r === 1) return this.first1[data[i]!] === 1;
    if (r === 2) return this.first2[(data[i]! << 8) | data[i + 1]!] === 1;
    const t = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
    if ((this.tri[t >>> 3]! & (1 << (t & 7))) === 0) return false;
    if (r === 3) return true; // every pattern is longer than 3 bytes
    const list = this.buckets.get((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]! | 0);
    if (!list) return false;
    for (const p of list) {
      if (p.bytes.length > r && equalAt(data, i, p.bytes, MIN_PATTERN_BYTES, r)) return true;
    }
    return false;
  }
}

/** data[i+from .. i+to) equals pattern[from .. to). */
function equalAt(data: Uint8Array, i: number, pattern: Uint8Array, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (data[i + k] !== pattern[k]) return false;
  return true;
}
