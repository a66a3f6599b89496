/** `export NAME='value'` lines that are safe to eval in sh, bash, zsh (and direnv's .envrc). */

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function encodeShellExports(values: ReadonlyMap<string, string>): string {
  return [...values].map(([k, v]) => `export ${k}=${shellQuote(v)}\n`).join('');
}
