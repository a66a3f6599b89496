/**
 * OpenSSH key encodings, parse only, ed25519 only (what the age `ssh-ed25519` stanza needs):
 * - a public key line `ssh-ed25519 <base64 of the wire key> [comment]` (authorized_keys / .pub);
 * - a private key file `-----BEGIN OPENSSH PRIVATE KEY-----` (OpenSSH PROTOCOL.key,
 *   "openssh-key-v1"), unencrypted. An encrypted one still shows its public key (OpenSSH keeps
 *   it in the clear), so a caller can tell whether it would have been the right key.
 *
 * The wire key is SSH's own encoding, string("ssh-ed25519") ‖ string(32-byte key), each string
 * a uint32 big-endian length and its bytes. Parsing is strict: lengths, trailing bytes, the
 * check integers and the padding are verified; messages never quote key material.
 */
import { displayText } from '../display.js';
import { HakoError } from '../errors.js';
import { decodeBase64Strict } from '../crypto/base64.js';

export const SSH_ED25519 = 'ssh-ed25519';

export interface SshEd25519PublicKey {
  /** The 32-byte Ed25519 public key. */
  key: Uint8Array;
  /** The SSH wire encoding of the public key (what fingerprints and the age tag hash). */
  wire: Uint8Array;
  /** Canonical text: `ssh-ed25519 <base64>`, no comment. */
  line: string;
}

export type OpenSshPrivateKey =
  | { kind: 'ed25519'; seed: Uint8Array; publicKey: SshEd25519PublicKey }
  | { kind: 'encrypted'; publicKey: SshEd25519PublicKey | null; keyType: string }
  | { kind: 'unsupported'; keyType: string };

const PEM_BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const PEM_END = '-----END OPENSSH PRIVATE KEY-----';
const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');

export function looksLikeOpenSshPrivateKey(text: string): boolean {
  return text.trimStart().startsWith(PEM_BEGIN);
}

/** Reads SSH wire fields, throwing `fail()` on any overrun. */
class WireReader {
  private off = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly fail: () => never,
  ) {}
  uint32(): number {
    if (this.off + 4 > this.buf.length) this.fail();
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }
  bytes(): Buffer {
    const n = this.uint32();
    if (n > this.buf.length - this.off) this.fail();
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }
  text(): string {
    return this.bytes().toString('latin1');
  }
  rest(): Buffer {
    const v = this.buf.subarray(this.off);
    this.off = this.buf.length;
    return v;
  }
  get done(): boolean {
    return this.off === this.buf.length;
  }
}

function wireString(bytes: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

export function ed25519PublicKeyFromBytes(key: Uint8Array): SshEd25519PublicKey {
  const wire = Buffer.concat([wireString(Buffer.from(SSH_ED25519, 'latin1')), wireString(key)]);
  return { key: Uint8Array.from(key), wire, line: `${SSH_ED25519} ${wire.toString('base64')}` };
}

/** The key type of a wire-encoded public key, and the ed25519 key when it is one. */
function parseWirePublicKey(wire: Buffer, fail: () => never): { keyType: string; ed25519: SshEd25519PublicKey | null } {
  const r = new WireReader(wire, fail);
  const keyType = r.text();
  if (keyType !== SSH_ED25519) return { keyType, ed25519: null };
  const key = r.bytes();
  if (key.length !== 32 || !r.done) fail();
  return { keyType, ed25519: ed25519PublicKeyFromBytes(key) };
}

/** Parses `ssh-ed25519 AAAA… [comment]`. Other SSH key types are refused by name. */
export function parseSshPublicKeyLine(text: string): SshEd25519PublicKey {
  const fail = (): never => {
    throw new HakoError(
      'E_AGE',
      'malformed ssh-ed25519 public key',
      'give the whole line of the .pub file, e.g. "ssh-ed25519 AAAAC3Nza… you@host"',
    );
  };
  const parts = text.trim().split(/[ \t]+/);
  const [type, b64] = parts;
  if (type !== SSH_ED25519) {
    throw new HakoError(
      'E_AGE',
      `unsupported SSH key type "${displayText(type ?? '', 24)}"`,
      'hako takes ssh-ed25519 keys (ssh-keygen -t ed25519) and age recipients (hako keygen)',
    );
  }
  const wire = b64 === undefined ? null : decodeBase64Strict(b64);
  if (!wire) return fail();
  const parsed = parseWirePublicKey(wire, fail);
  if (parsed.keyType !== SSH_ED25519 || !parsed.ed25519) return fail();
  return parsed.ed25519;
}

/** Parses an OpenSSH private key file. `where` names it in messages (a path or variable). */
export function parseOpenSshPrivateKey(text: string, where: string): OpenSshPrivateKey {
  const fail = (): never => {
    throw new HakoError(
      'E_AGE',
      `${where}: malformed OpenSSH private key`,
      'check the file is a whole, unmodified key written by ssh-keygen',
    );
  };
  const lines = text
    .replace(/\r\n/g, '\n')
    .trim()
    .split('\n')
    .map((l) => l.trim());
  if (lines[0] !== PEM_BEGIN || lines[lines.length - 1] !== PEM_END) return fail();
  const body = decodeBase64Strict(lines.slice(1, -1).join(''));
  if (!body || body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) return fail();

  const r = new WireReader(body.subarray(MAGIC.length), fail);
  const cipher = r.text();
  const kdf = r.text();
  r.bytes(); // kdf options
  if (r.uint32() !== 1) return fail(); // OpenSSH writes exactly one key per file
  const pub = parseWirePublicKey(r.bytes(), fail);
  const secret = r.bytes();
  if (!r.done) return fail();

  if (cipher !== 'none' || kdf !== 'none') return { kind: 'encrypted', publicKey: pub.ed25519, keyType: pub.keyType };
  if (!pub.ed25519) return { kind: 'unsupported', keyType: pub.keyType };
  if (secret.length % 8 !== 0) return fail(); // "none" pads to its 8-byte block size

  const s = new WireReader(secret, fail);
  if (s.uint32() !== s.uint32()) return fail(); // check integers differ: damaged
  if (s.text() !== SSH_ED25519) return fail();
  const publicKey = s.bytes();
  const privateKey = s.bytes(); // seed ‖ public key
  s.bytes(); // comment
  const padding = s.rest();
  if (padding.length >= 8 || padding.some((b, i) => b !== i + 1)) return fail();
  if (publicKey.length !== 32 || privateKey.length !== 64) return fail();
  if (!publicKey.equals(pub.ed25519.key) || !privateKey.subarray(32).equals(publicKey)) return fail();
  return { kind: 'ed25519', seed: Uint8Array.from(privateKey.subarray(0, 32)), publicKey: pub.ed25519 };
}
