/**
 * What output redaction looks for: the spellings a value takes when a program prints it.
 *
 * For each value: the raw UTF-8 bytes; base64 and base64url, each padded and unpadded; hex in
 * lower and upper case; URL-encoded three ways (encodeURIComponent, form encoding with `+`
 * for spaces, RFC 3986 strict); JSON-escaped three ways (JSON.stringify, with non-ASCII as
 * \uXXXX as Python writes it, and additionally `/` as `\/` as PHP writes it). Identical
 * spellings are kept once. The encodings are of the whole value, as a program encoding
 * that value on its own writes them; a value encoded inside a larger blob is not found.
 *
 * Minimum length: a value with fewer than MIN_REDACT_CHARS characters (not counting
 * whitespace) is not redacted, since `[REDACTED:PORT]` in place of every "80" would make the
 * output unreadable and protect nothing a three-character value could hide.
 */

export const MIN_REDACT_CHARS = 4;
const UNRESERVED = /^[A-Za-z0-9._~-]*$/;

/** True when `value` is long enough to be redacted (see the rule above). */
export function isRedactable(value: string): boolean {
  let n = 0;
  for (const ch of value) {
    if (!/\s/u.test(ch) && ++n >= MIN_REDACT_CHARS) return true;
  }
  return false;
}

/** Every distinct spelling of `value` that redaction replaces, as bytes. */
export function redactionForms(value: string): Buffer[] {
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
    spellings.push(
      encodeURIComponent(value),
      new URLSearchParams([['', value]]).toString().slice(1),
      strictPercentEncode(raw),
      json,
      jsonAscii,
      jsonAscii.replace(/\//g, '\\/'),
    );
  }
  const seen = new Set<string>();
  const out: Buffer[] = [];
  for (const s of spellings) {
    if (seen.has(s)) continue;
    seen.add(s);
    out.push(s === value ? raw : Buffer.from(s, 'utf8'));
  }
  return out;
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
