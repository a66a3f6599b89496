/**
 * The signing key of one environment key: an Ed25519 key derived from K, so whoever holds K
 * can sign (and nobody else can), and anyone can check with the public half written in the
 * file. It is what lets a key change be proven by the key it replaces, checked by a reader
 * who never held that older key.
 *
 *   seed = HKDF-SHA256(ikm = K, salt = empty, info = "hako v2 sign", 32 bytes)
 *
 * node:crypto takes Ed25519 keys only as DER, so the 32-byte seed and public key are wrapped
 * in their fixed PKCS#8 and SPKI prefixes (RFC 8410).
 */
import { createPrivateKey, createPublicKey, hkdfSync, sign, verify, type KeyObject } from 'node:crypto';

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

export const SIGNER_BYTES = 32;
export const SIGNATURE_BYTES = 64;

export class ChainSigner {
  /** The public key, 32 raw bytes. */
  readonly publicKey: Buffer;
  private readonly privateKey: KeyObject;

  private constructor(privateKey: KeyObject) {
    this.privateKey = privateKey;
    const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    this.publicKey = Buffer.from(spki.subarray(spki.length - SIGNER_BYTES));
  }

  /** The signer of environment key `key` (a random key, a passphrase-derived one or a SOPS data key). */
  static fromKey(key: Uint8Array, info = 'hako v2 sign'): ChainSigner {
    const seed = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, SIGNER_BYTES));
    return new ChainSigner(createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' }));
  }

  sign(message: Uint8Array): Buffer {
    return sign(null, message, this.privateKey);
  }
}

/** True when `signature` is `publicKey`'s Ed25519 signature of `message`. */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== SIGNER_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, publicKey]), format: 'der', type: 'spki' });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
