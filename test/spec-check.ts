/**
 * An independent reading of DESIGN §3 for tests: HKDF subkeys, AES-256-GCM and the additional
 * data, written straight from the spec with node:crypto and nothing from src/. Tests use it
 * to show hako's files follow the spec, not just hako's own code.
 */
import { createDecipheriv, hkdfSync } from 'node:crypto';

/** Opens a v1 token, or a v2 token without metadata. */
export function specOpen(key: Buffer, env: string, keyId: string, name: string, token: string): Buffer {
  if (token.startsWith('v2:')) return specOpenV2(key, env, keyId, name, '', token);
  if (!token.startsWith('v1:')) throw new Error('not a v1 token');
  const raw = Buffer.from(token.slice(3), 'base64');
  const encKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), Buffer.from('hako v1 enc'), 32));
  const d = createDecipheriv('aes-256-gcm', encKey, raw.subarray(0, 12));
  d.setAAD(Buffer.from(`hako:v1:${env}:${keyId}:${name}`, 'utf8'));
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
}

/**
 * Format 2, read from docs/FORMAT.md with node:crypto for AES/HKDF and @noble/curves for
 * Ed25519 (hako itself signs with node:crypto): the v2 additional data with metadata, and
 * the key chain (each link signed by the previous key's signer; the key's own signer last).
 */
import { ed25519 } from '@noble/curves/ed25519.js';

export function specOpenV2(key: Buffer, env: string, keyId: string, name: string, meta: string, token: string): Buffer {
  if (!token.startsWith('v2:')) throw new Error('not a v2 token');
  const raw = Buffer.from(token.slice(3), 'base64');
  const encKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), Buffer.from('hako v1 enc'), 32));
  const d = createDecipheriv('aes-256-gcm', encKey, raw.subarray(0, 12));
  d.setAAD(Buffer.from(`hako:v2:${env}:${keyId}:${name}:${meta}`, 'utf8'));
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
}

export function specSignerOf(key: Buffer): Buffer {
  const seed = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), Buffer.from('hako v2 sign'), 32));
  return Buffer.from(ed25519.getPublicKey(seed));
}

/** True when every link verifies and the last one's signer is `key`'s. */
export function specChainValid(env: string, chain: string[], key: Buffer): boolean {
  let prev: { id: string; signer: string } | null = null;
  for (const link of chain) {
    const [id, signer, sig] = link.split(':') as [string, string, string];
    const msg = Buffer.from(`hako-chain:2\n${env}\n${prev?.id ?? ''}\n${prev?.signer ?? ''}\n${id}\n${signer}\n`, 'utf8');
    const by = Buffer.from(prev ? prev.signer : signer, 'base64url');
    if (!ed25519.verify(Buffer.from(sig, 'base64url'), msg, by)) return false;
    prev = { id, signer };
  }
  return prev !== null && Buffer.from(prev.signer, 'base64url').equals(specSignerOf(key));
}
