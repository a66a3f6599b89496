/**
 * Per-checkout state kept outside the repository under $HAKO_HOME (push records, the runner
 * mirror) is named by a hash of the checkout's real path: the same folder always finds its
 * own, and the name reveals nothing about the path.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { hakoHome } from '../core/home.js';

export function workspaceHash(root: string): string {
  let real = root;
  try {
    real = realpathSync(root);
  } catch {
    /* a path that cannot be resolved is hashed as given */
  }
  return createHash('sha256').update(`hako-workspace:${real}`).digest('hex').slice(0, 32);
}

/** `$HAKO_HOME/<kind>/<workspace-hash>.json` */
export function workspaceStatePath(env: NodeJS.ProcessEnv, kind: 'mirror' | 'push', root: string): string {
  return join(hakoHome(env), kind, `${workspaceHash(root)}.json`);
}
