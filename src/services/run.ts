/**
 * `hako run`: open every value of an environment and start a program with them.
 *
 * Fails closed before anything runs: a required name without a value, a missing key or
 * any value that does not open stops the start. Only then is the program started, by the
 * launcher (src/launcher), with the chosen delivery and (by default) its output redacted.
 */
import type { Writable } from 'node:stream';
import { assertEnvName } from '../core/names.js';
import { assertNoProcessControl, deliveredVariables } from '../core/process-control-names.js';
import type { ServiceContext } from './context.js';
import { missingRequired, missingRequiredError } from './manifest.js';
import { findProject, loadSecretsFile, openEnvironment, requireEnvironment } from './project.js';
import { openValues } from './secrets.js';
import { prepareDelivery, type DeliveryMode } from '../launcher/delivery.js';
export { DELIVERY_MODES, type DeliveryMode } from '../launcher/delivery.js';
import { isRedactable } from '../launcher/redaction-forms.js';
import { matcherFor } from '../launcher/redactor.js';
import { spawnWithSecrets, type ChildExit } from '../launcher/spawn-with-secrets.js';
import { colourVars } from '../launcher/colour.js';

export interface RunRequest {
  env: string;
  via: DeliveryMode;
  command: string;
  args: readonly string[];
  /** Names the person allowed to be delivered although they change what a process does. */
  allow?: ReadonlySet<string>;
  /** Where redacted output goes; null runs without redaction (the child inherits stdio). */
  output: { stdout: Writable; stderr: Writable; stdoutIsTTY: boolean } | null;
}

export async function runWithSecrets(ctx: ServiceContext, req: RunRequest): Promise<ChildExit> {
  assertEnvName(req.env);
  const project = findProject(ctx);
  const file = loadSecretsFile(project);
  const record = requireEnvironment(file, req.env);
  const missing = missingRequired(file, record);
  if (missing.length) throw missingRequiredError(req.env, missing);
  // The key and its trust first (a forged entry says so before anything else), then the
  // names, then the values.
  const opened = await openEnvironment(ctx, project, file, req.env);
  if (req.via !== 'fd3') {
    // fd 3 sets no variable but HAKO_SECRETS_FD; env and files set one per secret.
    const delivered = deliveredVariables(record.secrets.keys(), req.via === 'files' ? 'file' : 'value');
    assertNoProcessControl(delivered, req.allow ?? new Set(), `hako run --via ${req.via}`);
  }
  const secrets = openValues(record, opened);

  const out = req.output;
  const redaction =
    out && [...secrets.values()].some(isRedactable) ? { stdout: out.stdout, stderr: out.stderr, matcher: () => matcherFor(secrets) } : null;
  return spawnWithSecrets({
    command: req.command,
    args: req.args,
    baseEnv: ctx.env,
    extraVars: redaction && out?.stdoutIsTTY ? colourVars(ctx.env) : {},
    prepare: () => prepareDelivery(req.via, req.env, secrets, ctx.env, ctx.notice),
    redaction,
  });
}
