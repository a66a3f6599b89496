/**
 * What a killed agent left behind. The store records every instance (pid, start time,
 * process group) as it is spawned; a starting agent reads those rows and, for each group
 * that is still ours, stops it (SIGTERM, grace, SIGKILL) and removes its private files.
 * It never adopts: the instances' output pipes went with the dead agent, and a fresh start
 * under the new agent is the one state that is easy to reason about.
 *
 * "Still ours", without touching an unrelated process that reused a number:
 * - the group leader is alive with the recorded start time → ours;
 * - a process with the leader's pid is alive with another start time → the pid was reused:
 *   not ours (Linux never reuses a pid while a group of that id exists, so our group is gone);
 * - the leader is gone but members of its group remain (children the app started) → ours.
 */
import { removePrivateDir } from '../launcher/private-dir.js';
import { stopGroup } from './instance.js';
import { groupMembers, procStat } from './process-info.js';
import type { AgentStore, InstanceRow } from './store.js';

export interface ReapReport {
  stopped: { app: string; pid: number; members: number }[];
  gone: number;
}

export function leftoverGroup(row: InstanceRow): number | null {
  const leader = procStat(row.pid);
  if (leader && leader.state !== 'Z') {
    return leader.startTime === row.startTime && leader.pgid === row.pgid ? row.pgid : null;
  }
  return groupMembers(row.pgid).length > 0 ? row.pgid : null;
}

export async function reapLeftovers(store: AgentStore, graceMs: number): Promise<ReapReport> {
  const rows = store.instances();
  const report: ReapReport = { stopped: [], gone: 0 };
  await Promise.all(
    rows.map(async (row) => {
      const pgid = leftoverGroup(row);
      if (pgid !== null) {
        const members = groupMembers(pgid).length;
        await stopGroup(pgid, graceMs);
        report.stopped.push({ app: row.app, pid: row.pid, members });
      } else {
        report.gone++;
      }
      if (row.filesDir) removePrivateDir(row.filesDir);
      store.removeInstance(row.pid);
    }),
  );
  return report;
}
