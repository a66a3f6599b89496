/**
 * One interface for every place an environment key can come from.
 *
 * Like age's Identity: a source answers `{ missed }` for "not mine" (with a short reason for
 * the error that lists what was tried) and throws only for "mine, but broken": a key file
 * with loose permissions, a HAKO_KEY that does not parse. Whether a key it returns is the
 * right one is decided by the resolver against the environment's `check`.
 */
import type { KdfParams } from '../crypto/argon2id.js';

/** What a source may look at to find the key of one environment. Never a value. */
export interface KeyTarget {
  env: string;
  keyId: string;
  check: string;
  passphrase?: KdfParams;
  recipients: ReadonlyMap<string, string>;
}

export type KeySourceKind = 'bundle-env' | 'key-file' | 'keychain' | 'age-identity' | 'passphrase';

export type KeyAnswer =
  | { key: Buffer; label: string } // label: where it came from, e.g. "HAKO_KEY" or a path
  | { missed: string }; // why not; empty for a source this machine never set up (left out of "tried")

export interface KeySource {
  readonly kind: KeySourceKind;
  find(target: KeyTarget): Promise<KeyAnswer>;
}

/** What sources need from the outside world: the process env and, maybe, a person. */
export interface KeyContext {
  env: NodeJS.ProcessEnv;
  /** Asks a person for a secret on a terminal; undefined where nobody can answer. */
  promptSecret?: (label: string) => Promise<string>;
}
