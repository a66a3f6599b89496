/** Options that mean the same in every command. */
import { assertSecretName } from '../core/names.js';
import type { ParsedArgs } from './command.js';

export const envOption = { type: 'string', short: 'e', label: 'E', help: 'environment (default: $HAKO_ENV, else development)' } as const;
export const jsonOption = { type: 'boolean', help: 'machine-readable output' } as const;
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
