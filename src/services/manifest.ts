/**
 * The manifest: names a program needs, declared in the top-level `schema` of the secrets
 * file (`{"NAME": {"required": true, "description": "…"}}`). Declaring needs no key: it
 * touches names only. `hako run` refuses to start while a required name has no value in
 * the chosen environment; `hako ls` shows such names as missing; typegen types from it.
 */
import { HakoError } from '../core/errors.js';
import { assertSecretName } from '../core/names.js';
import type { EnvironmentRecord, SchemaEntry, SecretsFile } from '../core/formats/secrets-file.js';
import type { ServiceContext } from './context.js';
import { findProject, updateSecretsFile } from './project.js';

export const MAX_DESCRIPTION = 1000;

export interface DeclareRequest {
  required: boolean;
  /** Undefined keeps the current description; "" removes it. */
  description?: string;
}

export interface DeclareResult {
  name: string;
  entry: SchemaEntry;
  created: boolean;
  written: boolean;
}

export async function declareSecret(ctx: ServiceContext, name: string, req: DeclareRequest): Promise<DeclareResult> {
  assertSecretName(name);
  if (req.description !== undefined && (req.description.length > MAX_DESCRIPTION || /[\u0000-\u001f\u007f]/.test(req.description))) {
    throw new HakoError(
      'E_USAGE',
      `the description must be one line of at most ${MAX_DESCRIPTION} characters`,
      'shorten it, without newlines or control characters',
    );
  }
  const { result, written } = await updateSecretsFile(ctx, findProject(ctx), (file) => {
    const old = file.schema.get(name);
    const entry: SchemaEntry = { required: req.required };
    const description = req.description ?? old?.description;
    if (description) entry.description = description;
    file.schema.set(name, entry);
    return { name, entry, created: old === undefined };
  });
  return { ...result, written };
}

export async function undeclareSecret(ctx: ServiceContext, name: string): Promise<void> {
  assertSecretName(name);
  await updateSecretsFile(ctx, findProject(ctx), (file) => {
    if (!file.schema.delete(name)) {
      throw new HakoError('E_NO_SECRET', `${name} is not declared`, 'list declared names with hako ls --json (declared: true)');
    }
  });
}

/** Required names without a value in `record`, sorted. */
export function missingRequired(file: SecretsFile, record: EnvironmentRecord): string[] {
  const missing: string[] = [];
  for (const [name, entry] of file.schema) if (entry.required && !record.secrets.has(name)) missing.push(name);
  return missing.sort();
}

export function missingRequiredError(env: string, missing: readonly string[]): HakoError {
  return new HakoError(
    'E_MISSING_REQUIRED',
    `environment '${env}' has no value for ${missing.length === 1 ? 'the required secret' : `${missing.length} required secrets`}: ${missing.join(', ')}; nothing was run`,
    `set ${missing.length === 1 ? 'it' : 'each'} with hako set NAME --env ${env}, or mark a name optional with hako declare NAME --optional`,
  );
}
