/**
 * What output redaction looks for: the spellings a value takes when a program prints it.
 *
 * For each value: the raw UTF-8 bytes; base64 and base64url, each padded and unpadded; hex in
 * lower and upper case; URL-encoded five ways (encodeURIComponent, form encoding with `+` for
 * spaces, RFC 3986 strict, Python's urllib.parse.quote which leaves `/`, and quote_plus);
 * JSON-escaped four ways (JSON.stringify; with non-ASCII as \uXXXX as Python writes it; that
 * and `/` as `\/` as PHP writes it; `&`, `<`, `>`, U+2028/9 as \u0026 … as Go writes it).
 * A value with whitespace at either end (read from a file with its final newline, say) is
 * also looked for trimmed, with the same spellings, since programs print it trimmed.
 * Identical spellings are kept once. The encodings are of the whole value, as a program
 * encoding that value on its own writes them; a value encoded inside a larger blob is not
 * found.
 *
 * What is not redacted (isRedactable), so output stays readable:
 * - a value with fewer than MIN_REDACT_CHARS characters, not counting whitespace: `[REDACTED:PORT]`
 *   in place of every "80" would make the output unreadable and protect nothing;
 * - unless every value is asked for (`hako run --redact-all`), a value that is plainly not a
 *   secret: a number of at most 5 digits (ports, timeouts, counts: 5432, 8080, 30, 0.5), a
 *   boolean or switch word (true, false, yes, no, on, off, enabled, disabled, null, none), a
 *   local host (localhost, 127.0.0.1, ::1, 0.0.0.0), an environment or log-level word
 *   (development, production, staging, test, debug, info, warn, error). Compared
 *   without case and surrounding whitespace.
 */

export const MIN_REDACT_CHARS = 4;
const UNRESERVED = /^[A-Za-z0-9._~-]*$/;
const SMALL_NUMBER = /^[+-]?\d{1,5}(\.\d{1,5})?$/;
const TRIVIAL: ReadonlySet<string> = new Set(
  (
    'true false yes no on off enabled disabled enable disable null none nil undefined ' +
    'localhost 127.0.0.1 ::1 0.0.0.0 localhost.localdomain ' +
    'development develop dev production prod staging stage test testing local ci ' +
    'debug info warn warning error fatal trace verbose silent'
  ).split(' '),
);

/** True when `value` is plainly not a secret (see the rule above). */
export function isTrivialValue(value: string): boolean {
  const v = value.trim().toLowerCase();
  return SMALL_NUMBER.test(v) || TRIVIAL.has(v);
}

/** True when `value` is redacted: long enough, and (unless `all`) not plainly trivial. */
export function isRedactable(value: string, all = false): boolean {
  let n = 0;
  let long = false;
  for (const ch of value) {
    if (!/\s/u.test(ch) && ++n >= MIN_REDACT_CHARS) {
      long = true;
      break;
    }
  }
  return long && (all || !isTrivialValue(value));
}

/** Every distinct spelling of `value` (and of it trimmed) that redaction replaces, as bytes. */
export function redactionForms(value: string, all = false): Buffer[] {
  const seen = new Set<string>();
  const out: Buffer[] = [];
  const trimmed = value.trim();
  for (const v of trimmed !== value && isRedactable(trimmed, all) ? [value, trimmed] : [value]) {
    for (const s of spellingsOf(v)) {
      if (seen.has(s)) continue;
      seen.add(s);
      out.push(Buffer.from(s, 'utf8'));
    }
  }
  return out;
}

function spellingsOf(value: string): string[] {
  const raw = Buffer.from(value, 'utf8');
  const base64 = raw.toString('base64');
  const base64url = raw.toString('base64url');
  const hex = raw.toString('hex');
  const spellings = [
    value,
    base64,
    base64.replace(/=+$/, ''),
    base64url,
    base64url + '='.repeat((4 - (base64url.length % 4)) % 4),
    hex,
    hex.toUpperCase(),
  ];
  // Letters, digits and -._~ need no URL or JSON escaping: those spellings are the value.
  if (!UNRESERVED.test(value)) {
    const json = JSON.stringify(value).slice(1, -1);
    const jsonAscii = json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const strict = strictPercentEncode(raw);
    spellings.push(
      encodeURIComponent(value),
      new URLSearchParams([['', value]]).toString().slice(1),
      strict,
      strict.replace(/%2F/g, '/'), // Python urllib.parse.quote (safe="/")
      strict.replace(/%20/g, '+'), // Python urllib.parse.quote_plus
      json,
      jsonAscii,
      jsonAscii.replace(/\//g, '\\/'),
      json.replace(/[&<>\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), // Go encoding/json
    );
  }
  return spellings;
}

/** RFC 3986: everything but ALPHA / DIGIT / "-" / "." / "_" / "~" as %XX. */
function strictPercentEncode(raw: Buffer): string {
  let out = '';
  for (const b of raw) {
    const unreserved =
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x2d ||
      b === 0x2e ||
      b === 0x5f ||
      b === 0x7e;
    out += unreserved ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
