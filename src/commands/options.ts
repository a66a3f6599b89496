/** Options that mean the same in every command. */
import { HakoError } from '../core/errors.js';
import type { KeychainRequest } from '../core/keychain/keychain.js';
import { assertSecretName } from '../core/names.js';
import type { ParsedArgs } from './command.js';

export const envOption = { type: 'string', short: 'e', label: 'E', help: 'environment (default: $HAKO_ENV, else development)' } as const;
export const jsonOption = { type: 'boolean', help: 'machine-readable output' } as const;

/** --keychain and --keychain-store, on every command that saves a key. */
export const keychainOptions = {
  keychain: { type: 'boolean', help: 'keep the key in the OS keychain instead of a key file' },
  'keychain-store': {
    type: 'string',
    label: 'STORE',
    help: 'Linux only, implies --keychain: secret-service (the default) or kernel (memory only: gone at reboot)',
  },
} as const;

/** The keychain the command line asks for, or undefined for a key file. */
export function keychainRequest(args: ParsedArgs): KeychainRequest | undefined {
  const store = args.values['keychain-store'];
  if (typeof store === 'string') {
    if (store !== 'secret-service' && store !== 'kernel') {
      throw new HakoError('E_USAGE', `unknown --keychain-store ${JSON.stringify(store.slice(0, 20))}`, 'one of: secret-service, kernel');
    }
    return store;
  }
  return args.values['keychain'] === true ? 'auto' : undefined;
}

export const allowOption = {
  type: 'string',
  multiple: true,
  label: 'NAME',
  help: 'hand over this process-control name anyway (PATH, NODE_OPTIONS, …; repeatable)',
} as const;

/** The values of a repeatable option; each may also hold a comma-separated list. */
export function listOf(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  const raw = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  return raw.flatMap((s) => s.split(',')).filter((s) => s !== '');
}

/** The names given with --allow (secret names, checked). */
export function allowedNames(args: ParsedArgs): Set<string> {
  return new Set(listOf(args, 'allow').map(assertSecretName));
}
