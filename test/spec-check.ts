/**
 * An independent reading of DESIGN §3 for tests: HKDF subkeys, AES-256-GCM and the additional
 * data, written straight from the spec with node:crypto and nothing from src/. Tests use it
 * to show hako's files follow the spec, not just hako's own code.
 */
import { createDecipheriv, hkdfSync } from 'node:crypto';

export function specOpen(key: Buffer, env: string, keyId: string, name: string, token: string): Buffer {
  if (!token.startsWith('v1:')) throw new Error('not a v1 token');
  const raw = Buffer.from(token.slice(3), 'base64');
  const encKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), Buffer.from('hako v1 enc'), 32));
  const d = createDecipheriv('aes-256-gcm', encKey, raw.subarray(0, 12));
  d.setAAD(Buffer.from(`hako:v1:${env}:${keyId}:${name}`, 'utf8'));
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
}
