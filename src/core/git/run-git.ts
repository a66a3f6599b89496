/**
 * Running git on a repository someone else may have written.
 *
 * A checkout's own `.git/config` is not committed, but a repository copied from elsewhere (an
 * archive, a shared folder) brings one, and git runs commands from it: `core.fsmonitor` on
 * anything that reads the index, `core.pager`, diff and textconv drivers, `core.sshCommand`.
 * hako only reads history, so every call turns those off on the command line, drops the
 * variables that point git elsewhere (GIT_DIR, GIT_CONFIG_*, …) and never passes key
 * material. Output is returned as bytes or text; a failure is reported, never thrown raw.
 */
import { spawnSync } from 'node:child_process';
import { withoutKeyMaterial } from '../keys/key-material.js';

const SAFE_CONFIG = [
  'core.fsmonitor=false',
  'core.hooksPath=/dev/null',
  'core.pager=cat',
  'core.sshCommand=false',
  'core.untrackedCache=false',
  'diff.external=',
  'log.showSignature=false',
  'protocol.allow=never',
];

/** Variables that make git read another repository, another config, or run a program. */
const DROPPED =
  /^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|COMMON_DIR|NAMESPACE|CEILING_DIRECTORIES|DISCOVERY_ACROSS_FILESYSTEM|CONFIG.*|EXTERNAL_DIFF|DIFF_OPTS|PAGER|EDITOR|SSH.*|PROXY_COMMAND|ASKPASS|EXEC_PATH|TEMPLATE_DIR|TRACE.*)$/;

export function gitEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(withoutKeyMaterial(env))) if (!DROPPED.test(k) && k !== 'PAGER') out[k] = v;
  out['GIT_TERMINAL_PROMPT'] = '0';
  out['GIT_OPTIONAL_LOCKS'] = '0';
  out['LC_ALL'] = 'C';
  return out;
}

export interface GitResult {
  ok: boolean;
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface GitOptions {
  /**
   * An index file to read instead of the repository's own: what git gives a pre-commit hook
   * (GIT_INDEX_FILE) for `git commit -a` or `git commit PATH`. It names a file, runs nothing.
   */
  indexFile?: string;
}

export function runGit(
  cwd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input?: string | Buffer,
  opts: GitOptions = {},
): GitResult {
  const configArgs = SAFE_CONFIG.flatMap((c) => ['-c', c]);
  const childEnv = gitEnvironment(env);
  if (opts.indexFile) childEnv['GIT_INDEX_FILE'] = opts.indexFile;
  const r = spawnSync('git', ['--no-pager', ...configArgs, ...args], {
    cwd,
    env: childEnv,
    input,
    maxBuffer: 1024 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (r.error) return { ok: false, status: null, stdout: Buffer.alloc(0), stderr: (r.error as NodeJS.ErrnoException).code ?? 'error' };
  return { ok: r.status === 0, status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** stdout as text when git succeeded, else null. */
export function gitText(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv): string | null {
  const r = runGit(cwd, args, env);
  return r.ok ? r.stdout.toString('utf8') : null;
}

/**
 * Reads many objects in one process (`git cat-file --batch`): `specs` are object names such
 * as "<commit>:.hako/secrets.json". Missing ones come back as null.
 */
export function readObjects(cwd: string, specs: readonly string[], env: NodeJS.ProcessEnv, opts: GitOptions = {}): (Buffer | null)[] {
  if (specs.length === 0) return [];
  const r = runGit(cwd, ['cat-file', '--batch'], env, specs.join('\n') + '\n', opts);
  if (!r.ok) return specs.map(() => null);
  const out: (Buffer | null)[] = [];
  let at = 0;
  const buf = r.stdout;
  for (let i = 0; i < specs.length; i++) {
    const nl = buf.indexOf(10, at);
    if (nl < 0) {
      out.push(null);
      continue;
    }
    const header = buf.subarray(at, nl).toString('utf8');
    at = nl + 1;
    const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!m) {
      out.push(null); // "<spec> missing" or "ambiguous"
      continue;
    }
    const size = Number(m[2]);
    out.push(m[1] === 'blob' ? Buffer.from(buf.subarray(at, at + size)) : null);
    at += size + 1; // the object, then a newline
  }
  return out;
}
