/**
 * Backoff and lockout for password attempts (sealed packages), as pure functions of a state
 * and a clock, so the policy is tested without waiting.
 *
 * After the n-th consecutive failure (n < 5) the next attempt is allowed 2^(n-1) seconds
 * later (1, 2, 4, 8 s); after the 5th, and after every failure past it, attempts are refused
 * for 5 minutes. A refused attempt reads no password and counts nothing. Success resets.
 */

export const LOCKOUT_POLICY = { maxFailures: 5, lockMs: 5 * 60_000, baseDelayMs: 1_000 } as const;

export interface LockoutState {
  /** Consecutive failed attempts. */
  failures: number;
  /** No attempt before this time (ms since the epoch); 0 when none is pending. */
  notBefore: number;
}

export const FRESH: LockoutState = { failures: 0, notBefore: 0 };

export type Gate = { open: true } | { open: false; until: number; locked: boolean };

export function gate(state: LockoutState, now: number): Gate {
  if (now >= state.notBefore) return { open: true };
  return { open: false, until: state.notBefore, locked: state.failures >= LOCKOUT_POLICY.maxFailures };
}

export function afterFailure(state: LockoutState, now: number): LockoutState {
  const failures = state.failures + 1;
  const wait =
    failures >= LOCKOUT_POLICY.maxFailures ? LOCKOUT_POLICY.lockMs : LOCKOUT_POLICY.baseDelayMs * 2 ** Math.min(failures - 1, 30);
  return { failures, notBefore: now + wait };
}

/** What a state that was altered or removed behind hako's back becomes: locked from now. */
export function afterTampering(state: LockoutState, now: number): LockoutState {
  return {
    failures: Math.max(state.failures, LOCKOUT_POLICY.maxFailures),
    notBefore: Math.max(state.notBefore, now + LOCKOUT_POLICY.lockMs),
  };
}
