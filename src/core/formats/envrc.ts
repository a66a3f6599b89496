/**
 * The `.envrc` that `hako init --direnv` writes: direnv runs it in bash whenever a shell
 * enters the folder. It loads one environment through `hako export --format shell`, whose
 * output is single-quoted `export` lines, and only when that command succeeds: any failure
 * (no key, a value that does not open, hako missing) prints the reason and loads nothing.
 * The values live in the shell's environment only, never in a file.
 */
import { shellQuote } from './shell.js';

/** The line that marks a hako block, so a second `hako init --direnv` recognises its own. */
export const ENVRC_MARKER = '# hako: load secrets';

export function envrcBlock(env: string, allowed: readonly string[]): string {
  const args = ['export', '--format', 'shell', '--env', env, ...allowed.flatMap((n) => ['--allow', n])].map(quoteIfNeeded).join(' ');
  const label = shellQuote(`hako: no secrets loaded for environment ${env}`);
  return [
    `${ENVRC_MARKER} of environment '${env}' (written by \`hako init --direnv\`).`,
    '# Nothing is loaded unless every value opens; on failure the reason is printed and the shell',
    '# gets no value. Values stay in the environment of this shell, never in a file.',
    'watch_file .hako/secrets.json',
    'if ! command -v hako >/dev/null 2>&1; then',
    `  log_error ${shellQuote('hako: not found on PATH; no secrets loaded')}`,
    `elif hako_exports="$(hako ${args})"; then`,
    '  eval "$hako_exports"',
    'else',
    `  log_error ${label}`,
    'fi',
    'unset hako_exports',
    '',
  ].join('\n');
}

function quoteIfNeeded(word: string): string {
  return /^[A-Za-z0-9_.,:=/-]+$/.test(word) ? word : shellQuote(word);
}
