/**
 * Wiring hako into a git repository: `.gitattributes` entries that name hako's merge and diff
 * drivers for `.hako/secrets.json`, the local git config that defines them (a driver is never
 * committed: git runs only what the person configured), and a pre-commit hook that runs
 * `hako verify --staged`. A hook that is already there is never overwritten: it is chained
 * (kept beside ours and run first) when asked, else the person is told how.
 *
 * Also here: the textconv view (names per environment, never values or ciphertext) and
 * keeping one side of conflicts left by the merge driver.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { HakoError } from '../core/errors.js';
import { gitText, runGit } from '../core/git/run-git.js';
import { parseSecretsFile, encodeSecretsFile, SECRETS_FILE_NAME } from '../core/formats/secrets-file.js';
import { conflictRegions, hasConflictMarkers, resolveConflictText } from '../core/formats/secrets-conflict.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { withFileLock } from '../core/fs/lock.js';
import { shellQuote } from '../core/formats/shell.js';
import type { ServiceContext } from './context.js';
import { findProject } from './project.js';

export const HOOK_MARK = '# hako pre-commit hook';
const CHAINED_NAME = 'pre-commit.pre-hako';

export interface GitSetupOptions {
  /** How git should run hako, as a shell command line (e.g. "hako", or "/usr/bin/node /opt/hako/hako.cjs"). */
  command: string;
  /** Keep an existing pre-commit hook and run it before hako's. */
  chain?: boolean;
  /** Only the drivers, no hook. */
  noHook?: boolean;
}

export interface GitSetupResult {
  attributes: { path: string; changed: boolean };
  config: { key: string; value: string }[];
  hook: { path: string; state: 'installed' | 'updated' | 'chained' | 'kept-existing' | 'skipped'; chainedTo?: string };
}

export function gitSetup(ctx: ServiceContext, opts: GitSetupOptions): GitSetupResult {
  const project = findProject(ctx);
  if (!project.gitRoot)
    throw new HakoError('E_NOT_GIT', 'hako git setup needs a git repository', 'run git init first, then hako git setup');
  const root = project.gitRoot;

  // .hako/.gitattributes (beside hako init's "secrets.json -text"): attributes of a file apply from every line that matches it.
  const attrPath = join(project.root, '.hako', '.gitattributes');
  const want = 'secrets.json merge=hako diff=hako';
  const before = existsSync(attrPath) ? readFileSync(attrPath, 'utf8') : '';
  const lines = before.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
  if (!lines.includes(want)) lines.push('# hako git setup: merge and diff drivers (defined in each clone by hako git setup)', want);
  const after = lines.join('\n') + '\n';
  if (after !== before) writeFileAtomic(attrPath, after, { mode: 0o644 });

  // Local config: the drivers.
  const config = [
    { key: 'merge.hako.name', value: 'hako secrets (three-way by environment and name)' },
    { key: 'merge.hako.driver', value: `${opts.command} git merge-driver %O %A %B %P` },
    { key: 'diff.hako.textconv', value: `${opts.command} git textconv` },
    // git keeps each blob's converted text (refs/notes/textconv/hako), so a long `git log -p` runs hako once per version.
    { key: 'diff.hako.cachetextconv', value: 'true' },
  ];
  for (const c of config) {
    const r = runGit(root, ['config', '--local', c.key, c.value], ctx.env);
    if (!r.ok) throw new HakoError('E_IO', `git config ${c.key} failed: ${r.stderr.split('\n')[0]}`, 'check .git/config is writable');
  }

  const hooksDir = hooksDirectory(root, ctx.env);
  const hookPath = join(hooksDir, 'pre-commit');
  const result: GitSetupResult = {
    attributes: { path: attrPath, changed: after !== before },
    config,
    hook: { path: hookPath, state: 'skipped' },
  };
  if (opts.noHook) return result;

  mkdirSync(hooksDir, { recursive: true });
  const existing = existsSync(hookPath) ? readFileSync(hookPath, 'utf8') : null;
  const ours = existing !== null && existing.includes(HOOK_MARK);
  const chained = ours ? existing!.includes(CHAINED_NAME) && existsSync(join(hooksDir, CHAINED_NAME)) : false;
  if (existing !== null && !ours) {
    if (!opts.chain) {
      result.hook.state = 'kept-existing';
      return result;
    }
    if (existsSync(join(hooksDir, CHAINED_NAME))) {
      throw new HakoError(
        'E_EXISTS',
        `${join(hooksDir, CHAINED_NAME)} already exists; not moving ${hookPath} over it`,
        `add this line to ${hookPath} yourself: ${opts.command} verify --staged || exit 1`,
      );
    }
    renameSync(hookPath, join(hooksDir, CHAINED_NAME));
  }
  writeFileSync(hookPath, hookScript(opts.command, chained || (existing !== null && !ours)), { mode: 0o755 });
  chmodSync(hookPath, 0o755);
  result.hook.state = existing === null ? 'installed' : ours ? 'updated' : 'chained';
  if (result.hook.state === 'chained' || chained) result.hook.chainedTo = join(hooksDir, CHAINED_NAME);
  return result;
}

