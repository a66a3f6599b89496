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
import { decryptValues } from './secrets.js';
import { readMirror } from './mirror.js';
import { prepareDelivery, type DeliveryMode } from '../launcher/delivery.js';
export { DELIVERY_MODES, type DeliveryMode } from '../launcher/delivery.js';
import { isRedactable } from '../launcher/redaction-forms.js';
import { matcherFor } from '../launcher/redactor.js';
import { spawnWithSecrets, type ChildExit } from '../launcher/spawn-with-secrets.js';
import { colourVars } from '../launcher/colour.js';
import { privateBase } from '../launcher/private-dir.js';

export interface RunRequest {
  env: string;
  via: DeliveryMode;
  command: string;
  args: readonly string[];
  /** Names the person allowed to be delivered although they change what a process does. */
  allow?: ReadonlySet<string>;
  /** Take the values from the local runner mirror instead of the repository (offline, no repository key). */
  mirror?: boolean;
  /** Where redacted output goes; null runs without redaction (the child inherits stdio). */
  output: { stdout: Writable; stderr: Writable; stdoutIsTTY: boolean } | null;
  /** `--via files` may write plaintext on disk where no memory-backed folder exists. */
  allowDisk?: boolean;
  /** Redact also the values that are plainly not secrets (ports, booleans, localhost). */
  redactAll?: boolean;
}

export async function runWithSecrets(ctx: ServiceContext, req: RunRequest): Promise<ChildExit> {
  assertEnvName(req.env);
  // Where the files would go is settled before any key is looked for.
  if (req.via === 'files') privateBase(ctx.env, { allowDisk: req.allowDisk ?? false });
  if (req.mirror) {
    const values = readMirror(ctx, req.env);
    assertSafeHandOff(values.keys(), req.via, [...(req.allow ?? [])], 'hako run --mirror');
    return startWithValues(ctx, req, req.env, values);
  }
  const secrets = await openFromRepository(ctx, req);
  return startWithValues(ctx, req, req.env, secrets);
}

/**
 * Refuses to hand a process-control name (NODE_OPTIONS, LD_PRELOAD, PATH, …) to the program
 * unless the person allowed it by name. fd 3 sets no variable but HAKO_SECRETS_FD.
 */
export function assertSafeHandOff(names: Iterable<string>, via: DeliveryMode, allow: readonly string[], how: string): void {
  if (via === 'fd3') return;
  assertNoProcessControl(deliveredVariables(names, via === 'files' ? 'file' : 'value'), new Set(allow), `${how} --via ${via}`);
}

/** How to start a program, whatever its values come from. */
export type StartRequest = Omit<RunRequest, 'env'>;

/**
 * Starts the program with `secrets`, already opened and checked by the caller: the one path
 * every value source (an environment, an instance, a sealed package) shares. `label` names
 * the source in the fd 3 envelope.
 */
export function startWithValues(
  ctx: ServiceContext,
  req: StartRequest,
  label: string,
  secrets: ReadonlyMap<string, string>,
): Promise<ChildExit> {
  const out = req.output;
  const all = req.redactAll ?? false;
  const redaction =
    out && [...secrets.values()].some((v) => isRedactable(v, all))
      ? { stdout: out.stdout, stderr: out.stderr, matcher: () => matcherFor(secrets, all) }
      : null;
  return spawnWithSecrets({
    command: req.command,
    args: req.args,
    baseEnv: ctx.env,
    extraVars: redaction && out?.stdoutIsTTY ? colourVars(ctx.env) : {},
    prepare: () => prepareDelivery(req.via, label, secrets, ctx.env, ctx.notice, { allowDisk: req.allowDisk ?? false }),
    redaction,
  });
}

async function openFromRepository(ctx: ServiceContext, req: RunRequest): Promise<Map<string, string>> {
  const project = findProject(ctx);
  const file = loadSecretsFile(project);
  const record = requireEnvironment(file, req.env);
  const missing = missingRequired(file, record);
  if (missing.length) throw missingRequiredError(req.env, missing);
  // The key and its trust first (a forged entry says so before anything else), then the
  // names, then the values.
  const opened = await openEnvironment(ctx, project, file, req.env);
  assertSafeHandOff(record.secrets.keys(), req.via, [...(req.allow ?? [])], 'hako run');
  return decryptValues(record, opened);
}
