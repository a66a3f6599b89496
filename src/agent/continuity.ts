/**
 * Key continuity on the server: which key an environment may arrive under.
 *
 * The agent pins the key chain of each environment the first time it accepts it, like any
 * machine does, and afterwards accepts only the same chain or an extension whose new links
 * are signed by the pinned key's signer. A prefix of the pinned chain (someone replaying a
 * retired key) or a different chain (a fork) is refused. Forgetting a pin is a person's
 * decision on the server (`hako agent trust ENV --forget`), never something a push can do.
 *
 * Entries without a chain (format version 1) pin their key id as a chain of one element: the
 * same key is accepted, any other is refused until the pin is forgotten. The signatures of
 * the chain (and that the key opening the entry is its last link's) are checked before this,
 * by the shared verifier (services/continuity.ts verifyEntryChain).
 */
import { HakoError } from '../core/errors.js';
import { compareChains } from '../core/trust/key-chain.js';

export interface ReceivedKey {
  env: string;
  keyId: string;
  /** The entry's `chain` (format version 2), or null for an entry without one. */
  chain: readonly string[] | null;
  /** The environment key that opened the entry (the last link's signer derives from it). */
  key: Uint8Array;
}

/** The chain to pin after accepting `got`; throws E_KEY_CHANGE when continuity is broken. */
export function acceptKeyChain(pinned: readonly string[] | null, got: ReceivedKey): string[] {
  const chain = got.chain ? [...got.chain] : [got.keyId];
  if (pinned === null) return chain;
  if (sameChain(pinned, chain)) return chain;
  const hint = `if the change is meant (a rotation, a re-created environment), accept it on this server: hako agent trust ${got.env} --forget, then push again`;
  if (chain.length < pinned.length && sameChain(pinned.slice(0, chain.length), chain)) {
    throw new HakoError(
      'E_KEY_CHANGE',
      `environment '${got.env}' arrived under a key this agent already saw retired (a rollback of its key chain)`,
      hint,
    );
  }
  // A signed extension of the pinned chain: a rotation proven by the key this agent trusts.
  if (got.chain && compareChains(pinned, chain) === 'extends') return chain;
  // A format-1 entry pinned by key id that gained its chain on the same key.
  if (got.chain && pinned.length === 1 && !pinned[0]!.includes(':') && chain.length === 1 && chain[0]!.startsWith(`${pinned[0]}:`))
    return chain;
  throw new HakoError(
    'E_KEY_CHANGE',
    `environment '${got.env}' arrived under key ${got.keyId}, which is not the key this agent pinned for it (a fork of its key chain)`,
    hint,
  );
}

function sameChain(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((link, i) => link === b[i]);
}
