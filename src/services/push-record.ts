/**
 * What hako pushed where, so the next push sends only what changed: per target, environment
 * and name, a keyed fingerprint of the value pushed (HMAC under a key derived from the
 * environment key: it says whether a value changed, and nothing about the value to anyone
 * without that key), when, and the platform's own "updated at" when it reports one.
 * Kept in `$HAKO_HOME/push/<workspace-hash>.json` (0600): never a value.
 *
 * A record that cannot be read is treated as empty (everything is pushed again) with a
 * notice: it is a cache, and the platform holds the truth.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { withFileLock } from '../core/fs/lock.js';
import { workspaceStatePath } from './workspace.js';
import type { ServiceContext } from './context.js';

export interface PushedEntry {
  fingerprint: string;
  key_id: string;
  pushed_at: string;
  platform_updated_at?: string;
}

/** target → environment → name → entry */
type Targets = Record<string, Record<string, Record<string, PushedEntry>>>;

interface RecordFile {
  hako_push_record: 1;
  targets: Targets;
}

export function pushRecordPath(ctx: ServiceContext, root: string): string {
  return workspaceStatePath(ctx.env, 'push', root);
}

export function readPushRecord(ctx: ServiceContext, root: string, target: string, env: string): Record<string, PushedEntry> {
  return load(ctx, pushRecordPath(ctx, root)).targets[target]?.[env] ?? {};
}

/** Merges `entries` into the record of `target`/`env` (under a lock: concurrent pushes lose nothing). */
export async function recordPushed(
  ctx: ServiceContext,
  root: string,
  target: string,
  env: string,
  entries: Record<string, PushedEntry>,
): Promise<void> {
  if (Object.keys(entries).length === 0) return;
  const path = pushRecordPath(ctx, root);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  await withFileLock(path, () => {
    const file = load(ctx, path);
    const byEnv = (file.targets[target] ??= {});
    byEnv[env] = { ...byEnv[env], ...entries };
    writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, dirMode: 0o700 });
  });
}

function load(ctx: ServiceContext, path: string): RecordFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { hako_push_record: 1, targets: {} };
  }
  try {
    const parsed = JSON.parse(text) as RecordFile;
    if (parsed.hako_push_record !== 1 || typeof parsed.targets !== 'object' || parsed.targets === null) throw new Error('shape');
    return parsed;
  } catch {
    ctx.notice(`the push record ${path} is unreadable; treating every value as not pushed yet`);
    return { hako_push_record: 1, targets: {} };
  }
}
