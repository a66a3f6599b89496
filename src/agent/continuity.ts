/**
 * Key continuity on the server: which key an environment may arrive under.
 *
 * The agent pins the key chain of each environment the first time it accepts it, like any
 * machine does, and afterwards accepts only the same chain or an extension whose new links
 * are signed by the pinned key's signer. A prefix of the pinned chain (someone replaying a
 * retired key) or a different chain (a fork) is refused. Forgetting a pin is a person's
 * decision on the server (`hako agent trust ENV --forget`), never something a push can do.
 *
 * Entries without a chain (format version 1) pin their key id as a chain of one link: the
 * same key is accepted, any other is refused until the pin is forgotten. Checking the
 * signatures of an extension is the shared chain verifier's job; until this agent has one,
 * an extension is refused with the same hint.
 */
import { HakoError } from '../core/errors.js';

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
  if (chain.length > pinned.length && sameChain(chain.slice(0, pinned.length), pinned)) {
    throw new HakoError(
      'E_KEY_CHANGE',
      `environment '${got.env}' arrived under a new key (key id ${got.keyId}) whose chain this agent cannot verify yet`,
      hint,
    );
  }
  throw new HakoError(
    'E_KEY_CHANGE',
    `environment '${got.env}' arrived under key ${got.keyId}, which is not the key this agent pinned for it (a fork of its key chain)`,
    hint,
  );
}

function sameChain(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((link, i) => link === b[i]);
}
