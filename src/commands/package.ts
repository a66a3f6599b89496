/** hako package seal | open: one environment's values in a password-sealed file. */
import { HakoError } from '../core/errors.js';
import { encodeExport } from '../services/transfer.js';
import { assertNoProcessControl, deliveredVariables } from '../core/process-control-names.js';
import { formatWait, openSealed, sealEnvironment } from '../services/packages.js';
import { LOCKOUT_POLICY } from '../core/lockout.js';
import { flag, str, type CommandContext, type CommandSpec } from './command.js';
import { stripOneNewline } from './input.js';
import { allowedNames, allowOption, envOption } from './options.js';
import { json } from './table.js';

/** The variable a package password may come from; hako never passes it to a program. */
export const PACKAGE_PASSWORD_VAR = 'HAKO_PACKAGE_PASSWORD';

/**
 * The password to open a package: HAKO_PACKAGE_PASSWORD, else a hidden prompt on a terminal,
 * else (only where stdin is hako's own, not a program's) stdin.
 */
export function packagePassword(ctx: CommandContext, file: string, opts: { stdin: boolean }): () => Promise<string> {
  return async () => {
    const fromEnv = ctx.env[PACKAGE_PASSWORD_VAR];
    if (fromEnv) return fromEnv;
    if (ctx.io.stdinIsTTY && ctx.promptSecret) return ctx.promptSecret(`Password for ${file}: `);
    if (opts.stdin) {
      const v = stripOneNewline(await ctx.io.readStdin()).toString('utf8');
      if (v) return v;
    }
    throw new HakoError(
      'E_USAGE',
      'no password for the sealed package',
      `set ${PACKAGE_PASSWORD_VAR}, or run on a terminal to be asked${opts.stdin ? ', or pipe it on stdin' : ''}`,
    );
  };
}

async function newPassword(ctx: CommandContext): Promise<string> {
  let value = ctx.env[PACKAGE_PASSWORD_VAR] || undefined;
  if (value === undefined && ctx.io.stdinIsTTY && ctx.promptSecret) {
    const a = await ctx.promptSecret('Password for the package: ');
    const b = await ctx.promptSecret('Repeat it: ');
    if (a !== b) throw new HakoError('E_USAGE', 'the two passwords differ; nothing was written', 'run the command again');
    value = a;
  }
  if (value === undefined) value = stripOneNewline(await ctx.io.readStdin()).toString('utf8');
  if (value.length === 0) throw new HakoError('E_USAGE', 'the password is empty', 'choose a long password, e.g. five random words');
  if ([...value].length < 12) ctx.notice('warning: a password under 12 characters is weak against offline guessing of a copied package');
  return value;
}

export const packageCommands: CommandSpec[] = [
  {
    words: ['package', 'seal'],
    summary: "seal an environment's values into one password-protected file (to ship with an app)",
    usage: 'hako package seal --env E --out FILE [--force]',
    description:
      'Opens every value of the environment and writes them to FILE, encrypted with AES-256-GCM under a\n' +
      'key derived from a password with Argon2id (m=64 MiB, t=3, p=4). The password: HAKO_PACKAGE_PASSWORD,\n' +
      'else asked twice on a terminal, else stdin. Opening needs only the file and the password, not the\n' +
      "project's key. Format: docs/FORMAT.md (sealed packages). Never replaces a file without --force.",
    options: {
      env: envOption,
      out: { type: 'string', label: 'FILE', help: 'where to write the package (e.g. secrets.encrypted)' },
      force: { type: 'boolean', help: 'replace FILE if it exists' },
      json: { type: 'boolean', help: 'print the result as JSON' },
    },
    examples: [
      'hako package seal --env production --out secrets.encrypted',
      'HAKO_PACKAGE_PASSWORD="$PW" hako package seal --env demo --out dist/secrets.encrypted --force',
    ],
    async run(ctx, args) {
      const env = str(args, 'env');
      const out = str(args, 'out');
      if (!env || !out)
        throw new HakoError('E_USAGE', 'give --env and --out', 'e.g. hako package seal --env production --out secrets.encrypted');
      const password = await newPassword(ctx);
      const r = await sealEnvironment(ctx, env, out, password, { force: flag(args, 'force') });
      if (flag(args, 'json')) {
        ctx.io.stdout(json({ path: r.path, env: r.env, names: r.names, missing_required: r.missing }));
        return;
      }
      ctx.io.stderr(`hako: sealed ${r.names.length} values of '${r.env}' into ${r.path}\n`);
      if (r.missing.length) ctx.notice(`warning: required secrets without a value, not in the package: ${r.missing.join(', ')}`);
    },
  },
  {
    words: ['package', 'open'],
    summary: 'print the values of a sealed package (json or dotenv) to stdout; nothing is written',
    usage: 'hako package open FILE [--format json|dotenv] [--allow NAME]',
    description:
      'The password: HAKO_PACKAGE_PASSWORD, else a hidden prompt on a terminal, else stdin. The values\n' +
      'stay in memory and go to stdout only. A wrong password is counted on this machine: the next try\n' +
      `waits 1, 2, 4, 8 s, and after ${LOCKOUT_POLICY.maxFailures} wrong ones in a row the package is locked for ${formatWait(LOCKOUT_POLICY.lockMs / 1000)}\n` +
      '(a success resets the count). --format dotenv refuses names that change what a process does\n' +
      '(NODE_OPTIONS, LD_PRELOAD, PATH, …) unless each is allowed with --allow NAME.',
    options: {
      format: { type: 'string', label: 'F', help: 'json (default) or dotenv' },
      allow: allowOption,
    },
    positionals: [1, 1],
    examples: ['hako package open secrets.encrypted', 'hako package open secrets.encrypted --format dotenv > /dev/shm/app.env'],
    async run(ctx, args) {
      const file = args.positionals[0]!;
      const format = str(args, 'format') ?? 'json';
      if (format !== 'json' && format !== 'dotenv')
        throw new HakoError('E_USAGE', `unknown --format '${format.slice(0, 20)}'`, 'use json or dotenv');
      const payload = await openSealed(ctx, file, packagePassword(ctx, file, { stdin: true }));
      if (format === 'dotenv')
        assertNoProcessControl(
          deliveredVariables(payload.secrets.keys(), 'value'),
          allowedNames(args),
          'hako package open --format dotenv',
        );
      if (ctx.io.stdoutIsTTY) ctx.notice('warning: printing secret values to the terminal');
      const sorted = new Map([...payload.secrets].sort(([a], [b]) => (a < b ? -1 : 1)));
      ctx.io.stdout(encodeExport(sorted, format));
    },
  },
];
