/**
 * The recipient of an age X25519 identity, with node:crypto and a small Bech32 codec, so the
 * long-running agent need not load the age library (about 8 MB of resident memory) just to
 * know its own recipient; it loads it only to open an environment that arrives.
 *
 * AGE-SECRET-KEY-1… is Bech32 (BIP 173, not Bech32m) of the 32-byte X25519 scalar with the
 * prefix "age-secret-key-", upper-cased; the recipient age1… is Bech32 of the public key with
 * the prefix "age". Checked against age-encryption in test/agent-units.test.ts.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i]!;
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (const c of hrp) out.push(c.charCodeAt(0) >> 5);
  out.push(0);
  for (const c of hrp) out.push(c.charCodeAt(0) & 31);
  return out;
}

function convertBits(data: Iterable<number>, from: number, to: number, pad: boolean): number[] | null {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const max = (1 << to) - 1;
  for (const v of data) {
    acc = (acc << from) | v;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & max);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & max);
  } else if (bits >= from || ((acc << (to - bits)) & max) !== 0) {
    return null;
  }
  return out;
}

export function bech32Encode(hrp: string, bytes: Uint8Array): string {
  const data = convertBits(bytes, 8, 5, true)!;
  const mod = polymod([...hrpExpand(hrp), ...data, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = Array.from({ length: 6 }, (_, i) => (mod >>> (5 * (5 - i))) & 31);
  return `${hrp}1${[...data, ...checksum].map((d) => CHARSET[d]).join('')}`;
}

/** The bytes of a Bech32 string with prefix `hrp` (case-insensitive), or null. */
export function bech32Decode(text: string, hrp: string): Buffer | null {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) return null;
  const s = text.toLowerCase();
  const sep = s.lastIndexOf('1');
  if (s.slice(0, sep) !== hrp || s.length - sep - 1 < 6) return null;
  const data: number[] = [];
  for (const c of s.slice(sep + 1)) {
    const d = CHARSET.indexOf(c);
    if (d < 0) return null;
    data.push(d);
  }
  if (polymod([...hrpExpand(hrp), ...data]) !== 1) return null;
  const bytes = convertBits(data.slice(0, -6), 5, 8, false);
  return bytes ? Buffer.from(bytes) : null;
}

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** age1… for an AGE-SECRET-KEY-1… identity; null when the identity is not one. */
export function x25519Recipient(identity: string): string | null {
  const scalar = bech32Decode(identity, 'age-secret-key-');
  if (!scalar || scalar.length !== 32) return null;
  try {
    const priv = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, scalar]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' });
    return bech32Encode('age', spki.subarray(spki.length - 32));
  } finally {
    scalar.fill(0);
  }
}
