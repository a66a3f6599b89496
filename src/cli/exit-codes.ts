/** Exit codes of hako's own failures (README "Exit codes"). `hako run` passes the child's through. */
import type { ErrorCode } from '../core/errors.js';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  noKey: 3,
  integrity: 4,
  format: 5,
  locked: 6,
  internal: 70,
  cannotRun: 126,
  noCommand: 127,
  interrupted: 130,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'E_USAGE':
    case 'E_INVALID_NAME':
    case 'E_INVALID_VALUE':
      return EXIT.usage;
    case 'E_NO_KEY':
      return EXIT.noKey;
    case 'E_WRONG_KEY':
    case 'E_TAMPERED':
    case 'E_BUNDLE':
    case 'E_KEY_PERMS':
      return EXIT.integrity;
    case 'E_FORMAT':
    case 'E_VERSION':
    case 'E_KDF_COST':
      return EXIT.format;
    case 'E_LOCKED':
      return EXIT.locked;
    case 'E_INTERRUPTED':
      return EXIT.interrupted;
    case 'E_CHILD':
      return EXIT.cannotRun;
    case 'E_NO_COMMAND':
      return EXIT.noCommand;
    case 'E_INTERNAL':
      return EXIT.internal;
    default:
      return EXIT.failure;
  }
}
