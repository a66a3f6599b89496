/**
 * Looking for secrets where they should not be: the values of the environments that open on
 * this machine, in every spelling output redaction knows (raw, base64/base64url, hex, URL- and
 * JSON-escaped), in the files of the working tree, in staged files, or in every commit of the
 * history; and plaintext secret files (`.env`-like files, SOPS files left unencrypted).
 *
 * Findings name the file, the commit and the secret, never the value. History is read in one
 * `git log -p` pass: the matcher runs over the whole patch text once, and each match is placed
 * in its commit and file by binary search over the offsets of the commit and file headers.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve, sep } from 'node:path';
import { isHakoError } from '../core/errors.js';
import { gitText, readObjects, runGit, type GitOptions } from '../core/git/run-git.js';
import { SECRETS_FILE_NAME, type SecretsFile } from '../core/formats/secrets-file.js';
import { parseSopsConfig, matchCreationRule } from '../core/sops/config.js';
import { readSopsFile, NotEncryptedError } from '../core/sops/sops-file.js';
import { storeForPath } from '../core/sops/store.js';
import { Matcher, type Pattern } from '../launcher/matcher.js';
import { redactionForms } from '../launcher/redaction-forms.js';
import { nonInteractive, type ServiceContext } from './context.js';
import { openEnvironment, loadSecretsFile, findProject, type Project } from './project.js';
import { decryptValues } from './secrets.js';
import { HakoError } from '../core/errors.js';

/** Values shorter than this (not counting whitespace) are not searched for: "true" or "8080" are everywhere. */
export const MIN_SCAN_CHARS = 6;

export interface KnownValues {
  /** env → name → value, for the environments that opened. */
  values: Map<string, Map<string, string>>;
  /** Environments whose values could not be read here, and why (no key, …). */
  unchecked: { env: string; code: string; reason: string }[];
}

/**
 * Opens every environment it can without asking anyone (no prompt; a passphrase only from
 * its variable). An environment without a key here is listed as unchecked, not an error.
 */
export async function knownValues(ctx: ServiceContext, project: Project, file: SecretsFile, envs?: string[]): Promise<KnownValues> {
  const quiet = nonInteractive(ctx);
  const out: KnownValues = { values: new Map(), unchecked: [] };
  for (const env of envs ?? [...file.environments.keys()].sort()) {
    const record = file.environments.get(env);
    if (!record) continue;
    try {
      const opened = await openEnvironment(quiet, project, file, env);
      out.values.set(env, decryptValues(record, opened));
    } catch (err) {
      if (!isHakoError(err)) throw err;
      out.unchecked.push({ env, code: err.code, reason: err.code === 'E_NO_KEY' ? 'no key on this machine' : err.message });
    }
  }
  return out;
}

interface Labelled extends Pattern {
  env: string;
  name: string;
}

/** A matcher over every searchable spelling of every known value; null when there is nothing to look for. */
export function valueMatcher(known: Map<string, Map<string, string>>): Matcher | null {
  const byBytes = new Map<string, Labelled>();
  for (const [env, values] of known) {
    for (const [name, value] of values) {
      if (value.replace(/\s/gu, '').length < MIN_SCAN_CHARS) continue;
      for (const bytes of redactionForms(value)) {
        const key = bytes.toString('latin1');
        if (!byBytes.has(key)) byBytes.set(key, { bytes, replacement: Buffer.alloc(0), env, name });
      }
    }
  }
  return byBytes.size ? new Matcher(byBytes.values()) : null;
}

/** Every (env, name) whose value appears in `data`, each once, with the offset of its first match. */
export function findValues(m: Matcher, data: Uint8Array, from = 0, to = data.length): { env: string; name: string; at: number }[] {
  const found = new Map<string, { env: string; name: string; at: number }>();
  const end = Math.min(to, data.length);
  if (end - from < 4) return [];
  let i = from;
  while ((i = m.nextCandidate(data, i, Math.max(from, end - 2))) >= 0) {
    const p = m.longestAt(data, i) as Labelled | null;
    if (p && i + p.bytes.length <= end) {
      const k = `${p.env}\0${p.name}`;
      if (!found.has(k)) found.set(k, { env: p.env, name: p.name, at: i });
      i += p.bytes.length;
    } else i++;
  }
  return [...found.values()];
}

// ---------------------------------------------------------------- plaintext secret files

