/** Options that mean the same in every command. */
export const envOption = { type: 'string', short: 'e', label: 'E', help: 'environment (default: $HAKO_ENV, else development)' } as const;
export const jsonOption = { type: 'boolean', help: 'machine-readable output' } as const;
