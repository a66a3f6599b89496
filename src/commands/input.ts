/**
 * Reading secrets from a person or a pipe, never from argv: a hidden prompt on a terminal,
 * else all of stdin with one trailing newline stripped, or a file. An empty value from the
 * prompt or stdin is refused (a file, or `--empty`, says it on purpose).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { HakoError } from '../core/errors.js';
import { passphraseFromEnv } from '../core/keys/passphrase-source.js';
import { valueFromBytes } from '../services/secrets.js';
import type { CommandContext } from './command.js';

export function stripOneNewline(buf: Buffer): Buffer {
  if (buf.length && buf[buf.length - 1] === 0x0a) return buf.subarray(0, buf[buf.length - 2] === 0x0d ? -2 : -1);
  return buf;
}

export async function readValue(ctx: CommandContext, name: string, fromFile?: string): Promise<string> {
  if (fromFile !== undefined) {
    try {
      return valueFromBytes(readFileSync(resolve(ctx.cwd, fromFile)), name);
    } catch (err) {
      if (err instanceof HakoError) throw err;
      throw new HakoError('E_IO', `cannot read ${fromFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check the path');
    }
  }
  const typed = ctx.io.stdinIsTTY && ctx.promptSecret;
  const value = typed
    ? valueFromBytes(Buffer.from(await ctx.promptSecret!(`Value for ${name}: `), 'utf8'), name)
    : valueFromBytes(stripOneNewline(await ctx.io.readStdin()), name);
  // An empty answer is far more often a mistake (Enter pressed, an unset variable piped in)
  // than a wish to replace the value with nothing.
  if (value === '') {
    throw new HakoError(
      'E_USAGE',
      `no value for ${name} (${typed ? 'an empty answer at the prompt' : 'empty stdin'}); nothing was written`,
      `to store an empty value on purpose: hako set ${name} --empty`,
    );
  }
  return value;
}

/**
 * A passphrase to create or rotate a key: `fromVars` (first set wins), else asked twice on a
 * terminal, else stdin. Refuses an empty one; warns about a short one.
 */
export async function readNewPassphrase(ctx: CommandContext, env: string, fromVars: 'current' | 'new'): Promise<string> {
  let value: string | undefined;
  if (fromVars === 'current') value = passphraseFromEnv(ctx, env)?.value;
  else value = ctx.env['HAKO_NEW_PASSPHRASE'] || undefined;
  if (value === undefined && ctx.io.stdinIsTTY && ctx.promptSecret) {
    const a = await ctx.promptSecret(`New passphrase for '${env}': `);
    const b = await ctx.promptSecret('Repeat it: ');
    if (a !== b) throw new HakoError('E_USAGE', 'the two passphrases differ; nothing was written', 'run the command again');
    value = a;
  }
  if (value === undefined) value = stripOneNewline(await ctx.io.readStdin()).toString('utf8');
  if (value.length === 0) throw new HakoError('E_USAGE', 'the passphrase is empty', 'choose a long passphrase, e.g. five random words');
  if ([...value].length < 12) ctx.notice('warning: a passphrase under 12 characters is weak against offline guessing');
  return value;
}

/** A passphrase to open an existing environment: variables, else a prompt, else stdin. */
export async function readPassphrase(ctx: CommandContext, env: string): Promise<string> {
  const fromEnv = passphraseFromEnv(ctx, env);
  if (fromEnv) return fromEnv.value;
  if (ctx.io.stdinIsTTY && ctx.promptSecret) return ctx.promptSecret(`Passphrase for '${env}': `);
  const v = stripOneNewline(await ctx.io.readStdin()).toString('utf8');
  if (!v) throw new HakoError('E_USAGE', 'no passphrase given', `set HAKO_PASSPHRASE, pipe it on stdin, or run on a terminal`);
  return v;
}
