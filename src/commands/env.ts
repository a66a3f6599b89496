/** hako env add | ls | rm */
import { HakoError } from '../core/errors.js';
import { addEnvironment, listEnvironments, removeEnvironment, type Access } from '../services/environments.js';
import { flag, type CommandSpec } from './command.js';
import { readNewPassphrase } from './input.js';
import { jsonOption, keychainOptions, keychainRequest } from './options.js';
import { json, table } from './table.js';

export function accessText(a: Access): string {
  if (a.opens === null) return `passphrase from ${a.label}, not checked`;
  return a.opens
    ? `open (${a.kind === 'key-file' ? 'key file' : a.kind === 'keychain' ? a.label.replace(/^keychain \((.*)\)$/, 'keychain: $1') : a.label})`
    : a.code === 'E_NO_KEY'
      ? 'no key on this machine'
      : `error: ${a.code}`;
}

/** `via` in JSON listings: how it opens, or which source would be tried (unchecked), else null. */
export function accessVia(a: Access): string | null {
  return a.opens === false ? null : a.kind;
}

export const envCommands: CommandSpec[] = [
  {
    words: ['env', 'add'],
    summary: 'create an environment with its own key',
    usage: 'hako env add NAME [--passphrase] [--keychain [--keychain-store STORE]]',
    description:
      'A new environment gets a new key id and a key: random and saved as a key file in $HAKO_HOME, or,\n' +
      'with --passphrase, derived from a team passphrase with Argon2id (asked twice on a terminal, else\n' +
      'HAKO_PASSPHRASE_<ENV>, HAKO_PASSPHRASE, or stdin). Teammates then run `hako key import --passphrase`.\n' +
      'With --keychain the key goes to the OS keychain instead of a key file (macOS Keychain, Windows\n' +
      'Credential Manager, the Secret Service on Linux); when no keychain is usable nothing is created.',
    options: { passphrase: { type: 'boolean', help: 'derive the key from a team passphrase' }, ...keychainOptions },
    positionals: [1, 1],
    examples: [
      'hako env add staging',
      'hako env add production --passphrase',
      'HAKO_PASSPHRASE="$TEAM_PASS" hako env add ci --passphrase',
      'hako env add development --keychain',
    ],
    async run(ctx, args) {
      const name = args.positionals[0]!;
      const request = keychainRequest(args);
      const passphrase = flag(args, 'passphrase') ? await readNewPassphrase(ctx, name, 'current') : undefined;
      const r = await addEnvironment(ctx, name, passphrase, request);
      ctx.io.stderr(
        `hako: created environment '${name}' (key id ${r.keyId}${passphrase !== undefined ? ', from a passphrase' : ''}); ${request ? 'key in the' : 'key file'} ${r.keyFile}\n`,
      );
    },
  },
  {
    words: ['env', 'ls'],
    summary: 'list environments and whether this machine can open them',
    usage: 'hako env ls [--json]',
    options: { json: jsonOption },
    examples: ['hako env ls', 'hako env ls --json | jq -r ".[].env"'],
    async run(ctx, args) {
      const envs = await listEnvironments(ctx);
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json(
            envs.map((e) => ({
              env: e.name,
              key_id: e.keyId,
              key: e.keyKind,
              secrets: e.secrets,
              recipients: e.recipients,
              opens: e.access.opens,
              via: accessVia(e.access),
              source: e.access.opens === false ? null : e.access.label,
            })),
          ),
        );
        return;
      }
      if (envs.length === 0) {
        ctx.io.stderr('hako: no environments yet; create one with hako env add NAME\n');
        return;
      }
      ctx.io.stdout(
        table([
          ['ENVIRONMENT', 'KEY ID', 'KEY', 'SECRETS', 'ACCESS'],
          ...envs.map((e) => [e.name, e.keyId, e.keyKind, String(e.secrets), accessText(e.access)]),
        ]),
      );
    },
  },
  {
    words: ['env', 'rm'],
    summary: 'delete an environment and all its values from the file',
    usage: 'hako env rm NAME --yes',
    description: 'The key file stays in $HAKO_HOME so older commits remain readable. Needs --yes.',
    options: { yes: { type: 'boolean', short: 'y', help: 'confirm the deletion' } },
    positionals: [1, 1],
    examples: ['hako env rm preview-42 --yes'],
    async run(ctx, args) {
      const name = args.positionals[0]!;
      if (!flag(args, 'yes'))
        throw new HakoError('E_USAGE', `removing environment '${name}' deletes all its values`, `confirm with: hako env rm ${name} --yes`);
      const r = await removeEnvironment(ctx, name);
      ctx.io.stderr(`hako: removed environment '${name}' (${r.secrets} secrets); its key file stays for history\n`);
    },
  },
];
