/**
 * Rolling an app from one environment version to another, one instance slot at a time:
 *
 *   for each slot: start a new instance with the new version and wait until its health check
 *   passes → route traffic to it → drain the old one (no new requests, in-flight ones
 *   finish, bounded) and stop it (SIGTERM, grace, SIGKILL).
 *
 * If a new instance fails (does not start, exits, or its check does not pass in time) it is
 * stopped, the old instances of the remaining slots were never touched and keep serving, and
 * the slots already swapped are rolled back the same careful way to the previous version.
 * The result says which slot failed and why. The operations are passed in, so this logic is
 * tested without processes and used with real ones by the app runner.
 */

export interface RollOps<I> {
  /** The instance serving each slot now (null: empty slot). */
  serving(slot: number): I | null;
  /** Starts an instance of `version` in `slot` and resolves once it is healthy; rejects with a reason. */
  start(slot: number, version: number): Promise<I>;
  /** Makes `inst` serve `slot` (routed, recorded as the slot's instance). */
  route(slot: number, inst: I): void;
  /** Takes `inst` out of routing, drains and stops it. */
  retire(inst: I): Promise<void>;
}

export type RollResult =
  | { ok: true; swapped: number }
  | { ok: false; slot: number; reason: string; restored: number[]; notRestored: { slot: number; reason: string }[] };

export async function rollSlots<I>(ops: RollOps<I>, slots: number, from: number | null, to: number): Promise<RollResult> {
  const swapped: number[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const old = ops.serving(slot);
    let fresh: I;
    try {
      fresh = await ops.start(slot, to);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const restored: number[] = [];
      const notRestored: { slot: number; reason: string }[] = [];
      if (from !== null) {
        for (const s of swapped.reverse()) {
          const current = ops.serving(s);
          try {
            const back = await ops.start(s, from);
            ops.route(s, back);
            if (current) await ops.retire(current);
            restored.push(s);
          } catch (e) {
            notRestored.push({ slot: s, reason: e instanceof Error ? e.message : String(e) });
          }
        }
      }
      return { ok: false, slot, reason, restored, notRestored };
    }
    ops.route(slot, fresh);
    if (old) await ops.retire(old);
    swapped.push(slot);
  }
  return { ok: true, swapped: swapped.length };
}

/**
 * One roll at a time per app: a request while a roll runs is queued, and requests queued
 * meanwhile are coalesced into one roll to the newest version. Every caller learns the
 * outcome of the roll that covered its request.
 */
export class RollQueue<R> {
  private running: Promise<void> | null = null;
  private pending: { version: number; waiters: ((r: R) => void)[] } | null = null;

  constructor(private readonly run: (version: number) => Promise<R>) {}

  request(version: number): Promise<R> {
    return new Promise<R>((resolve) => {
      if (this.pending) {
        this.pending.version = Math.max(this.pending.version, version);
        this.pending.waiters.push(resolve);
      } else {
        this.pending = { version, waiters: [resolve] };
      }
      if (!this.running) this.running = this.drain();
    });
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves when no roll runs or waits. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** `run` reports failures in its result; it must not throw. */
  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        const { version, waiters } = this.pending;
        this.pending = null;
        const result = await this.run(version);
        for (const w of waiters) w(result);
      }
    } finally {
      this.running = null;
    }
  }
}
