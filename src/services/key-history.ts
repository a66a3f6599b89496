/**
 * What git history says about an environment's keys, for a machine that has no pin yet (or
 * that sees a chain it cannot place): every state of the environment that a commit made,
 * in HEAD's history and at the tip of the upstream default branch.
 *
 * Only commits whose diff touches a `"key_id"` or `"chain"` line can change keys, so git
 * finds them (`log -m -G`, merges included, so a key cannot hide in a merge), and one
 * `cat-file --batch` reads the file at each. The rules applied to those states live in
 * `judgeHistory`, which does no I/O.
 */
import { existsSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { compareChains } from '../core/trust/key-chain.js';
import { gitText, readObjects } from '../core/git/run-git.js';
import { SECRETS_FILE_NAME } from '../core/formats/secrets-file.js';
import type { Project } from './project.js';

/** One environment as a commit left it: absent, without a chain (format 1), or with one. */
export type EnvState = { absent: true } | { absent: false; keyId: string; chain: string[] };

export interface CommitState {
  commit: string;
  state: EnvState;
}

export interface EnvHistory {
  /** Newest first, in topological order: the states HEAD's history made. */
  head: CommitState[];
  /** The environment at the tip of the upstream default branch, when there is one. */
  upstream: { ref: string; state: EnvState } | null;
}

export type HistoryAvailability = { ok: true; gitRoot: string; path: string } | { ok: false; why: 'no-git' | 'shallow' | 'untracked' };

export function historyAvailability(project: Project, env: NodeJS.ProcessEnv): HistoryAvailability {
  if (!project.gitRoot || !existsSync(join(project.gitRoot, '.git'))) return { ok: false, why: 'no-git' };
  const shallow = gitText(project.gitRoot, ['rev-parse', '--is-shallow-repository'], env);
  if (shallow === null) return { ok: false, why: 'no-git' };
  if (shallow.trim() === 'true') return { ok: false, why: 'shallow' };
  const path = relative(realpathSync(project.gitRoot), realpathSync(project.file)).split(sep).join('/');
  // Not committed yet (a new project, or no commit at all): history has nothing to say.
  if (gitText(project.gitRoot, ['cat-file', '-e', `HEAD:${path}`], env) === null) return { ok: false, why: 'untracked' };
  return { ok: true, gitRoot: project.gitRoot, path };
}

function stateIn(text: Buffer | null, envName: string): EnvState | null {
  if (!text) return null;
  let root: unknown;
  try {
    root = JSON.parse(text.toString('utf8'));
  } catch {
    return null; // a commit with a broken file (a conflict committed by mistake) says nothing
  }
  const envs = (root as { environments?: Record<string, unknown> })?.environments;
  if (!envs || typeof envs !== 'object') return null;
  const e = Object.prototype.hasOwnProperty.call(envs, envName) ? (envs[envName] as Record<string, unknown>) : undefined;
  if (!e || typeof e !== 'object') return { absent: true };
  const keyId = typeof e['key_id'] === 'string' ? e['key_id'] : '';
  const chain = Array.isArray(e['chain']) ? e['chain'].filter((l): l is string => typeof l === 'string') : [];
  return { absent: false, keyId, chain };
}

export function readEnvHistory(at: { gitRoot: string; path: string }, envName: string, env: NodeJS.ProcessEnv): EnvHistory {
  const log = gitText(at.gitRoot, ['log', '-m', '--topo-order', '--format=%H', '-G', '"(key_id|chain)"', 'HEAD', '--', at.path], env) ?? '';
  const commits = [...new Set(log.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l)))];
  const upstreamRef = defaultUpstream(at.gitRoot, env);
  const specs = [...commits.map((c) => `${c}:${at.path}`), ...(upstreamRef ? [`${upstreamRef}:${at.path}`] : [])];
  const blobs = readObjects(at.gitRoot, specs, env);
  const head: CommitState[] = [];
  commits.forEach((commit, i) => {
    // A commit that deleted the file leaves no blob: the environment is absent there.
    const state = blobs[i] === null ? ({ absent: true } as const) : stateIn(blobs[i]!, envName);
    if (state) head.push({ commit, state });
  });
  let upstream: EnvHistory['upstream'] = null;
  if (upstreamRef) {
    const s = stateIn(blobs[commits.length] ?? null, envName);
    if (s) upstream = { ref: upstreamRef, state: s };
  }
  return { head, upstream };
}

