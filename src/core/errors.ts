/**
 * HakoError: the one error type every layer throws for an expected failure.
 *
 * `code` is stable (scripts and tests match on it), `message` says what went wrong and
 * `hint` says what to do next. Neither may ever contain a secret value or key material:
 * name the secret, the environment, the file or the source instead.
 */

export type ErrorCode =
  | 'E_USAGE' // bad command line
  | 'E_INVALID_NAME' // an environment or secret name that does not match the rules
  | 'E_INVALID_VALUE' // a value hako refuses to store (not UTF-8, ...)
  | 'E_NO_PROJECT' // no .hako/secrets.json found
  | 'E_NOT_GIT' // init outside a git repository
  | 'E_NO_ENV' // environment does not exist
  | 'E_NO_SECRET' // secret does not exist in the environment
  | 'E_EXISTS' // something to create already exists
  | 'E_NO_KEY' // no key source could open the environment
  | 'E_WRONG_KEY' // a key or passphrase was found but does not open the environment
  | 'E_TAMPERED' // a value or check failed authentication
  | 'E_BUNDLE' // a key bundle that is malformed, or for another project
  | 'E_KEY_PERMS' // a key file readable by group or others
  | 'E_FORMAT' // a file that does not parse or has unknown fields
  | 'E_VERSION' // a file written by a newer hako
  | 'E_LOCKED' // the secrets file is locked by another live process
  | 'E_EDITOR' // the editor failed or the edit was abandoned
  | 'E_INTERRUPTED' // stopped by a signal; nothing was written
  | 'E_IO' // the file system refused an operation
  | 'E_CHILD' // a child program could not be started
  | 'E_NO_COMMAND' // the program to run does not exist
  | 'E_MISSING_REQUIRED' // required secrets have no value
  | 'E_AGE' // an age identity or recipient problem
  | 'E_NO_RECIPIENT' // a recipient that is not in the environment
  | 'E_PROCESS_CONTROL' // a hand-off would set a variable that changes what a process does
  | 'E_UNSAFE_PROJECT' // a .hako owned by another user, or a symbolic link
  | 'E_KEY_CHAIN' // an environment's key chain is broken, or the key is not the one it names
  | 'E_KEY_CHANGED' // an environment's key changed without a proof this machine accepts
  | 'E_KEY_ROLLBACK' // an environment went back to a key already retired
  | 'E_UNTRUSTED' // no pin, no history and no anchor: a key cannot be trusted here
  | 'E_KEY_MISMATCH' // a key supplied for an environment is not the key its entry names
  | 'E_STALE_KEY' // a write with a retired key (an older checkout)
  | 'E_KEY_CONFLICT' // a different key is already stored under the same key id
  | 'E_KDF_COST' // a passphrase block asks for more Argon2 memory or time than hako spends
  | 'E_KEYCHAIN' // the OS keychain was asked for (or holds a key) and cannot be used
  | 'E_LOCKOUT' // a sealed package refuses passwords for a while after failed ones
  | 'E_PLATFORM' // a platform's CLI (gh, wrangler) refused or failed
  | 'E_CONFLICT' // .hako/secrets.json holds unresolved merge conflicts, or a merge needs keys it cannot find
  | 'E_NOT_IN_MEMORY' // plaintext files would go to disk, and disk was not allowed
  // `hako sops …` only: these carry sops's own exit codes (src/cli/exit-codes.ts SOPS_EXIT)
  | 'E_SOPS_MAC' // MAC mismatch, or the MAC cannot be decrypted
  | 'E_SOPS_NO_FILE' // the file to work on does not exist
  | 'E_SOPS_NO_KEY' // no master key of the file could be opened
  | 'E_SOPS_NOT_MODIFIED' // edit/set/updatekeys changed nothing
  | 'E_SOPS_ENCRYPTED' // encrypt of a file that is already encrypted
  | 'E_AGENT' // the server agent is not set up, not running, or refused a request
  | 'E_PROTOCOL' // an agent request or reply that does not follow the protocol
  | 'E_KEY_CHANGE' // a received environment whose key the pinned chain does not accept
  | 'E_ROLL' // a rolling restart failed and was undone
  | 'E_SSH' // ssh could not reach a server, or the server showed another host key than the pinned one
  | 'E_INTERNAL'; // a bug: should never happen

export class HakoError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  /** `cause`: the underlying error (an fs errno), for callers that explain it better; never shown. */
  constructor(code: ErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HakoError';
    this.code = code;
    this.hint = hint;
  }
}

export function isHakoError(err: unknown): err is HakoError {
  return err instanceof HakoError;
}
