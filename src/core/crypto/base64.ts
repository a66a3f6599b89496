/**
 * Strict base64 decoding. Node's decoder skips invalid characters and ignores bad padding;
 * a format that promises "one value, one encoding" must refuse anything but the canonical
 * spelling, or two different strings would decode to the same bytes.
 */

const STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_NOPAD = /^[A-Za-z0-9_-]*$/;

/** Standard padded base64 → bytes, or null when not canonical. */
export function decodeBase64Strict(s: string): Buffer | null {
  if (!STD.test(s)) return null;
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s ? bytes : null;
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
