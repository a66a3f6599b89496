/** Options that mean the same in every command. */
export const envOption = { type: 'string', short: 'e', label: 'E', help: 'environment (default: $HAKO_ENV, else development)' } as const;
export const jsonOption = { type: 'boolean', help: 'machine-readable output' } as const;

/** `--allow NAME` (repeatable): a secret whose name changes what a process does, handed over on purpose. */
export const allowOption = {
  type: 'string',
  multiple: true,
  label: 'NAME',
  help: 'deliver this secret although its name changes what a process does (NODE_OPTIONS, PATH, …); repeatable',
} as const;

export function allowedNames(args: { values: Record<string, unknown> }): Set<string> {
  const v = args.values['allow'];
  return new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
}
