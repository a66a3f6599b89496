/**
 * Import and export of whole environments: dotenv, JSON and YAML in; dotenv, shell and JSON
 * out. Import is one write: every value lands or none does.
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { HakoError } from '../core/errors.js';
import { displayName } from '../core/display.js';
import { assertEnvName, assertSecretName } from '../core/names.js';
import { assertNoProcessControl, deliveredVariables } from '../core/process-control-names.js';
import { findProject, loadSecretsFile, openEnvironment, requireEnvironment } from './project.js';
import { encodePortableDotenv, readDotenv } from '../core/formats/dotenv.js';
import { encodeShellExports } from '../core/formats/shell.js';
import { parseJsonMap, parseYamlMap, type ImportFormat } from '../core/formats/structured.js';
import { decryptValues, setSecrets, valueFromBytes, type SetResult } from './secrets.js';
import type { ServiceContext } from './context.js';

export function importFormatOf(path: string, flag?: string): ImportFormat {
  const f =
    flag ?? ({ '.json': 'json', '.yaml': 'yaml', '.yml': 'yaml' } as Record<string, string>)[extname(path).toLowerCase()] ?? 'dotenv';
  if (f !== 'dotenv' && f !== 'json' && f !== 'yaml') {
    throw new HakoError('E_USAGE', `unknown import format '${f}'`, 'use --format dotenv, json or yaml');
  }
  return f;
}

export interface ImportReading {
  values: Map<string, string>;
  /** How lines were read (dotenv: a value cut at "#", a "$" kept as written); never a value. */
  notes: string[];
}

export async function parseImport(bytes: Buffer, format: ImportFormat, what: string): Promise<Map<string, string>> {
  return (await readImport(bytes, format, what)).values;
}

export async function readImport(bytes: Buffer, format: ImportFormat, what: string): Promise<ImportReading> {
  const text = valueFromBytes(bytes, what);
  let values: Map<string, string>;
  let notes: string[] = [];
  if (format === 'dotenv') {
    const reading = readDotenv(text, what, 'dotenv');
    values = new Map(reading.entries.map((e) => [e.name, e.value]));
    notes = reading.notes;
  } else if (format === 'json') values = parseJsonMap(text, what);
  else values = await parseYamlMap(text, what);
  const bad = [...values.keys()].filter((n) => {
    try {
      assertSecretName(n);
      return false;
    } catch {
      return true;
    }
  });
  if (bad.length) {
    throw new HakoError(
      'E_INVALID_NAME',
      `${what}: ${bad.length} invalid secret name(s): ${bad
        .slice(0, 10)
        .map((n) => displayName(n))
        .join(', ')}`,
      'secret names are upper-case letters, digits and "_", e.g. DATABASE_URL',
    );
  }
  return { values, notes };
}

export type ImportResult = SetResult & { notes: string[] };

/** Imports a file; `-` is the caller's stdin, whose bytes the caller passes as `stdin`. */
export async function importFile(
  ctx: ServiceContext,
  env: string,
  path: string,
  formatFlag?: string,
  stdin?: () => Promise<Buffer>,
): Promise<ImportResult> {
  const format = importFormatOf(path === '-' ? '' : path, formatFlag);
  let bytes: Buffer;
  if (path === '-') {
    if (!stdin) throw new HakoError('E_USAGE', 'no stdin to import from', 'give a file path');
    bytes = await stdin();
  } else {
    try {
      bytes = readFileSync(resolve(ctx.cwd, path));
    } catch (err) {
      throw new HakoError('E_IO', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check the path');
    }
  }
  const { values, notes } = await readImport(bytes, format, path === '-' ? 'stdin' : path);
  for (const [name, value] of values) valueFromBytes(Buffer.from(value, 'utf8'), name);
  return { ...(await setSecrets(ctx, env, values)), notes };
}

export type ExportFormat = 'dotenv' | 'shell' | 'json';

export function encodeExport(values: ReadonlyMap<string, string>, format: ExportFormat): string {
  if (format === 'dotenv') return encodePortableDotenv(values);
  if (format === 'shell') return encodeShellExports(values);
  return `${JSON.stringify(Object.fromEntries(values), null, 2)}\n`;
}

/**
 * Every value of `env` in `format`. dotenv and shell output is meant to be loaded into a
 * process or a shell (`node --env-file`, `eval`, direnv), so names that change what a process
 * does are refused there unless allowed by name; JSON is data and is not checked.
 */
export async function exportEnvironment(
  ctx: ServiceContext,
  env: string,
  format: ExportFormat,
  allow: ReadonlySet<string> = new Set(),
): Promise<string> {
  assertEnvName(env);
  const project = findProject(ctx);
  const file = loadSecretsFile(project);
  const record = requireEnvironment(file, env);
  const opened = await openEnvironment(ctx, project, file, env); // the key and its trust first
  if (format !== 'json')
    assertNoProcessControl(deliveredVariables(record.secrets.keys(), 'value'), allow, `hako export --format ${format}`);
  return encodeExport(decryptValues(record, opened), format);
}
