/**
 * What every service needs from its caller: where it runs, the process environment, a way
 * to ask a person for a secret (only on a terminal), and a way to say something that is not
 * the command's result (a created environment, a stale lock removed). Services never print.
 */
import type { KeyContext, KeySource } from '../core/keys/key-source.js';
import { defaultKeySources } from '../core/keys/default-sources.js';

export interface ServiceContext extends KeyContext {
  cwd: string;
  notice: (message: string) => void;
  /** Overrides the key sources (tests, or a caller that must never prompt). */
  keySources?: KeySource[];
  /** The clock for time-based rules (password backoff); tests inject one. Default Date.now. */
  now?: () => number;
}

export function nowOf(ctx: ServiceContext): number {
  return ctx.now ? ctx.now() : Date.now();
}

export function keySourcesFor(ctx: ServiceContext): KeySource[] {
  return ctx.keySources ?? defaultKeySources(ctx);
}

/** The same context without a person to ask: for probes that must never block. */
export function nonInteractive(ctx: ServiceContext): ServiceContext {
  const { promptSecret: _ignored, ...rest } = ctx;
  return rest;
}