export function hookScript(command: string, chained: boolean): string {
  return [
    '#!/bin/sh',
    `${HOOK_MARK} (written by hako git setup; hako git setup rewrites it)`,
    '# Refuses a commit that holds plaintext secrets (.env-like files, unencrypted SOPS files, known',
    '# values in any encoding) or a broken .hako/secrets.json. Skip it once: git commit --no-verify',
    ...(chained ? [`"$(dirname "$0")/${CHAINED_NAME}" "$@" || exit $?`] : []),
    `${command} verify --staged || exit 1`,
    '',
  ].join('\n');
}

/** Where git looks for hooks: core.hooksPath when the person set one (husky, lefthook), else .git/hooks. */
function hooksDirectory(root: string, env: NodeJS.ProcessEnv): string {
  // The safe runner sets core.hooksPath on the command line; only the person's own settings count.
  const scoped = gitText(root, ['config', '--show-scope', '--get-all', 'core.hooksPath'], env) ?? '';
  const own = scoped
    .split('\n')
    .filter((l) => l && !l.startsWith('command\t'))
    .map((l) => l.slice(l.indexOf('\t') + 1));
  const set = own[own.length - 1];
  if (set) return isAbsolute(set) ? set : join(root, set);
  const common = (gitText(root, ['rev-parse', '--git-common-dir'], env) ?? '.git').trim();
  return join(isAbsolute(common) ? common : join(root, common), 'hooks');
}

/** The command line git runs hako with, for a hako started as `argv0 script`. */
export function commandFor(execPath: string, script: string | undefined): string {
  return script ? `${shellQuote(execPath)} ${shellQuote(script)}` : shellQuote(execPath);
}

// ---------------------------------------------------------------- textconv

/**
 * What `git diff` shows for a version of `.hako/secrets.json`: per environment its key id,
 * chain length, passphrase and recipients, then one line per secret with its expiry and a
 * short digest of its token (so a changed value shows as a changed line). Never a value,
 * never ciphertext. A file that does not parse is shown as such, with its conflict labels.
 */
export function textconv(text: string): string {
  if (text.trim() === '') return '';
  if (hasConflictMarkers(text)) {
    return ['(merge conflicts)', ...conflictRegions(text).map((r) => `conflict: ${r.label}`)].join('\n') + '\n';
  }
  let file;
  try {
    file = parseSecretsFile(text);
  } catch (err) {
    return `(does not parse: ${(err as Error).message})\n`;
  }
  const out: string[] = [`hako secrets, format ${file.version}`];
  for (const [env, r] of [...file.environments].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push('');
    if (r.sops) {
      out.push(`environment ${env}: SOPS file ${r.sops.path}, key ${r.keyId}, chain of ${r.chain.length}`);
      for (const [name, m] of [...r.meta].sort(([a], [b]) => (a < b ? -1 : 1))) out.push(`  ${name}${metaNote(m)}`);
      continue;
    }
    out.push(
      `environment ${env}: key ${r.keyId}, chain of ${r.chain.length}${r.passphrase ? `, passphrase (argon2id m=${r.passphrase.m} t=${r.passphrase.t} p=${r.passphrase.p})` : ''}`,
    );
    for (const rec of [...r.recipients.keys()].sort()) out.push(`  recipient ${rec.length > 80 ? `${rec.slice(0, 77)}...` : rec}`);
    for (const [name, token] of [...r.secrets].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const digest = createHash('sha256').update(token).digest('hex').slice(0, 8);
      out.push(`  ${name}  #${digest}${metaNote(r.meta.get(name))}`);
    }
  }
  if (file.schema.size) {
    out.push('', 'schema');
    for (const [name, e] of [...file.schema].sort(([a], [b]) => (a < b ? -1 : 1))) out.push(`  ${name}${e.required ? ' (required)' : ''}`);
  }
  return out.join('\n') + '\n';
}

function metaNote(m: { expires?: string; rotateEvery?: string } | undefined): string {
  if (!m) return '';
  const parts = [m.expires ? `expires ${m.expires}` : '', m.rotateEvery ? `rotate every ${m.rotateEvery}` : ''].filter(Boolean);
  return parts.length ? `  (${parts.join(', ')})` : '';
}

// ---------------------------------------------------------------- resolving conflicts

export interface ResolveResult {
  resolved: number;
  remaining: number;
}

/** Keeps one side of the merge conflicts in `.hako/secrets.json` (those of `env`/`names` only, when given). */
export async function resolveConflicts(
  ctx: ServiceContext,
  side: 'ours' | 'theirs',
  env?: string,
  names: string[] = [],
): Promise<ResolveResult> {
  const project = findProject(ctx);
  return withFileLock(project.file, () => {
    const text = readFileSync(project.file, 'utf8'); // as it is: reading through the project refuses markers
    if (!hasConflictMarkers(text))
      throw new HakoError('E_USAGE', `${SECRETS_FILE_NAME} has no merge conflicts`, 'nothing to resolve; check with hako verify');
    const r = resolveConflictText(text, side, env, names);
    if (r.resolved === 0) throw new HakoError('E_USAGE', 'no conflict matches that environment or name', `list them with hako verify`);
    let out = r.text;
    const remaining = conflictRegions(out).length;
    if (remaining === 0) out = encodeSecretsFile(parseSecretsFile(out)); // back to canonical form
    writeFileAtomic(project.file, out, { mode: 0o644 });
    return { resolved: r.resolved, remaining };
  });
}
