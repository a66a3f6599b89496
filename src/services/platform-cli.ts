/**
 * Running a platform's own CLI (gh, wrangler): started directly (no shell), in the project's
 * folder, with hako's environment minus key material, stdin always a pipe (a value, or
 * nothing, so no CLI ever prompts), stdout and stderr captured. Values travel on stdin only;
 * callers put names and options in argv, never a value.
 */
import { spawnSync } from 'node:child_process';
import { HakoError } from '../core/errors.js';
import { displayText } from '../core/display.js';
import { withoutKeyMaterial } from '../core/keys/key-material.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const INSTALL: Record<string, string> = {
  gh: 'install the GitHub CLI (https://cli.github.com) and run gh auth login',
  wrangler: 'install wrangler (npm install --save-dev wrangler) and run wrangler login',
};

export function runCli(tool: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): CliResult {
  const r = spawnSync(tool, args, {
    cwd: opts.cwd,
    env: { ...withoutKeyMaterial(opts.env), GH_PROMPT_DISABLED: '1', NO_COLOR: '1' },
    input: opts.input ?? '',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new HakoError('E_NO_COMMAND', `${tool} not found on PATH`, INSTALL[tool] ?? `install ${tool}`);
    throw new HakoError('E_CHILD', `cannot run ${tool} (${code ?? 'error'})`, 'check that it is installed and executable');
  }
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** A failed CLI call as an error: what hako asked for, and the first lines the CLI printed. */
export function cliFailure(tool: string, what: string, r: CliResult, hint: string): HakoError {
  const said = r.stderr
    .trim()
    .split('\n')
    .slice(0, 3)
    .map((l) => displayText(l, 160))
    .join(' / ');
  return new HakoError('E_PLATFORM', `${tool} ${what} failed (exit ${r.code})${said ? `: ${said}` : ''}`, hint);
}
