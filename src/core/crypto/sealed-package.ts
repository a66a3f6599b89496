/**
 * Sealed packages: the values of one environment in a single file opened with a password.
 *
 * Layout (version 1), all integers big-endian:
 *
 *   offset size
 *        0    7  magic, ASCII "hakopkg"
 *        7    1  version = 1
 *        8    1  kdf = 1 (Argon2id, version 0x13)
 *        9    4  m, memory in KiB
 *       13    4  t, passes
 *       17    1  p, lanes
 *       18   16  salt (random)
 *       34   16  check = HMAC-SHA256(K_check, "hako package v1 check")[0:16]
 *       50   12  nonce (random)
 *       62    …  AES-256-GCM ciphertext of the payload, then its 16-byte tag
 *
 *   S       = Argon2id(password = UTF-8(NFC(password)), salt, m, t, p, 32 bytes)
 *   K_enc   = HKDF-SHA256(ikm = S, salt = empty, info = "hako package v1 enc", 32)
 *   K_check = HKDF-SHA256(ikm = S, salt = empty, info = "hako package v1 check", 32)
 *   AAD     = bytes 0..61 (the whole header)
 *   payload = UTF-8 JSON {"env": "<name>", "secrets": {"NAME": "value", …}} (members sorted)
 *
 * The check tells a wrong password (check differs) from a damaged or altered package (check
 * matches, the tag does not), so a tampered file is reported as tampered and does not count
 * as a failed password. It verifies a guess no faster than the tag already does: Argon2id
 * is the cost of every guess either way.
 *
 * The package id, which names the package's backoff state on this machine, is the first 16
 * bytes of SHA-256 over bytes 0..49 (everything that decides whether a password is right):
 * altering the ciphertext or nonce of a copy does not give it a fresh counter.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { HakoError } from '../errors.js';
import { ENV_NAME, SECRET_NAME } from '../names.js';
import { assertKdfAffordable, DEFAULT_KDF, validKdfParams, type KdfParams } from './argon2id.js';
import { isJsonObject, parseStrictJson } from '../formats/strict-json.js';

export const PACKAGE_MAGIC = 'hakopkg';
export const PACKAGE_VERSION = 1;
export const PACKAGE_HEADER_BYTES = 62;
const CHECK_END = 50;
const TAG_BYTES = 16;
/** A package larger than this is refused before any work (far above any real set of secrets). */
export const PACKAGE_MAX_BYTES = 64 * 1024 * 1024;

export interface PackageHeader {
  version: number;
  kdf: KdfParams;
  salt: Buffer;
  check: Buffer;
  nonce: Buffer;
}

export interface PackagePayload {
  env: string;
  secrets: Map<string, string>;
}

export interface ParsedPackage {
  header: PackageHeader;
  /** Bytes 0..61, the additional data of the cipher. */
  headerBytes: Buffer;
  body: Buffer;
  /** Names this package's backoff state: hex of SHA-256(bytes 0..49)[0:16]. */
  id: string;
}

function formatError(what: string): HakoError {
  return new HakoError('E_FORMAT', `not a hako sealed package: ${what}`, 'give the file made by hako package seal');
}

/** Parses the header; never needs the password. */
export function parsePackage(bytes: Buffer): ParsedPackage {
  if (bytes.length > PACKAGE_MAX_BYTES) throw formatError('larger than 64 MiB');
  if (bytes.length < PACKAGE_HEADER_BYTES + TAG_BYTES) throw formatError('too short');
  if (bytes.subarray(0, 7).toString('latin1') !== PACKAGE_MAGIC) throw formatError('wrong magic');
  const version = bytes[7]!;
  if (version !== PACKAGE_VERSION) {
    throw new HakoError('E_VERSION', `sealed package version ${version} is newer than this hako reads`, 'upgrade hako');
  }
  if (bytes[8] !== 1) throw formatError('unknown key derivation');
  const kdf: KdfParams = { kdf: 'argon2id', m: bytes.readUInt32BE(9), t: bytes.readUInt32BE(13), p: bytes[17]! };
  if (!validKdfParams(kdf)) throw formatError('key derivation parameters out of range');
  const headerBytes = bytes.subarray(0, PACKAGE_HEADER_BYTES);
  return {
    header: {
      version,
      kdf,
      salt: bytes.subarray(18, 34),
      check: bytes.subarray(34, CHECK_END),
      nonce: bytes.subarray(50, PACKAGE_HEADER_BYTES),
    },
    headerBytes,
    body: bytes.subarray(PACKAGE_HEADER_BYTES),
    id: createHash('sha256').update(bytes.subarray(0, CHECK_END)).digest('hex').slice(0, 32),
  };
}

