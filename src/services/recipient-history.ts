/**
 * When each recipient got access to each environment, as git history shows it: the first
 * commit of the unbroken run of commits, ending at HEAD, in which the environment lists the
 * recipient. A recipient removed and added again dates from the second addition.
 *
 * Only commits whose diff touches a line naming an age or ssh recipient can change who is
 * listed, so git finds those (`log -G`), and one `cat-file --batch` reads the file at each.
 * recipients.md has its own "Added" column, written by `hako recipients add`; this is the
 * independent record a reviewer can check it against.
 */
import { canonicalRecipient } from '../core/keys/age-recipient.js';
import { gitText, readObjects } from '../core/git/run-git.js';
import type { SecretsFile } from '../core/formats/secrets-file.js';
import { historyAvailability } from './key-history.js';
import type { Project } from './project.js';
import type { ServiceContext } from './context.js';

export type RecipientGitDate =
  | {
      kind: 'committed';
      commit: string;
      author: string;
      date: string;
      /** True when the search stopped at its commit limit: the recipient may be older. */
      orEarlier: boolean;
    }
  | { kind: 'uncommitted' }
  | { kind: 'unknown' };

export interface RecipientDates {
  /** Keyed by `env + "\n" + canonical recipient`. */
  dates: Map<string, RecipientGitDate>;
  /** Why history could not be read, or null. */
  unavailable: string | null;
}

/** The most commits read; older additions are reported as "on or before" the oldest read. */
export const RECIPIENT_HISTORY_LIMIT = 500;

const WHY: Record<string, string> = {
  'no-git': 'not in a git repository',
  shallow: 'a shallow clone (fetch the full history to see dates)',
  untracked: 'the secrets file is not committed yet',
};

export function recipientGitDates(ctx: ServiceContext, project: Project, file: SecretsFile): RecipientDates {
  const current = new Map<string, Set<string>>();
  for (const [env, record] of file.environments) current.set(env, new Set([...record.recipients.keys()].map(canonical)));
  const dates = new Map<string, RecipientGitDate>();
  const avail = historyAvailability(project, ctx.env);
  if (!avail.ok) {
    const kind = avail.why === 'shallow' ? 'unknown' : 'uncommitted';
    for (const [env, set] of current) for (const r of set) dates.set(`${env}\n${r}`, { kind });
    return { dates, unavailable: WHY[avail.why] ?? avail.why };
  }
  const log =
    gitText(
      avail.gitRoot,
      [
        'log',
        '-m',
        '--topo-order',
        `-n${RECIPIENT_HISTORY_LIMIT}`,
        '--format=%H%x00%aI%x00%an',
        '-G',
        '(age1|ssh-ed25519 )',
        'HEAD',
        '--',
        avail.path,
      ],
      ctx.env,
    ) ?? '';
  const seen = new Set<string>();
  const commits: { commit: string; date: string; author: string }[] = [];
  for (const line of log.split('\n')) {
    const [commit, date, author] = line.split('\0');
    if (!commit || !/^[0-9a-f]{40,64}$/.test(commit) || seen.has(commit)) continue;
    seen.add(commit);
    commits.push({ commit, date: date ?? '', author: author ?? '' });
  }
  const blobs = readObjects(avail.gitRoot, [`HEAD:${avail.path}`, ...commits.map((c) => `${c.commit}:${avail.path}`)], ctx.env);
  const states = blobs.map(recipientsIn);
  const head = states[0]!;
  const limited = commits.length >= RECIPIENT_HISTORY_LIMIT;
  for (const [env, set] of current) {
    for (const r of set) {
      const key = `${env}\n${r}`;
      if (!head.get(env)?.has(r)) {
        dates.set(key, { kind: 'uncommitted' });
        continue;
      }
      let since: (typeof commits)[number] | null = null;
      let broke = false;
      for (let i = 0; i < commits.length; i++) {
        if (!states[i + 1]!.get(env)?.has(r)) {
          broke = true;
          break;
        }
        since = commits[i]!;
      }
      dates.set(
        key,
        since
          ? { kind: 'committed', commit: since.commit, author: since.author, date: since.date, orEarlier: !broke && limited }
          : { kind: 'unknown' },
      );
    }
  }
  return { dates, unavailable: null };
}

const canonicalCache = new Map<string, string>();
function canonical(r: string): string {
  let c = canonicalCache.get(r);
  if (c === undefined) {
    c = canonicalRecipient(r) ?? r;
    if (canonicalCache.size < 10_000) canonicalCache.set(r, c);
  }
  return c;
}

/** env → canonical recipients, from one committed version of the file (empty when unreadable). */
function recipientsIn(blob: Buffer | null): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!blob) return out;
  let root: unknown;
  try {
    root = JSON.parse(blob.toString('utf8'));
  } catch {
    return out;
  }
  const envs = (root as { environments?: unknown })?.environments;
  if (!envs || typeof envs !== 'object') return out;
  for (const [env, entry] of Object.entries(envs as Record<string, unknown>)) {
    const recipients = entry && typeof entry === 'object' ? (entry as Record<string, unknown>)['recipients'] : undefined;
    if (!recipients || typeof recipients !== 'object') continue;
    out.set(env, new Set(Object.keys(recipients as object).map(canonical)));
  }
  return out;
}
