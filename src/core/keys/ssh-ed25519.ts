/**
 * The age `ssh-ed25519` recipient type (age-encryption.org/v1, as FiloSottile/age's agessh
 * implements it), behind typage's Recipient and Identity interfaces, so SSH keys people
 * already have can open an environment.
 *
 * Stanza: `-> ssh-ed25519 TAG SHARE` + body, where
 *   TAG   = unpadded base64 of the first 4 bytes of SHA-256(wire public key) (not anonymous);
 *   SHARE = X25519(e, basepoint) for a fresh random scalar e;
 *   their = the Ed25519 public key mapped to its Montgomery (X25519) form;
 *   tweak = HKDF-SHA256(ikm = empty, salt = wire public key, info = LABEL, 32);
 *   s     = X25519(tweak, X25519(e, their));
 *   key   = HKDF-SHA256(ikm = s, salt = SHARE ‖ their, info = LABEL, 32);
 *   body  = ChaCha20-Poly1305(key, nonce = 12 zero bytes, file key).
 * The identity's X25519 scalar is the first 32 bytes of SHA-512(Ed25519 seed); the ladder clamps it.
 *
 * Following age: a stanza of another type, or with another tag, is "not mine" (skipped); a
 * stanza of this type that is malformed, or with our tag that does not open, is an error.
 * This module is loaded only when an environment has recipients (it pulls in age-encryption).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { Stanza, type Identity, type Recipient } from 'age-encryption';
import { decodeBase64NoPadStrict, encodeBase64NoPad } from '../crypto/base64.js';
import { ed25519PublicKeyFromBytes, SSH_ED25519, type SshEd25519PublicKey } from '../formats/openssh-key.js';

const LABEL = new TextEncoder().encode('age-encryption.org/v1/ssh-ed25519');
const ZERO_NONCE = Buffer.alloc(12);

function tagOf(publicKey: SshEd25519PublicKey): string {
  return encodeBase64NoPad(sha256(publicKey.wire).subarray(0, 4));
}

function tweakOf(publicKey: SshEd25519PublicKey): Uint8Array {
  return hkdf(sha256, new Uint8Array(0), publicKey.wire, LABEL, 32);
}

function wrappingKey(shared: Uint8Array, share: Uint8Array, their: Uint8Array): Uint8Array {
  const salt = new Uint8Array(64);
  salt.set(share);
  salt.set(their, 32);
  return hkdf(sha256, shared, salt, LABEL, 32);
}

function seal(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

function open(key: Uint8Array, body: Uint8Array): Uint8Array | null {
  if (body.length < 16) return null;
  const d = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
  d.setAuthTag(body.subarray(body.length - 16));
  try {
    return Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]);
  } catch {
    return null;
  }
}

export class SshEd25519Recipient implements Recipient {
  private readonly their: Uint8Array;

  constructor(private readonly publicKey: SshEd25519PublicKey) {
    try {
      this.their = ed25519.utils.toMontgomery(publicKey.key); // refuses a point not on the curve
    } catch {
      throw new Error('invalid ssh-ed25519 public key');
    }
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const ephemeral = randomBytes(32);
    const share = x25519.scalarMultBase(ephemeral);
    const shared = x25519.scalarMult(tweakOf(this.publicKey), x25519.scalarMult(ephemeral, this.their));
    const body = seal(wrappingKey(shared, share, this.their), fileKey);
    return [new Stanza([SSH_ED25519, tagOf(this.publicKey), encodeBase64NoPad(share)], body)];
  }
}

export class SshEd25519Identity implements Identity {
  readonly publicKey: SshEd25519PublicKey;
  private readonly scalar: Uint8Array;
  private readonly ours: Uint8Array;
  private readonly tag: string;

  /** `seed`: the 32-byte Ed25519 private seed. Throws when it does not match `publicKey`. */
  constructor(seed: Uint8Array, publicKey: SshEd25519PublicKey) {
    const derived = ed25519.getPublicKey(seed);
    if (!Buffer.from(derived).equals(Buffer.from(publicKey.key))) throw new Error('the private key does not match its public key');
    this.publicKey = ed25519PublicKeyFromBytes(derived);
    this.scalar = sha512(seed).subarray(0, 32);
    this.ours = x25519.scalarMultBase(this.scalar);
    this.tag = tagOf(this.publicKey);
  }

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== SSH_ED25519) continue;
      if (s.args.length !== 3) throw new Error('invalid ssh-ed25519 stanza');
      const share = decodeBase64NoPadStrict(s.args[2]!);
      if (!share || share.length !== 32) throw new Error('invalid ssh-ed25519 stanza');
      if (s.args[1] !== this.tag) continue;
      let shared: Uint8Array;
      try {
        shared = x25519.scalarMult(tweakOf(this.publicKey), x25519.scalarMult(this.scalar, share));
      } catch {
        throw new Error('invalid ssh-ed25519 stanza: low-order share');
      }
      const fileKey = open(wrappingKey(shared, share, this.ours), s.body);
      if (!fileKey) throw new Error('ssh-ed25519 stanza for this key does not open');
      return fileKey;
    }
    return null;
  }
}
