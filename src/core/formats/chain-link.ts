/**
 * One link of an environment's key chain, as written in `.hako/secrets.json`:
 *
 *   "<key_id>:<signer>:<signature>"
 *
 * key_id is 16 lower-case hex characters; signer is the 32-byte Ed25519 public key of that
 * key and signature the 64-byte signature that admits it, both unpadded base64url (43 and 86
 * characters). Parse and encode only: what a link proves is decided in core/trust.
 */
import { KEY_ID } from '../names.js';
import { decodeBase64UrlStrict } from '../crypto/base64.js';
import { SIGNATURE_BYTES, SIGNER_BYTES } from '../crypto/chain-signer.js';

export interface ChainLink {
  keyId: string;
  signer: Buffer;
  signature: Buffer;
}

const LINK = /^([0-9a-f]{16}):([A-Za-z0-9_-]{43}):([A-Za-z0-9_-]{86})$/;

/** A link from its text, or null when it is not exactly one. */
export function parseChainLink(text: string): ChainLink | null {
  const m = LINK.exec(text);
  if (!m || !KEY_ID.test(m[1]!)) return null;
  const signer = decodeBase64UrlStrict(m[2]!);
  const signature = decodeBase64UrlStrict(m[3]!);
  if (!signer || signer.length !== SIGNER_BYTES || !signature || signature.length !== SIGNATURE_BYTES) return null;
  return { keyId: m[1]!, signer, signature };
}

export function encodeChainLink(link: ChainLink): string {
  return `${link.keyId}:${link.signer.toString('base64url')}:${link.signature.toString('base64url')}`;
}

/** The short form people compare and paste into CI (`HAKO_TRUST_<ENV>`): key id and signer. */
export function linkAnchor(link: Pick<ChainLink, 'keyId' | 'signer'>): string {
  return `${link.keyId}:${link.signer.toString('base64url')}`;
}
