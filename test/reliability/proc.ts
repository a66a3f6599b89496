/**
 * Looking at what processes and files hold, for the leak tests: files under folders that hold
 * a secret, the descendants of a process (from /proc), whether a pid is alive, and a bounded
 * wait for a condition (a synchronisation point, not a timing claim).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Every file under `dirs` whose bytes contain one of `needles`. */
export function filesHolding(dirs: string[], needles: string[]): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      if (n === '.git' || n === 'node_modules') continue;
      const path = join(d, n);
      let st;
      try {
        st = statSync(path);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(path);
      else if (st.isFile()) {
        const text = readFileSync(path);
        if (needles.some((s) => text.includes(s))) hits.push(path);
      }
    }
  };
  for (const d of dirs) walk(d);
  return hits;
}

/** Pids of all descendants of `root`, from /proc/<pid>/stat. */
export function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(n), ppid);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const add = (pid: number) => {
    for (const [child, pp] of parent) {
      if (pp === pid) {
        out.push(child);
        add(child);
      }
    }
  };
  add(root);
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (cond()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * What must never appear anywhere a leak test looks: the project's values, its development
 * key `bundle` (whole and without its prefix), the key file's base64, and any extra strings.
 */
export function secretNeedles(p: { home: string; json(): any }, bundle: string, values: Record<string, string>, extra: string[]): string[] {
  const keyB64 = readFileSync(join(p.home, 'keys', p.json().environments.development.key_id), 'utf8').trim();
  return [...Object.values(values), bundle, bundle.slice(11), keyB64, ...extra];
}
