/**
 * Typed accessors from the names of the project's secrets file (no key needed): renders
 * TypeScript or Go, and writes the result only when its bytes change (atomically, keeping
 * the file's mode), so a build that runs typegen every time leaves git and mtimes alone.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { HakoError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { typegenNames } from '../typegen/model.js';
import { renderTypeScript, TS_DEFAULT_FILE } from '../typegen/typescript.js';
import { assertGoPackage, GO_DEFAULT_FILE, GO_DEFAULT_PACKAGE, isGoPackageName, renderGo } from '../typegen/go.js';
import { findProject, loadSecretsFile } from './project.js';
import type { ServiceContext } from './context.js';

export type TypegenLang = 'ts' | 'go';

export interface TypegenRequest {
  lang: TypegenLang;
  /** A file, or a folder (existing, or ending in "/") that gets the default file name. */
  out?: string;
  /** Go package name; default: the output folder's name when it is a valid one, else "secrets". */
  goPackage?: string;
  /** Compare with `out` instead of writing it. */
  check?: boolean;
}

export interface TypegenResult {
  text: string;
  names: number;
  /** Absent when printing to stdout. */
  path?: string;
  /** True when the file was (or, with check, would be) changed. */
  changed: boolean;
}

export function generateAccessors(ctx: ServiceContext, req: TypegenRequest): TypegenResult {
  const names = typegenNames(loadSecretsFile(findProject(ctx)));
  const path = req.out === undefined ? undefined : outputPath(resolve(ctx.cwd, req.out), req.out, req.lang);
  const text = req.lang === 'ts' ? renderTypeScript(names) : renderGo(names, goPackage(req, path));
  if (path === undefined) {
    if (req.check) throw new HakoError('E_USAGE', '--check needs --out PATH', 'e.g. hako typegen --check --out src/hako-secrets.ts');
    return { text, names: names.length, changed: true };
  }
  const changed = readIfExists(path) !== text;
  if (changed && !req.check) writeFileAtomic(path, text, { mode: modeOf(path), dirMode: 0o755 });
  return { text, names: names.length, path, changed };
}

function outputPath(abs: string, given: string, lang: TypegenLang): string {
  let isDir = given.endsWith('/');
  try {
    isDir ||= statSync(abs).isDirectory();
  } catch {
    /* a new file */
  }
  return isDir ? join(abs, lang === 'ts' ? TS_DEFAULT_FILE : GO_DEFAULT_FILE) : abs;
}

function goPackage(req: TypegenRequest, path: string | undefined): string {
  if (req.goPackage !== undefined) return assertGoPackage(req.goPackage);
  const folder = path === undefined ? '' : basename(dirname(path));
  return isGoPackageName(folder) ? folder : GO_DEFAULT_PACKAGE;
}

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new HakoError('E_IO', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check the path given to --out');
  }
}

function modeOf(path: string): number {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return 0o644;
  }
}
