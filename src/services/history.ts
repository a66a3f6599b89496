/**
 * `hako log`: who changed which secret in which environment, when, in which commit, from git
 * history; no key needed.
 *
 * Two git processes whatever the length of history: `git log --raw` lists every commit that
 * touched `.hako/secrets.json` with the file's blob before and after, and one `git cat-file
 * --batch` reads those blobs. Each pair is compared by environment and name: a secret added,
 * changed (token or expiry; a value's token changes only when it is set) or removed; an
 * environment added or removed; its key rotated (then every token changes, and only names
 * added or removed are told apart); a recipient added or removed. Merge commits are left
 * out: what they bring was made, and is listed, in the commits they merge.
 */
import { relative, join, sep } from 'node:path';
import { HakoError } from '../core/errors.js';
import { readObjects, runGit } from '../core/git/run-git.js';
import { SECRETS_FILE_NAME } from '../core/formats/secrets-file.js';
import type { ServiceContext } from './context.js';
import { findProject } from './project.js';

export type LogKind = 'added' | 'changed' | 'removed' | 'rotated' | 'recipient-added' | 'recipient-removed' | 'env-added' | 'env-removed';

export interface LogEntry {
  commit: string;
  author: string;
  email: string;
  /** Author date, ISO 8601. */
  date: string;
  subject: string;
  env: string;
  /** The secret, or null for what concerns the whole environment (rotation, recipients). */
  name: string | null;
  kind: LogKind;
  /** Public detail: old → new key id, the recipient, the new expiry. Never a value or token. */
  detail?: string;
}

export interface LogOptions {
  name?: string;
  env?: string;
  /** At most this many entries (newest first). */
  limit?: number;
}

interface EnvView {
  keyId: string;
  recipients: Record<string, unknown>;
  secrets: Record<string, unknown>;
}

function view(blob: Buffer | null | undefined): Map<string, EnvView> | null {
  if (!blob) return new Map();
  let root: unknown;
  try {
    root = JSON.parse(blob.toString('utf8'));
  } catch {
    return null; // a conflicted or broken version says nothing
  }
  const envs = (root as { environments?: unknown })?.environments;
  const out = new Map<string, EnvView>();
  if (!envs || typeof envs !== 'object') return out;
  for (const [name, e] of Object.entries(envs as Record<string, Record<string, unknown>>)) {
    if (!e || typeof e !== 'object') continue;
    const secrets = (e['secrets'] ?? e['meta'] ?? {}) as Record<string, unknown>;
    out.set(name, {
      keyId: String(e['key_id'] ?? ''),
      recipients: (e['recipients'] ?? {}) as Record<string, unknown>,
      secrets: typeof secrets === 'object' && secrets ? secrets : {},
    });
  }
  return out;
}

function tokenOf(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function expiryNote(v: unknown): string | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as { expires?: string; rotate_every?: string };
  const parts = [o.expires ? `expires ${o.expires}` : '', o.rotate_every ? `rotate every ${o.rotate_every}` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : undefined;
}

function short(recipient: string): string {
  return recipient.length > 24 ? `${recipient.slice(0, 20)}…${recipient.slice(-4)}` : recipient;
}

interface Change {
  env: string;
  name: string | null;
  kind: LogKind;
  detail?: string;
}

/** What changed between two versions of the file, by environment and name. */
export function changesBetween(before: Map<string, EnvView>, after: Map<string, EnvView>): Change[] {
  const out: Change[] = [];
  const envs = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const env of envs) {
    const a = before.get(env);
    const b = after.get(env);
    if (!a && b) {
      out.push({ env, name: null, kind: 'env-added', detail: `key ${b.keyId}` });
      for (const name of Object.keys(b.secrets).sort()) out.push({ env, name, kind: 'added', ...note(b.secrets[name]) });
      for (const r of Object.keys(b.recipients).sort()) out.push({ env, name: null, kind: 'recipient-added', detail: short(r) });
      continue;
    }
    if (a && !b) {
      out.push({ env, name: null, kind: 'env-removed', detail: `key ${a.keyId}` });
      continue;
    }
    if (!a || !b) continue;
    const rotated = a.keyId !== b.keyId;
    if (rotated) out.push({ env, name: null, kind: 'rotated', detail: `key ${a.keyId} → ${b.keyId}` });
    for (const r of Object.keys(b.recipients).sort())
      if (!(r in a.recipients)) out.push({ env, name: null, kind: 'recipient-added', detail: short(r) });
    for (const r of Object.keys(a.recipients).sort())
      if (!(r in b.recipients)) out.push({ env, name: null, kind: 'recipient-removed', detail: short(r) });
    const names = [...new Set([...Object.keys(a.secrets), ...Object.keys(b.secrets)])].sort();
    for (const name of names) {
      const x = a.secrets[name];
      const y = b.secrets[name];
      if (x === undefined) out.push({ env, name, kind: 'added', ...note(y) });
      else if (y === undefined) out.push({ env, name, kind: 'removed' });
      else if (rotated) {
        if (expiryNote(x) !== expiryNote(y))
          out.push({ env, name, kind: 'changed', detail: `re-encrypted; ${expiryNote(y) ?? 'no expiry'}` });
      } else if (tokenOf(x) !== tokenOf(y)) {
        const en = expiryNote(y);
        const detail = expiryNote(x) !== en ? (en ?? 'expiry removed') : undefined;
        out.push({ env, name, kind: 'changed', ...(detail ? { detail } : {}) });
      }
    }
  }
  return out;
}

