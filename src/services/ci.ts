/**
 * CI hand-offs. In GitHub Actions, `hako ci export --github` opens an environment and makes
 * its values available to the later steps of the job:
 *
 * 1. it prints `::add-mask::` for every value and for each spelling the launcher's redaction
 *    knows (base64, base64url, hex, URL- and JSON-encoded), so the runner shows `***` where a
 *    later step prints one; a multi-line value is masked line by line, since the runner
 *    masks its log one line at a time;
 * 2. then it appends `NAME<<DELIMITER` entries to $GITHUB_ENV (or $GITHUB_OUTPUT), a file the
 *    runner creates for the step and reads when it ends.
 *
 * Values shorter than the launcher's redaction minimum are not masked (masking "80" would
 * star out every 80 in the log); the result names them.
 */
import { appendFileSync } from 'node:fs';
import { HakoError } from '../core/errors.js';
import { assertNoProcessControl, deliveredVariables } from '../core/process-control-names.js';
import { addMaskCommand, environmentFileEntry } from '../core/formats/github-actions.js';
import { isRedactable, redactionForms } from '../launcher/redaction-forms.js';
import { revealEnvironment } from './secrets.js';
import { selectNames } from './selection.js';
import type { ServiceContext } from './context.js';

export type GithubTarget = 'env' | 'output';

export interface GithubExportRequest {
  env: string;
  /** Only these names (all when empty). */
  only: readonly string[];
  allowed: ReadonlySet<string>;
  target: GithubTarget;
}

export interface GithubExportPlan {
  /** The `::add-mask::` lines, to print before anything else. */
  maskCommands: string;
  names: string[];
  /** Names whose values are too short to mask. */
  unmasked: string[];
  variable: 'GITHUB_ENV' | 'GITHUB_OUTPUT';
  file: string;
  /** Appends the entries to the file. */
  write(): void;
}

export async function planGithubExport(ctx: ServiceContext, req: GithubExportRequest): Promise<GithubExportPlan> {
  const variable = req.target === 'env' ? 'GITHUB_ENV' : 'GITHUB_OUTPUT';
  const file = ctx.env[variable];
  if (!file) {
    throw new HakoError(
      'E_USAGE',
      `$${variable} is not set: this is not a GitHub Actions step`,
      'run it in a workflow step; elsewhere run one command with `hako run -- CMD` (docs/CI.md)',
    );
  }
  const values = selectNames(await revealEnvironment(ctx, req.env), req.only, req.env);
  assertNoProcessControl(
    deliveredVariables(values.keys(), 'value'),
    req.allowed,
    `hako ci export --github ${req.target === 'env' ? '($GITHUB_ENV)' : '($GITHUB_OUTPUT)'}`,
  );
  const masks = new Set<string>();
  const unmasked: string[] = [];
  for (const [name, value] of values) {
    if (!isRedactable(value)) {
      if (value !== '') unmasked.push(name);
      continue;
    }
    for (const m of maskSpellings(value)) masks.add(m);
  }
  const entries = [...values].map(([name, value]) => environmentFileEntry(name, value)).join('');
  return {
    maskCommands: [...masks].map(addMaskCommand).join(''),
    names: [...values.keys()],
    unmasked,
    variable,
    file,
    write() {
      try {
        appendFileSync(file, entries);
      } catch (err) {
        throw new HakoError(
          'E_IO',
          `cannot write $${variable} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
          'check the step runs in GitHub Actions',
        );
      }
    },
  };
}

/**
 * What to mask for one value: each spelling the launcher redacts; a spelling that spans lines
 * is masked as its lines (trimmed, as the runner compares them), each long enough to redact.
 */
export function maskSpellings(value: string): string[] {
  const out: string[] = [];
  for (const form of redactionForms(value)) {
    const s = form.toString('utf8');
    if (!/[\r\n]/.test(s)) {
      out.push(s);
      continue;
    }
    for (const line of s.split(/\r\n|\r|\n/)) {
      const trimmed = line.trim();
      if (isRedactable(trimmed)) out.push(trimmed);
    }
  }
  return out;
}
