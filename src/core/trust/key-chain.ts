/**
 * Key chains: how a machine knows that an environment's current key is the one its team
 * meant, without trusting whoever last wrote the file.
 *
 * Each environment key has a signer (core/crypto/chain-signer.ts). The chain lists, oldest
 * first, every key the environment has had; each link is signed by the previous key's
 * signer (the first by its own), over the environment name, both key ids and both signers.
 * So a change of key is proven by the key it replaces, and anyone can check the proof from
 * the public halves in the file. Someone who can write the repository but holds no current
 * key can neither add a link nor swap the key behind the last one: a key is accepted only
 * when its own signer is the last link's.
 *
 * What a chain cannot say on its own is whether it is the newest: an old chain, or a fork
 * from an old key that a former member kept, verifies just as well. That is what pins (what
 * this machine accepted before) and git history decide, with `compareChains`.
 */
import { ChainSigner, verifySignature } from '../crypto/chain-signer.js';
import { encodeChainLink, linkAnchor, parseChainLink, type ChainLink } from '../formats/chain-link.js';

export type { ChainLink };

function statement(env: string, prev: Pick<ChainLink, 'keyId' | 'signer'> | null, keyId: string, signer: Buffer): Buffer {
  const p = prev ? [prev.keyId, prev.signer.toString('base64url')] : ['', ''];
  return Buffer.from(`hako-chain:2\n${env}\n${p[0]}\n${p[1]}\n${keyId}\n${signer.toString('base64url')}\n`, 'utf8');
}

/** The first link of a new environment key, signed by itself. */
export function genesisLink(env: string, keyId: string, key: Uint8Array): string {
  const signer = ChainSigner.fromKey(key);
  const signature = signer.sign(statement(env, null, keyId, signer.publicKey));
  return encodeChainLink({ keyId, signer: signer.publicKey, signature });
}

/** The link that admits `next` after `current`: signed by the current key. */
export function successorLink(env: string, current: { keyId: string; key: Uint8Array }, next: { keyId: string; key: Uint8Array }): string {
  const cur = ChainSigner.fromKey(current.key);
  const nxt = ChainSigner.fromKey(next.key);
  const signature = cur.sign(statement(env, { keyId: current.keyId, signer: cur.publicKey }, next.keyId, nxt.publicKey));
  return encodeChainLink({ keyId: next.keyId, signer: nxt.publicKey, signature });
}

export type ChainProblem = { at: number; why: string };

/**
 * Checks every signature of a chain and that key ids never repeat. Returns the parsed links,
 * or the first problem (index and a reason without any key material).
 */
export function verifyChain(env: string, texts: readonly string[]): { links: ChainLink[] } | { problem: ChainProblem } {
  const links: ChainLink[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < texts.length; i++) {
    const link = parseChainLink(texts[i]!);
    if (!link) return { problem: { at: i, why: 'is not a valid link' } };
    if (seen.has(link.keyId)) return { problem: { at: i, why: `repeats key id ${link.keyId}` } };
    const prev = i === 0 ? null : links[i - 1]!;
    const by = prev ? prev.signer : link.signer;
    if (!verifySignature(by, statement(env, prev, link.keyId, link.signer), link.signature)) {
      return { problem: { at: i, why: i === 0 ? 'is not signed by its own key' : `is not signed by the key before it (${prev!.keyId})` } };
    }
    seen.add(link.keyId);
    links.push(link);
  }
  return { links };
}

/** True when `key` is the key behind `link` (its derived signer is the link's). */
export function keyMatchesLink(key: Uint8Array, link: Pick<ChainLink, 'signer'>): boolean {
  return ChainSigner.fromKey(key).publicKey.equals(link.signer);
}

/**
 * How chain `current` relates to chain `known` (both as link texts, already verified):
 * - same:    identical;
 * - extends: `known` is a proper prefix of `current` (proven key changes since);
 * - behind:  `current` is a proper prefix of `known` (an older state: a retired key);
 * - fork:    they share a prefix and then differ (a change not made by the known key).
 */
export type ChainRelation = 'same' | 'extends' | 'behind' | 'fork';

export function compareChains(known: readonly string[], current: readonly string[]): ChainRelation {
  const n = Math.min(known.length, current.length);
  for (let i = 0; i < n; i++) if (known[i] !== current[i]) return 'fork';
  if (known.length === current.length) return 'same';
  return known.length < current.length ? 'extends' : 'behind';
}

/** The index of the link that `anchor` ("key_id:signer", as printed by `hako trust`) names, or -1. */
export function findAnchor(links: readonly ChainLink[], anchor: string): number {
  return links.findIndex((l) => linkAnchor(l) === anchor.trim());
}
