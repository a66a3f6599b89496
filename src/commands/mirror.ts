/** hako mirror sync | status | rm | secret-file */
import { defaultEnv } from '../services/secrets.js';
import { mirrorStatus, readMirror, removeMirror, syncMirror } from '../services/mirror.js';
import { selectNames } from '../services/selection.js';
import { encodeActSecretFile } from '../core/formats/act-secrets.js';
import { HakoError } from '../core/errors.js';
import { assertNoProcessControl, deliveredVariables } from '../core/process-control-names.js';
import { flag, str, type CommandSpec } from './command.js';
import { allowedNames, allowOption, envOption, jsonOption, listOf } from './options.js';
import { json, table } from './table.js';

function age(seconds: number | null): string {
  if (seconds === null) return 'unknown';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

export const mirrorCommands: CommandSpec[] = [
  {
    words: ['mirror', 'sync'],
    summary: 'copy an environment into the local runner mirror, encrypted with RUNNER_SECRETS_KEY',
    usage: 'hako mirror sync [--env E] [--plaintext-cache]',
    description:
      'Opens the environment (every value, or nothing is written) and stores it in\n' +
      '$HAKO_HOME/mirror/<workspace-hash>.json (mode 0600), encrypted with AES-256-GCM under a key\n' +
      'derived from RUNNER_SECRETS_KEY by PBKDF2-SHA512 (210,000 iterations; docs/CI.md). Without\n' +
      'RUNNER_SECRETS_KEY it refuses, unless --plaintext-cache asks for an unencrypted copy.\n' +
      'Readers: hako run --mirror (offline, no repository key), hako mirror secret-file | act.',
    options: {
      env: envOption,
      'plaintext-cache': { type: 'boolean', help: 'keep the values unencrypted (when there is no RUNNER_SECRETS_KEY)' },
    },
    examples: [
      'export RUNNER_SECRETS_KEY="$(openssl rand -base64 32)"   # keep it in your password manager',
      'hako mirror sync --env development',
      'hako mirror sync --env staging --plaintext-cache',
    ],
    async run(ctx, args) {
      const r = await syncMirror(ctx, defaultEnv(ctx, str(args, 'env')), flag(args, 'plaintext-cache'));
      ctx.io.stderr(
        `hako: mirrored ${r.names.length} value(s) of '${r.env}' into ${r.path}${r.kept.length ? ` (also holds: ${r.kept.join(', ')})` : ''}\n`,
      );
      ctx.io.stderr(
        r.encrypted
          ? 'hako: encrypted with RUNNER_SECRETS_KEY (PBKDF2-SHA512, AES-256-GCM)\n'
          : 'hako: warning: NOT encrypted (--plaintext-cache): the values are in plaintext in that file (mode 0600) until hako mirror rm\n',
      );
    },
  },
  {
    words: ['mirror', 'status'],
    summary: 'what the runner mirror holds and how old it is (no key needed)',
    usage: 'hako mirror status [--json]',
    options: { json: jsonOption },
    examples: ['hako mirror status', 'hako mirror status --json'],
    async run(ctx, args) {
      const s = mirrorStatus(ctx);
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json({
            path: s.path,
            exists: s.exists,
            encrypted: s.encrypted,
            mode: s.mode === null ? null : s.mode.toString(8),
            environments: s.environments.map((e) => ({ env: e.env, names: e.names, synced_at: e.syncedAt, age_seconds: e.ageSeconds })),
          }),
        );
        return;
      }
      if (!s.exists) {
        ctx.io.stdout(`no runner mirror for this checkout (${s.path})\n`);
        return;
      }
      ctx.io.stdout(
        `${s.path}\n${s.encrypted ? 'encrypted with RUNNER_SECRETS_KEY' : 'NOT encrypted (plaintext cache)'}, mode ${s.mode?.toString(8)}\n`,
      );
      ctx.io.stdout(
        table([
          ['ENV', 'NAMES', 'SYNCED', 'AGE'],
          ...s.environments.map((e) => [e.env, String(e.names.length), e.syncedAt, age(e.ageSeconds)]),
        ]),
      );
    },
  },
  {
    words: ['mirror', 'rm'],
    summary: 'wipe the runner mirror of this checkout',
    usage: 'hako mirror rm',
    description: 'Overwrites the file with zeros, syncs it, and removes it.',
    options: {},
    examples: ['hako mirror rm'],
    async run(ctx) {
      const r = removeMirror(ctx);
      ctx.io.stderr(r.removed ? `hako: wiped ${r.path}\n` : `hako: no runner mirror to remove (${r.path})\n`);
    },
  },
  {
    words: ['mirror', 'secret-file'],
    summary: "print a mirrored environment in act's --secret-file format, for a pipe",
    usage: 'hako mirror secret-file [--env E] [--only NAME]... [--allow NAME]... [--force]',
    description:
      'Reads the mirror (RUNNER_SECRETS_KEY when it is encrypted; no repository key) and prints\n' +
      'NAME="value" lines as act reads them (godotenv). Meant for a pipe, never a file:\n' +
      '  hako mirror secret-file | act --secret-file /dev/stdin\n' +
      '  act --secret-file <(hako mirror secret-file)\n' +
      'When stdout is a regular file (> secrets.env) it refuses and prints nothing, unless --force.',
    options: {
      env: envOption,
      force: { type: 'boolean', help: 'print even when stdout is a regular file (the values then sit on disk)' },
      only: { type: 'string', multiple: true, label: 'NAME', help: 'only these names (repeatable, or A,B)' },
      allow: allowOption,
    },
    examples: [
      'hako mirror secret-file --env development | act --secret-file /dev/stdin',
      'act push --secret-file <(hako mirror secret-file)',
    ],
    async run(ctx, args) {
      if (ctx.io.stdoutIsFile && !flag(args, 'force')) {
        throw new HakoError(
          'E_NOT_IN_MEMORY',
          'stdout is a regular file: the secret file would put every value on disk in plaintext; nothing was written',
          'feed it through a pipe (hako mirror secret-file | act --secret-file /dev/stdin) or process substitution (act --secret-file <(hako mirror secret-file)); --force writes the file anyway',
        );
      }
      const env = defaultEnv(ctx, str(args, 'env'));
      const values = selectNames(readMirror(ctx, env), listOf(args, 'only'), env);
      assertNoProcessControl(deliveredVariables(values.keys(), 'value'), allowedNames(args), 'hako mirror secret-file');
      const text = encodeActSecretFile(values);
      if (ctx.io.stdoutIsTTY) ctx.notice('warning: printing secret values to the terminal');
      ctx.io.stdout(text);
    },
  },
];
