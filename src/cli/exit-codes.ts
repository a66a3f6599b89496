/**
 * Exit codes of hako's own failures. `hako run` passes the program's own code through.
 *
 * `EXIT_CODES` maps every error code to its exit code; its type makes a new error code
 * without an entry a compile error. The README's exit-code table is rendered from these
 * tables (`exitCodeTable`), and a test fails when the README and the tables disagree.
 */
import type { ErrorCode } from '../core/errors.js';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  noKey: 3,
  integrity: 4,
  format: 5,
  locked: 6,
  trust: 7,
  internal: 70,
  cannotRun: 126,
  noCommand: 127,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Error codes only `hako sops …` throws; they carry sops's own exit codes. */
export type SopsErrorCode = 'E_SOPS_MAC' | 'E_SOPS_NO_FILE' | 'E_SOPS_NO_KEY' | 'E_SOPS_NOT_MODIFIED' | 'E_SOPS_ENCRYPTED';

/**
 * sops's exit codes (cmd/sops/codes), returned by `hako sops …` only, so scripts written for
 * sops keep working. A separate table (docs/SOPS.md): hako's own commands never return them.
 */
export const SOPS_EXIT_CODES: Readonly<Record<SopsErrorCode, number>> = {
  E_SOPS_MAC: 51,
  E_SOPS_NO_FILE: 100,
  E_SOPS_NO_KEY: 128,
  E_SOPS_NOT_MODIFIED: 200,
  E_SOPS_ENCRYPTED: 203,
};

export const EXIT_CODES: Readonly<Record<Exclude<ErrorCode, SopsErrorCode>, ExitCode>> = {
  E_USAGE: EXIT.usage,
  E_INVALID_NAME: EXIT.usage,
  E_INVALID_VALUE: EXIT.usage,
  E_NO_PROJECT: EXIT.failure,
  E_NOT_GIT: EXIT.failure,
  E_NO_ENV: EXIT.failure,
  E_NO_SECRET: EXIT.failure,
  E_EXISTS: EXIT.failure,
  E_NO_KEY: EXIT.noKey,
  E_WRONG_KEY: EXIT.integrity,
  E_TAMPERED: EXIT.integrity,
  E_BUNDLE: EXIT.integrity,
  E_KEY_PERMS: EXIT.integrity,
  E_FORMAT: EXIT.format,
  E_VERSION: EXIT.format,
  E_KDF_COST: EXIT.format,
  E_LOCKED: EXIT.locked,
  E_EDITOR: EXIT.failure,
  E_INTERRUPTED: EXIT.interrupted,
  E_IO: EXIT.failure,
  E_NOT_IN_MEMORY: EXIT.failure,
  E_CHILD: EXIT.cannotRun,
  E_NO_COMMAND: EXIT.noCommand,
  E_MISSING_REQUIRED: EXIT.failure,
  E_AGE: EXIT.failure,
  E_NO_RECIPIENT: EXIT.failure,
  E_PROCESS_CONTROL: EXIT.failure,
  E_UNSAFE_PROJECT: EXIT.failure,
  E_KEY_CHAIN: EXIT.integrity,
  E_CONFLICT: EXIT.format,
  E_KEY_MISMATCH: EXIT.integrity,
  E_KEY_CHANGED: EXIT.trust,
  E_KEY_ROLLBACK: EXIT.trust,
  E_UNTRUSTED: EXIT.trust,
  E_STALE_KEY: EXIT.trust,
  E_KEY_CONFLICT: EXIT.failure,
  E_KEYCHAIN: EXIT.failure,
  E_LOCKOUT: EXIT.locked,
  E_PLATFORM: EXIT.failure,
  E_AGENT: EXIT.failure,
  E_SSH: EXIT.failure,
  E_PROTOCOL: EXIT.usage,
  E_KEY_CHANGE: EXIT.integrity,
  E_ROLL: EXIT.failure,
  E_INTERNAL: EXIT.internal,
};

/** What each exit code means, for the README table. */
export const EXIT_MEANINGS: Readonly<Record<ExitCode, string>> = {
  0: 'success',
  1: 'failure: no project, no such environment or secret, required secrets missing (`hako run`), an editor, age or I/O problem, no memory-backed folder for plaintext files, the agent not running, a push rolled back, a process-control name not allowed, an unsafe project folder, a colliding key id, `gh`/`wrangler` failing (`hako push`), a keychain that was asked for (or holds the key) and cannot be used',
  2: 'bad usage or input: unknown command or option, invalid name, a value that is not UTF-8, an agent request outside the protocol',
  3: 'no key: no source could open the environment (the message lists what was tried)',
  4: 'integrity: wrong key or passphrase, tampered value, a broken key chain, a key supplied for an environment that is not its key, bad or foreign key bundle, unsafe key file, a key the agent did not pin',
  5: 'file format: unparsable file, unknown field, a file from a newer hako, passphrase parameters costlier than hako derives, unresolved merge conflicts (`hako git resolve`)',
  6: 'locked: another hako is writing the file, or a sealed package refuses passwords for a while after wrong ones',
  7: "trust: an environment's key changed without a proof this machine accepts, went back to a retired key, or cannot be checked here (`hako trust`)",
  70: 'internal error (a bug; `HAKO_DEBUG=1` shows details)',
  126: '`hako run`: the program could not be executed',
  127: '`hako run`: the program was not found',
  130: 'interrupted',
};

export function exitCodeFor(code: ErrorCode): number {
  if (code in SOPS_EXIT_CODES) return SOPS_EXIT_CODES[code as SopsErrorCode];
  return EXIT_CODES[code as Exclude<ErrorCode, SopsErrorCode>] ?? EXIT.internal;
}

/** The README's exit-code table (markdown), rendered from the two tables above. */
export function exitCodeTable(): string {
  const rows = ['| code | meaning | error codes |', '| --- | --- | --- |'];
  const codes = Object.values(EXIT)
    .filter((v, i, all) => all.indexOf(v) === i)
    .sort((a, b) => a - b);
  for (const exit of codes) {
    const errors = (Object.keys(EXIT_CODES) as Exclude<ErrorCode, SopsErrorCode>[]).filter((e) => EXIT_CODES[e] === exit).sort();
    rows.push(`| ${exit} | ${EXIT_MEANINGS[exit]} | ${errors.map((e) => `\`${e}\``).join(', ')} |`);
  }
  return rows.join('\n') + '\n';
}