/** Argon2id of the password: the slow step, done once per attempt. */
async function stretch(password: string, salt: Buffer, kdf: KdfParams): Promise<Buffer> {
  assertKdfAffordable(kdf, 'the sealed package'); // its header is written by whoever made the file
  let argon2: typeof import('argon2');
  try {
    argon2 = await import('argon2');
  } catch {
    throw new HakoError('E_INTERNAL', 'the argon2 module could not be loaded', 'reinstall hako (npm install) on this machine');
  }
  return argon2.hash(Buffer.from(password.normalize('NFC'), 'utf8'), {
    type: argon2.argon2id,
    version: 0x13,
    raw: true,
    salt,
    memoryCost: kdf.m,
    timeCost: kdf.t,
    parallelism: kdf.p,
    hashLength: 32,
  });
}

function subkeys(stretched: Buffer): { enc: Buffer; check: Buffer } {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', stretched, Buffer.alloc(0), Buffer.from(info, 'utf8'), 32));
  return { enc: derive('hako package v1 enc'), check: derive('hako package v1 check') };
}

function checkValue(kCheck: Buffer): Buffer {
  return createHmac('sha256', kCheck).update('hako package v1 check', 'utf8').digest().subarray(0, 16);
}

export function encodePayload(p: PackagePayload): Buffer {
  const secrets: Record<string, string> = {};
  for (const name of [...p.secrets.keys()].sort()) secrets[name] = p.secrets.get(name)!;
  return Buffer.from(JSON.stringify({ env: p.env, secrets }), 'utf8');
}

function decodePayload(bytes: Buffer): PackagePayload {
  const bad = () => new HakoError('E_FORMAT', 'the sealed package opened but its contents are malformed', 'seal it again');
  let v;
  try {
    v = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes), 'sealed package');
  } catch {
    throw bad();
  }
  if (!isJsonObject(v) || Object.keys(v).sort().join(',') !== 'env,secrets') throw bad();
  const env = v['env'];
  const secrets = v['secrets'];
  if (typeof env !== 'string' || !ENV_NAME.test(env) || !isJsonObject(secrets)) throw bad();
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(secrets)) {
    if (!SECRET_NAME.test(name) || typeof value !== 'string') throw bad();
    out.set(name, value);
  }
  return { env, secrets: out };
}

export interface SealInputs {
  /** Fixed for test vectors; random otherwise. */
  salt?: Buffer;
  nonce?: Buffer;
  kdf?: KdfParams;
}

export async function sealPackage(password: string, payload: PackagePayload, inputs: SealInputs = {}): Promise<Buffer> {
  const kdf = inputs.kdf ?? DEFAULT_KDF;
  if (!validKdfParams(kdf) || kdf.p > 255) throw new HakoError('E_INTERNAL', 'package key derivation parameters out of range');
  const salt = inputs.salt ?? randomBytes(16);
  const nonce = inputs.nonce ?? randomBytes(12);
  const keys = subkeys(await stretch(password, salt, kdf));
  const header = Buffer.alloc(PACKAGE_HEADER_BYTES);
  header.write(PACKAGE_MAGIC, 0, 'latin1');
  header[7] = PACKAGE_VERSION;
  header[8] = 1;
  header.writeUInt32BE(kdf.m, 9);
  header.writeUInt32BE(kdf.t, 13);
  header[17] = kdf.p;
  salt.copy(header, 18);
  checkValue(keys.check).copy(header, 34);
  nonce.copy(header, 50);
  const cipher = createCipheriv('aes-256-gcm', keys.enc, nonce);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(encodePayload(payload)), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([header, body]);
}

export type OpenResult = { ok: true; payload: PackagePayload } | { ok: false; reason: 'wrong-password' | 'tampered' };

/** Opens a parsed package. A wrong password and a tampered body are results, not throws. */
export async function openPackage(parsed: ParsedPackage, password: string): Promise<OpenResult> {
  const { header } = parsed;
  const keys = subkeys(await stretch(password, header.salt, header.kdf));
  if (!timingSafeEqual(checkValue(keys.check), header.check)) return { ok: false, reason: 'wrong-password' };
  const ct = parsed.body.subarray(0, parsed.body.length - TAG_BYTES);
  const tag = parsed.body.subarray(parsed.body.length - TAG_BYTES);
  let plain: Buffer;
  try {
    const d = createDecipheriv('aes-256-gcm', keys.enc, header.nonce);
    d.setAAD(parsed.headerBytes);
    d.setAuthTag(tag);
    plain = Buffer.concat([d.update(ct), d.final()]);
  } catch {
    return { ok: false, reason: 'tampered' };
  }
  try {
    return { ok: true, payload: decodePayload(plain) };
  } finally {
    plain.fill(0);
  }
}