function note(v: unknown): { detail?: string } {
  const n = expiryNote(v);
  return n ? { detail: n } : {};
}

const ZERO = /^0+$/;

export function secretLog(ctx: ServiceContext, opts: LogOptions = {}): LogEntry[] {
  const project = findProject(ctx);
  if (!project.gitRoot)
    throw new HakoError('E_NOT_GIT', 'hako log reads git history, and this project is not in a git repository', 'run it in a clone');
  const path = relative(project.gitRoot, join(project.root, SECRETS_FILE_NAME)).split(sep).join('/');
  const r = runGit(
    project.gitRoot,
    ['log', '--no-merges', '--raw', '--no-abbrev', '--no-renames', '--format=%x01%H%x1f%an%x1f%ae%x1f%aI%x1f%s', 'HEAD', '--', path],
    ctx.env,
  );
  if (!r.ok) {
    if (/does not have any commits|unknown revision|bad revision/.test(r.stderr)) return [];
    throw new HakoError('E_IO', `git log failed: ${r.stderr.split('\n')[0]}`, 'check the repository');
  }
  interface Commit {
    sha: string;
    author: string;
    email: string;
    date: string;
    subject: string;
    before: string;
    after: string;
  }
  const commits: Commit[] = [];
  for (const chunk of r.stdout.toString('utf8').split('\x01')) {
    if (!chunk) continue;
    const nl = chunk.indexOf('\n');
    const [sha, author, email, date, subject] = chunk.slice(0, nl < 0 ? undefined : nl).split('\x1f') as [
      string,
      string,
      string,
      string,
      string,
    ];
    const raw = chunk
      .slice(nl + 1)
      .split('\n')
      .find((l) => l.startsWith(':') && l.endsWith(`\t${path}`));
    if (!raw) continue;
    const f = raw.split(/\s+/);
    commits.push({ sha, author, email, date, subject, before: f[2]!, after: f[3]! });
  }
  const ids = [...new Set(commits.flatMap((c) => [c.before, c.after]).filter((b) => !ZERO.test(b)))];
  const blobs = readObjects(project.gitRoot, ids, ctx.env);
  const views = new Map<string, Map<string, EnvView> | null>();
  ids.forEach((id, i) => views.set(id, view(blobs[i])));
  const out: LogEntry[] = [];
  for (const c of commits) {
    const before = ZERO.test(c.before) ? new Map<string, EnvView>() : views.get(c.before);
    const after = ZERO.test(c.after) ? new Map<string, EnvView>() : views.get(c.after);
    if (!before || !after) continue;
    // Which environments held the name (for environment-wide events when a name is asked for).
    const holds = (env: string) => !opts.name || (before.get(env)?.secrets[opts.name] ?? after.get(env)?.secrets[opts.name]) !== undefined;
    for (const ch of changesBetween(before, after)) {
      if (opts.env && ch.env !== opts.env) continue;
      if (opts.name && (ch.name === null ? !holds(ch.env) : ch.name !== opts.name)) continue;
      out.push({
        commit: c.sha,
        author: c.author,
        email: c.email,
        date: c.date,
        subject: c.subject,
        env: ch.env,
        name: ch.name,
        kind: ch.kind,
        ...(ch.detail ? { detail: ch.detail } : {}),
      });
      if (opts.limit && out.length >= opts.limit) return out;
    }
  }
  return out;
}
