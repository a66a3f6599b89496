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

/** The matcher for a set of secrets: every form of every long-enough value, first name wins. */
export function matcherFor(secrets: ReadonlyMap<string, string>): Matcher {
  const byBytes = new Map<string, Pattern>();
  for (const name of [...secrets.keys()].sort()) {
    const value = secrets.get(name)!;
    if (!isRedactable(value)) continue;
    const replacement = Buffer.from(`[REDACTED:${name}]`, 'utf8');
    for (const bytes of redactionForms(value)) {
      const key = bytes.toString('latin1');
      if (!byBytes.has(key)) byBytes.set(key, { bytes, replacement });
    }
  }
  return new Matcher(byBytes.values());
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
        if (i > last) pieces.push(data.subarray(last, i));
        pieces.push(p.replacement);
        i += p.bytes.length;
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