/** Names that mark a template: `.env.example`, `example.env`, `.env.sample`, `.env.template`, `.env.dist`, `.env.defaults`. */
const TEMPLATE_WORD = /(^|[.\-_])(example|examples|sample|template|tmpl|dist|defaults|schema)([.\-_]|$)/i;

/**
 * Files that hold secrets in plaintext by convention: `.env`, `.env.*`, `*.env`, Cloudflare's
 * `.dev.vars`, and `.envrc.local`. `.envrc` itself is left alone (direnv's script, which
 * `hako init --direnv` writes to call hako). A template (see TEMPLATE_WORD) is let through.
 */
export const PLAINTEXT_FILE_PATTERNS = ['.env', '.env.*', '*.env', '.dev.vars', '.dev.vars.*', '.envrc.local'];

export function isPlaintextSecretFileName(path: string): boolean {
  const base = basename(path);
  const envLike =
    base === '.env' || base.startsWith('.env.') || /.\.env$/.test(base) || base === '.dev.vars' || base.startsWith('.dev.vars.');
  const envrcLocal = base === '.envrc.local';
  if (!envLike && !envrcLocal) return false;
  return !TEMPLATE_WORD.test(base.replace(/^\.env\b/, '').replace(/\.env$/, '') || '.');
}

/** A dotenv file sops encrypted (its metadata lines), which is no plaintext. */
function isSopsDotenv(content: Buffer): boolean {
  const t = content.toString('utf8');
  return /^sops_mac=/m.test(t) && /^sops_version=/m.test(t);
}

export interface SopsRules {
  dir: string;
  config: ReturnType<typeof parseSopsConfig>;
}

/** `.sops.yaml` at the repository root, when there is one that parses. */
export function readSopsRules(root: string, text?: string | null): SopsRules | null {
  const t = text ?? (existsSync(join(root, '.sops.yaml')) ? readFileSync(join(root, '.sops.yaml'), 'utf8') : null);
  if (t === null) return null;
  try {
    return { dir: root, config: parseSopsConfig(t) };
  } catch {
    return null;
  }
}