/** The remote default branch git knows of (origin/HEAD, else origin/main or origin/master). */
function defaultUpstream(gitRoot: string, env: NodeJS.ProcessEnv): string | null {
  for (const ref of ['refs/remotes/origin/HEAD', 'refs/remotes/origin/main', 'refs/remotes/origin/master']) {
    const sha = gitText(gitRoot, ['rev-parse', '--verify', '-q', `${ref}^{commit}`], env);
    if (sha) return sha.trim();
  }
  return null;
}

export type HistoryJudgement =
  | { kind: 'ok' }
  /** HEAD is behind: its key was retired by a newer state upstream. Readable, not writable. */
  | { kind: 'behind-upstream'; newer: string[] }
  | { kind: 'rollback'; commit: string }
  | { kind: 'fork'; commit: string | null; where: 'history' | 'upstream' }
  | { kind: 'downgrade'; commit: string }
  | { kind: 'recreated'; commit: string | null };

/**
 * The rules, for an environment whose current entry has key id `keyId` and chain `current`
 * (empty when it has none yet):
 * - every chain HEAD's history shows must be a prefix of the current one: a longer one means
 *   the current key was already retired (rollback), a different one means a change the
 *   current key's predecessor did not make (fork);
 * - once an environment has a chain it never loses it (downgrade);
 * - a chain starts either where the environment is created or on the key it already had (an
 *   upgrade from format 1); a chain that starts on another key replaces the environment;
 * - the upstream default branch's chain must agree with the current one (one is a prefix of
 *   the other): a former member can branch from before their removal, but not past it.
 */
export function judgeHistory(current: { keyId: string; chain: string[] }, history: EnvHistory): HistoryJudgement {
  const chained = current.chain.length > 0;
  // Index (newest first) of the oldest state that has a chain: where the chain began.
  let genesisAt = -1;
  history.head.forEach((o, i) => {
    if (!o.state.absent && o.state.chain.length > 0) genesisAt = i;
  });
  for (let i = 0; i < history.head.length; i++) {
    const { commit, state } = history.head[i]!;
    if (state.absent) continue;
    if (state.chain.length === 0) {
      if (i < genesisAt) return { kind: 'downgrade', commit }; // a chain existed before this state
      continue;
    }
    if (!chained) return { kind: 'downgrade', commit: history.head[0]?.commit ?? commit };
    const rel = compareChains(state.chain, current.chain);
    if (rel === 'behind') return { kind: 'rollback', commit };
    if (rel === 'fork') return { kind: 'fork', commit, where: 'history' };
  }
  if (chained) {
    // The state just before the chain began: absent (a new environment), or the same key.
    const genesisKey = current.chain[0]!.slice(0, 16);
    const before = history.head.slice(genesisAt + 1);
    const firstPresent = before.findIndex((o) => !o.state.absent);
    if (firstPresent >= 0) {
      const prev = before[firstPresent]!.state as Extract<EnvState, { absent: false }>;
      if (firstPresent > 0 || prev.keyId !== genesisKey)
        return { kind: 'recreated', commit: history.head[Math.max(genesisAt, 0)]?.commit ?? null };
    }
  }
  const up = history.upstream;
  if (up && !up.state.absent && chained) {
    if (up.state.chain.length === 0) return { kind: 'ok' }; // upstream not upgraded yet
    const rel = compareChains(up.state.chain, current.chain);
    if (rel === 'fork') return { kind: 'fork', commit: null, where: 'upstream' };
    if (rel === 'behind') return { kind: 'behind-upstream', newer: up.state.chain };
  }
  return { kind: 'ok' };
}

/** Who made the commit that introduced `needle` (a key id) into the file, for messages. */
export interface CommitInfo {
  commit: string;
  author: string;
  date: string;
  /** git's %G? letter: G good, B bad, U good but unknown validity, N none, E cannot check, … */
  signature: string;
}

export function commitIntroducing(at: { gitRoot: string; path: string }, needle: string, env: NodeJS.ProcessEnv): CommitInfo | null {
  const out = gitText(at.gitRoot, ['log', '-1', '--format=%H%x00%an <%ae>%x00%aI%x00%G?', '-S', needle, 'HEAD', '--', at.path], env);
  if (!out || !out.trim()) return null;
  const [commit, author, date, signature] = out.trim().split('\0');
  return { commit: commit!, author: author!, date: date!, signature: signature ?? 'N' };
}

export function describeSignature(letter: string): string {
  switch (letter) {
    case 'G':
      return 'good signature';
    case 'U':
      return 'good signature, unknown validity';
    case 'X':
    case 'Y':
      return 'good signature, expired key';
    case 'R':
      return 'good signature, revoked key';
    case 'B':
      return 'BAD signature';
    case 'E':
      return 'signed, but git cannot check it here';
    default:
      return 'not signed';
  }
}

export const SECRETS_PATH = SECRETS_FILE_NAME;
