/**
 * Team passphrases: HAKO_PASSPHRASE_<ENV> or HAKO_PASSPHRASE, else a prompt on a terminal.
 * Only environments whose key was derived from a passphrase (a `passphrase` block) answer.
 */
import { deriveKeyFromPassphrase } from '../crypto/argon2id.js';
import type { KeyAnswer, KeyContext, KeySource, KeyTarget } from './key-source.js';

export function passphraseVarName(env: string): string {
  return `HAKO_PASSPHRASE_${env.toUpperCase().replace(/-/g, '_')}`;
}

/** The passphrase for `env` from the process environment, and which variable held it. */
export function passphraseFromEnv(ctx: KeyContext, env: string): { value: string; from: string } | null {
  const specific = passphraseVarName(env);
  const v = ctx.env[specific];
  if (v) return { value: v, from: specific };
  const general = ctx.env['HAKO_PASSPHRASE'];
  if (general) return { value: general, from: 'HAKO_PASSPHRASE' };
  return null;
}

export class PassphraseSource implements KeySource {
  readonly kind = 'passphrase' as const;

  constructor(private readonly ctx: KeyContext) {}

  async find(target: KeyTarget): Promise<KeyAnswer> {
    if (!target.passphrase) return { missed: 'the environment has no passphrase' };
    let found = passphraseFromEnv(this.ctx, target.env);
    if (!found && this.ctx.promptSecret) {
      found = { value: await this.ctx.promptSecret(`Passphrase for environment '${target.env}': `), from: 'passphrase prompt' };
    }
    if (!found) return { missed: `neither ${passphraseVarName(target.env)} nor HAKO_PASSPHRASE is set` };
    const key = await deriveKeyFromPassphrase(found.value, target.keyId, target.passphrase, `environment '${target.env}'`);
    return { key, label: found.from };
  }
}
