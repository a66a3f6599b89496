/**
 * Streaming redaction: bytes in, bytes out, every secret spelling replaced, also when a
 * program writes a value in pieces.
 *
 * After each chunk, everything is written at once except a tail that could still become a
 * secret: the bytes from the first position where the rest of the chunk is the beginning of
 * some pattern. That tail (shorter than the longest pattern) waits for the next chunk, which
 * either completes the secret (redacted) or shows it is not one (written); at the end of the
 * stream it is written as it is. Holding nothing else means ordinary output (a line ending
 * in a newline, a prompt) is never delayed, and no timer can release half a secret.
 */
import { Matcher, type Pattern } from './matcher.js';
import { isRedactable, redactionForms } from './redaction-forms.js';

const EMPTY = Buffer.alloc(0);

/**
 * The matcher for a set of secrets: every form of every redactable value (all of them with
 * `all`, else not the plainly trivial ones), first name wins.
 */
export function matcherFor(secrets: ReadonlyMap<string, string>, all = false): Matcher {
  const byBytes = new Map<string, Pattern>();
  for (const name of [...secrets.keys()].sort()) {
    const value = secrets.get(name)!;
    if (!isRedactable(value, all)) continue;
    const replacement = Buffer.from(`[REDACTED:${name}]`, 'utf8');
    for (const bytes of redactionForms(value, all)) {
      const key = bytes.toString('latin1');
      if (!byBytes.has(key)) byBytes.set(key, { bytes, replacement });
    }
  }
  return new Matcher(byBytes.values());
}

/**
 * The match at `i` grown by every value that overlaps it and runs past its end (secret A
 * ends with the beginning of secret B, and the output holds both run together): otherwise
 * the part of B after A would be shown. Scans each position inside the growing match once;
 * one replacement per value, in order. Null when, before the end of the stream, a value
 * starting inside the match may still continue past the data (the caller holds from `i`).
 */
export function overlapping(
  m: Matcher,
  data: Buffer,
  i: number,
  first: Pattern,
  final: boolean,
): { end: number; replacements: Buffer[] } | null {
  let end = i + first.bytes.length;
  const replacements = [first.replacement];
  for (let j = i + 1; j < end; j++) {
    const q = m.longestAt(data, j);
    if (q && j + q.bytes.length > end) {
      end = j + q.bytes.length;
      if (!q.replacement.equals(replacements[replacements.length - 1]!)) replacements.push(q.replacement);
    }
    if (!final && m.isProperPrefixAt(data, j)) return null;
  }
  return { end, replacements };
}

export class StreamRedactor {
  private pending: Buffer = EMPTY;

  constructor(private readonly matcher: Matcher) {}

  /** Feeds a chunk; returns the bytes that can be written now (possibly none). */
  push(chunk: Buffer): Buffer {
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    return this.scan(data, false);
  }

  /** The stream ended: returns the held tail, redacted. */
  end(): Buffer {
    const data = this.pending;
    this.pending = EMPTY;
    return data.length ? this.scan(data, true) : EMPTY;
  }

  private scan(data: Buffer, final: boolean): Buffer {
    const m = this.matcher;
    const n = data.length;
    const allFit = n - m.maxLength + 1; // from here on, a pattern may run past the data
    const pieces: Buffer[] = [];
    let last = 0; // start of the bytes not yet written
    let hold = n; // where the tail kept for the next chunk begins
    let i = 0;
    while ((i = m.nextCandidate(data, i, n - 2)) >= 0) {
      if (!final && i >= allFit && m.isProperPrefixAt(data, i)) {
        hold = i;
        break;
      }
      const p = m.longestAt(data, i);
      if (p) {
        const found = overlapping(m, data, i, p, final);
        if (found === null) {
          hold = i; // a value overlapping this one may still run past the end of the data
          break;
        }
        if (i > last) pieces.push(data.subarray(last, i));
        pieces.push(...found.replacements);
        i = found.end;
        last = i;
      } else {
        i++;
      }
    }
    if (!final && hold === n) {
      // The last two positions have no three-byte window; they only ever need holding.
      for (let j = Math.max(last, n - 2); j < n; j++) {
        if (m.isProperPrefixAt(data, j)) {
          hold = j;
          break;
        }
      }
    }
    this.pending = hold < n ? Buffer.from(data.subarray(hold)) : EMPTY;
    if (pieces.length === 0) return data.subarray(0, hold);
    if (hold > last) pieces.push(data.subarray(last, hold));
    return Buffer.concat(pieces);
  }
}
