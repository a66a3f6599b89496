/**
 * Opening an age file encrypted to this server's X25519 recipient, with node:crypto only.
 *
 * The long-running agent opens an environment key each time an environment arrives. The age
 * library (with its curve and post-quantum code) would stay resident afterwards, about 8 MB
 * of a 60 MB budget, so the agent opens the one stanza type its own identity can have itself,
 * following the age v1 specification (age-encryption.org/v1):
 *
 * - header: "age-encryption.org/v1\n", stanzas "-> TYPE ARGS…\n" with a base64 body (no
 *   padding, lines of 64 characters, the last one shorter), then "--- " + base64 HMAC;
 * - X25519 stanza "-> X25519 <share>": shared = X25519(identity, share); wrap key =
 *   HKDF-SHA256(shared, salt = share ‖ recipient, "age-encryption.org/v1/X25519"); the body
 *   is the 16-byte file key under ChaCha20-Poly1305 with a zero nonce;
 * - header MAC = HMAC-SHA256(HKDF(file key, "", "header"), header up to "---");
 * - payload: a 16-byte nonce, then 64 KiB chunks under ChaCha20-Poly1305 with the key
 *   HKDF(file key, nonce, "payload") and nonce = 11-byte counter ‖ last-chunk flag.
 * Anything malformed, or a MAC or tag that does not verify, is null: the caller reports it
 * as a damaged entry. Checked against files made by age-encryption (test/agent-units.test.ts).
 */
import { createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, timingSafeEqual } from 'node:crypto';
import { bech32Decode } from './x25519-identity.js';

const INTRO = 'age-encryption.org/v1\n';
const CHUNK = 64 * 1024;
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const B64 = /^[A-Za-z0-9+/]*$/;

function b64(text: string, bytes?: number): Buffer | null {
  if (!B64.test(text) || text.length % 4 === 1) return null;
  const out = Buffer.from(text, 'base64');
  if (out.toString('base64').replace(/=+$/, '') !== text) return null; // canonical, unpadded
  return bytes === undefined || out.length === bytes ? out : null;
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

function chachaOpen(key: Buffer, nonce: Buffer, sealed: Buffer): Buffer | null {
  if (sealed.length < 16) return null;
  try {
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
  } catch {
    return null;
  }
}

interface Stanza {
  type: string;
  args: string[];
  body: Buffer;
}

/** Parses the header; returns the stanzas, the bytes the MAC covers, the MAC and the payload. */
function parseHeader(file: Buffer): { stanzas: Stanza[]; macInput: Buffer; mac: Buffer; payload: Buffer } | null {
  if (!file.subarray(0, INTRO.length).equals(Buffer.from(INTRO, 'latin1'))) return null;
  let pos = INTRO.length;
  const line = (): string | null => {
    const nl = file.indexOf(10, pos);
    if (nl < 0) return null;
    const text = file.subarray(pos, nl).toString('latin1');
    pos = nl + 1;
    return /^[\x20-\x7e]*$/.test(text) ? text : null;
  };
  const stanzas: Stanza[] = [];
  for (let guard = 0; guard < 64; guard++) {
    const start = pos;
    const l = line();
    if (l === null) return null;
    if (l.startsWith('--- ')) {
      const mac = b64(l.slice(4), 32);
      if (!mac) return null;
      return { stanzas, macInput: file.subarray(0, start + 3), mac, payload: file.subarray(pos) };
    }
    if (!l.startsWith('-> ')) return null;
    const [type, ...args] = l.slice(3).split(' ');
    if (!type) return null;
    const parts: Buffer[] = [];
    for (;;) {
      const bodyLine = line();
      if (bodyLine === null || bodyLine.length > 64) return null;
      const bytes = b64(bodyLine);
      if (!bytes) return null;
      parts.push(bytes);
      if (bodyLine.length < 64) break;
    }
    stanzas.push({ type, args, body: Buffer.concat(parts) });
  }
  return null;
}

/** The payload of an age file encrypted to the X25519 `identity` (AGE-SECRET-KEY-1…), or null. */
export function openAgeX25519(file: Buffer, identity: string): Buffer | null {
  const scalar = bech32Decode(identity, 'age-secret-key-');
  if (!scalar || scalar.length !== 32) return null;
  try {
    const header = parseHeader(file);
    if (!header) return null;
    const priv = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, scalar]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' });
    const ours = spki.subarray(spki.length - 32);
    let fileKey: Buffer | null = null;
    for (const s of header.stanzas) {
      if (s.type !== 'X25519') continue;
      const share = s.args.length === 1 ? b64(s.args[0]!, 32) : null;
      if (!share || s.body.length !== 32) return null;
      let shared: Buffer;
      try {
        shared = diffieHellman({
          privateKey: priv,
          publicKey: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, share]), format: 'der', type: 'spki' }),
        });
      } catch {
        return null;
      }
      if (shared.every((b) => b === 0)) return null;
      const key = chachaOpen(hkdf(shared, Buffer.concat([share, ours]), 'age-encryption.org/v1/X25519'), Buffer.alloc(12), s.body);
      shared.fill(0);
      if (key && key.length === 16) {
        fileKey = key;
        break;
      }
    }
    if (!fileKey) return null;
    const mac = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
      .update(header.macInput)
      .digest();
    if (!timingSafeEqual(mac, header.mac)) return null;
    const p = header.payload;
    if (p.length < 16 + 16) return null;
    const payloadKey = hkdf(fileKey, p.subarray(0, 16), 'payload');
    const chunks: Buffer[] = [];
    let off = 16;
    for (let counter = 0; off < p.length; counter++) {
      const end = Math.min(off + CHUNK + 16, p.length);
      const last = end === p.length;
      const nonce = Buffer.alloc(12);
      nonce.writeUIntBE(counter, 5, 6);
      nonce[11] = last ? 1 : 0;
      const plain = chachaOpen(payloadKey, nonce, p.subarray(off, end));
      if (!plain || (last && plain.length === 0 && counter > 0)) return null;
      chunks.push(plain);
      off = end;
    }
    return Buffer.concat(chunks);
  } finally {
    scalar.fill(0);
  }
}