/** Why a file is a plaintext secret file, or null. `path` is relative to the repository root. */
export function plaintextFileProblem(path: string, content: Buffer, sops: SopsRules | null): string | null {
  if (path === SECRETS_FILE_NAME) return null;
  if (isPlaintextSecretFileName(path)) {
    if (isSopsDotenv(content)) return null;
    if (content.toString('utf8').trim() === '') return null;
    return `a plaintext secrets file (${PLAINTEXT_FILE_PATTERNS.join(', ')}; templates such as .env.example are allowed)`;
  }
  if (sops) {
    const rule = matchCreationRule(sops.config, sops.dir, join(sops.dir, path));
    if (rule && rule.pathRegex) {
      try {
        readSopsFile(content.toString('utf8'), storeForPath(path));
        return null;
      } catch (err) {
        if (err instanceof NotEncryptedError)
          return `matches the .sops.yaml creation rule ${JSON.stringify(rule.pathRegex)} but is not encrypted`;
        return null; // not a file sops could read: not ours to judge
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------- working tree

export interface Finding {
  /** 'value': a known value in one of its spellings; 'plaintext-file': see `why`. */
  kind: 'value' | 'plaintext-file';
  file: string;
  commit?: string;
  env?: string;
  name?: string;
  why?: string;
}

export interface ScanReport {
  findings: Finding[];
  unchecked: KnownValues['unchecked'];
  /** What was searched: files (working tree) or commits (history). */
  files: number;
  commits: number;
  environments: string[];
}

const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Files of the work tree git knows or would add (tracked, and untracked but not ignored). */
export function workTreeFiles(gitRoot: string, env: NodeJS.ProcessEnv): string[] {
  const r = runGit(gitRoot, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], env);
  if (!r.ok) throw new HakoError('E_IO', `git ls-files failed in ${gitRoot}`, 'run hako scan inside a git work tree');
  return [...new Set(r.stdout.toString('utf8').split('\0').filter(Boolean))].sort();
}

export function scanFiles(root: string, files: readonly string[], matcher: Matcher | null, sops: SopsRules | null): Finding[] {
  const findings: Finding[] = [];
  for (const f of files) {
    if (f === SECRETS_FILE_NAME) continue;
    const abs = join(root, f);
    let content: Buffer;
    try {
      const st = statSync(abs);
      if (!st.isFile() || st.size > MAX_FILE_BYTES) continue;
      content = readFileSync(abs);
    } catch {
      continue; // deleted from the work tree but still in the index
    }
    findings.push(...scanContent(f, content, matcher, sops));
  }
  return findings;
}

export function scanContent(file: string, content: Buffer, matcher: Matcher | null, sops: SopsRules | null, commit?: string): Finding[] {
  const out: Finding[] = [];
  const why = plaintextFileProblem(file, content, sops);
  if (why) out.push({ kind: 'plaintext-file', file, why, ...(commit ? { commit } : {}) });
  if (matcher)
    for (const v of findValues(matcher, content))
      out.push({ kind: 'value', file, env: v.env, name: v.name, ...(commit ? { commit } : {}) });
  return out;
}

export interface ScanOptions {
  history?: boolean;
  envs?: string[];
}

export async function scanProject(ctx: ServiceContext, opts: ScanOptions = {}): Promise<ScanReport> {
  const project = findProject(ctx);
  if (!project.gitRoot) throw new HakoError('E_NOT_GIT', 'hako scan needs a git work tree', 'run it inside the repository');
  const file = loadSecretsFile(project);
  const known = await knownValues(ctx, project, file, opts.envs);
  const matcher = valueMatcher(known.values);
  const sops = readSopsRules(project.gitRoot);
  const base = { unchecked: known.unchecked, environments: [...known.values.keys()] };
  if (!opts.history) {
    const files = workTreeFiles(project.gitRoot, ctx.env);
    return { ...base, findings: scanFiles(project.gitRoot, files, matcher, sops), files: files.length, commits: 0 };
  }
  const h = scanHistory(project.gitRoot, matcher, sops, ctx.env);
  return { ...base, findings: h.findings, files: 0, commits: h.commits };
}

// ---------------------------------------------------------------- history

const COMMIT_MARK = Buffer.from('\n\x01');
const FILE_MARK = Buffer.from('\n+++ ');

/**
 * Every commit reachable from any ref, its patch against its first parent, in one git process.
 * A value is reported at the commits whose patch adds it (the line starts with "+"), with the
 * file; a plaintext secret file at the commits that add or change it.
 */
export function scanHistory(
  gitRoot: string,
  matcher: Matcher | null,
  sops: SopsRules | null,
  env: NodeJS.ProcessEnv,
): { findings: Finding[]; commits: number } {
  const r = runGit(
    gitRoot,
    [
      'log',
      '--all',
      '-p',
      '-a',
      '--no-textconv',
      '--no-ext-diff',
      '--no-color',
      '--no-renames',
      '--format=%x01%H',
      '--',
      '.',
      `:(exclude)${SECRETS_FILE_NAME}`,
    ],
    env,
  );
  if (!r.ok) {
    // An empty repository has no history to scan.
    if (gitText(gitRoot, ['rev-parse', '--verify', '-q', 'HEAD'], env) === null) return { findings: [], commits: 0 };
    throw new HakoError('E_IO', `git log failed: ${r.stderr.split('\n')[0]}`, 'check the repository with git fsck');
  }
  const data = r.stdout;
  // Commit headers: offsets of "\x01<sha>" at line starts.
  const commitAt: number[] = [];
  const commitSha: string[] = [];
  for (let i = data[0] === 1 ? 0 : data.indexOf(COMMIT_MARK); i >= 0; i = data.indexOf(COMMIT_MARK, i + 1)) {
    const s = data[i] === 1 ? i : i + 1;
    commitAt.push(s);
    commitSha.push(data.subarray(s + 1, data.indexOf(10, s)).toString('latin1'));
    if (s !== i) i = s;
  }
  // File headers: "+++ b/path" (or /dev/null for a deleted file).
  const fileAt: number[] = [];
  const filePath: string[] = [];
  for (let i = data.indexOf(FILE_MARK); i >= 0; i = data.indexOf(FILE_MARK, i + 1)) {
    const end = data.indexOf(10, i + 1);
    fileAt.push(i + 1);
    filePath.push(unquotePath(data.subarray(i + 5, end < 0 ? data.length : end).toString('utf8')));
  }
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const add = (f: Finding) => {
    const k = `${f.kind}\0${f.commit}\0${f.file}\0${f.env ?? ''}\0${f.name ?? ''}`;
    if (!seen.has(k)) {
      seen.add(k);
      findings.push(f);
    }
  };
  // Plaintext files: by name from the headers (their content is the added lines).
  for (let k = 0; k < fileAt.length; k++) {
    const path = filePath[k]!;
    if (path === '/dev/null' || !isPlaintextSecretFileName(path)) continue;
    const commit = commitSha[lastAtOrBefore(commitAt, fileAt[k]!)]!;
    const body = addedText(data, fileAt[k]!, nextStart(fileAt, commitAt, k, data.length));
    const why = plaintextFileProblem(path, body, sops);
    if (why) add({ kind: 'plaintext-file', file: path, commit, why });
  }
  if (matcher) {
    let i = 0;
    while ((i = matcher.nextCandidate(data, i, data.length - 2)) >= 0) {
      const p = matcher.longestAt(data, i) as Labelled | null;
      if (!p) {
        i++;
        continue;
      }
      const lineStart = data.lastIndexOf(10, i) + 1;
      if (data[lineStart] === 0x2b /* + */ && data[lineStart + 1] !== 0x2b) {
        const c = lastAtOrBefore(commitAt, i);
        const f = lastAtOrBefore(fileAt, i);
        if (c >= 0 && f >= 0 && fileAt[f]! > commitAt[c]!)
          add({ kind: 'value', commit: commitSha[c]!, file: filePath[f]!, env: p.env, name: p.name });
      }
      i += p.bytes.length;
    }
  }
  return { findings, commits: commitAt.length };
}

function nextStart(fileAt: number[], commitAt: number[], k: number, end: number): number {
  const nextFile = fileAt[k + 1] ?? end;
  const c = commitAt[lastAtOrBefore(commitAt, fileAt[k]!) + 1] ?? end;
  return Math.min(nextFile, c);
}

/** The added lines ("+…", without the "+") between two offsets of a patch. */
function addedText(data: Buffer, from: number, to: number): Buffer {
  const lines = data.subarray(from, to).toString('utf8').split('\n').slice(1);
  return Buffer.from(
    lines
      .filter((l) => l.startsWith('+'))
      .map((l) => l.slice(1))
      .join('\n'),
    'utf8',
  );
}

/** Index of the last element ≤ x in a sorted array, or -1. */
function lastAtOrBefore(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

/** "b/path" or a C-quoted "\"b/p\\303\\244th\"" from a patch header, as a path. */
function unquotePath(s: string): string {
  let t = s.replace(/\t$/, '');
  if (t.startsWith('"') && t.endsWith('"')) {
    const bytes: number[] = [];
    const inner = t.slice(1, -1);
    for (let i = 0; i < inner.length; i++) {
      const ch = inner[i]!;
      if (ch !== '\\') {
        bytes.push(...Buffer.from(ch, 'utf8'));
        continue;
      }
      const n = inner[++i]!;
      if (/[0-7]/.test(n)) {
        bytes.push(parseInt(inner.slice(i, i + 3), 8));
        i += 2;
      } else bytes.push(({ n: 10, t: 9, '"': 34, '\\': 92 } as Record<string, number>)[n] ?? n.charCodeAt(0));
    }
    t = Buffer.from(bytes).toString('utf8');
  }
  return t.startsWith('b/') ? t.slice(2) : t;
}

/**
 * The index a pre-commit hook must read: git points GIT_INDEX_FILE at a temporary index for
 * `git commit -a` and `git commit PATH`. Used only when it lies inside this repository's git
 * directory, so a stray variable cannot make hako read some other repository's index.
 */
export function hookIndex(gitRoot: string, env: NodeJS.ProcessEnv): GitOptions {
  const f = env['GIT_INDEX_FILE'];
  if (!f) return {};
  const gitDir = gitText(gitRoot, ['rev-parse', '--absolute-git-dir'], env)?.trim();
  if (!gitDir) return {};
  const abs = isAbsolute(f) ? f : resolve(gitRoot, f);
  return abs.startsWith(gitDir + sep) ? { indexFile: abs } : {};
}

/** Staged files (added, copied, modified) with their staged content. */
export function stagedFiles(gitRoot: string, env: NodeJS.ProcessEnv): { path: string; content: Buffer }[] {
  const opts = hookIndex(gitRoot, env);
  const r = runGit(gitRoot, ['diff', '--cached', '--name-only', '-z', '--no-renames', '--diff-filter=ACM'], env, undefined, opts);
  if (!r.ok) return [];
  const paths = r.stdout.toString('utf8').split('\0').filter(Boolean);
  const blobs = readObjects(
    gitRoot,
    paths.map((p) => `:${p}`),
    env,
    opts,
  );
  return paths.flatMap((path, i) => (blobs[i] ? [{ path, content: blobs[i]! }] : []));
}
