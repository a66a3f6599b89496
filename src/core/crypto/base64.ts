/**
 * Strict base64 decoding. Node's decoder skips invalid characters and ignores bad padding;
 * a format that promises "one value, one encoding" must refuse anything but the canonical
 * spelling, or two different strings would decode to the same bytes.
 */

const STD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** ASCII code → 6-bit value, 255 for anything that is not in the alphabet. */
const STD_VALUE = new Uint8Array(128).fill(255);
for (let i = 0; i < STD_ALPHABET.length; i++) STD_VALUE[STD_ALPHABET.charCodeAt(i)] = i;
const URL_NOPAD = /^[A-Za-z0-9_-]*$/;

/**
 * True when `s` is canonical standard padded base64: a multiple of 4 characters from the
 * alphabet, at most two `=` at the end, and the unused low bits of the last character zero
 * (the one spelling Node's encoder gives). No allocation, no regular expression: every
 * value of a secrets file passes through here on each `hako run`.
 */
export function isBase64Strict(s: string): boolean {
  const n = s.length;
  if (n % 4 !== 0) return false;
  let end = n;
  if (n > 0 && s.charCodeAt(n - 1) === 61) end = s.charCodeAt(n - 2) === 61 ? n - 2 : n - 1;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || STD_VALUE[c] === 255) return false;
  }
  const pad = n - end;
  return pad === 0 || (STD_VALUE[s.charCodeAt(end - 1)]! & (pad === 1 ? 0b11 : 0b1111)) === 0;
}

/** The number of bytes a canonical base64 string decodes to. */
export function base64DecodedLength(s: string): number {
  const n = s.length;
  const pad = n > 0 && s.charCodeAt(n - 1) === 61 ? (s.charCodeAt(n - 2) === 61 ? 2 : 1) : 0;
  return (n / 4) * 3 - pad;
}

/** Standard padded base64 → bytes, or null when not canonical. */
export function decodeBase64Strict(s: string): Buffer | null {
  return isBase64Strict(s) ? Buffer.from(s, 'base64') : null;
}

/** Unpadded base64url → bytes, or null when not canonical. */
export function decodeBase64UrlStrict(s: string): Buffer | null {
  if (!URL_NOPAD.test(s) || s.length % 4 === 1) return null;
  const bytes = Buffer.from(s, 'base64url');
  return bytes.toString('base64url') === s ? bytes : null;
}

const STD_NOPAD = /^[A-Za-z0-9+/]*$/;

/** Unpadded standard base64 (age's header encoding) → bytes, or null when not canonical. */
export function decodeBase64NoPadStrict(s: string): Buffer | null {
  if (!STD_NOPAD.test(s) || s.length % 4 === 1) return null;
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64').replace(/=+$/, '') === s ? bytes : null;
}

export function encodeBase64NoPad(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}
