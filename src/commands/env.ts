/** hako env add | ls | rm */
import { HakoError } from '../core/errors.js';
import { addEnvironment, bindSopsEnvironment, listEnvironments, removeEnvironment, type Access } from '../services/environments.js';
import { flag, str, type CommandSpec } from './command.js';
import { readNewPassphrase } from './input.js';
import { jsonOption, keychainOptions, keychainRequest, listOf } from './options.js';
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
    usage: 'hako env add NAME [--passphrase] [--keychain [--keychain-store STORE]] | hako env add NAME --sops PATH [--age R]...',
    description:
      'A new environment gets a new key id and a key: random and saved as a key file in $HAKO_HOME, or,\n' +
      'with --passphrase, derived from a team passphrase with Argon2id (asked twice on a terminal, else\n' +
      'HAKO_PASSPHRASE_<ENV>, HAKO_PASSPHRASE, or stdin). Teammates then run `hako key import --passphrase`.\n' +
      'With --keychain the key goes to the OS keychain instead of a key file (macOS Keychain, Windows\n' +
      'Credential Manager, the Secret Service on Linux); when no keychain is usable nothing is created.\n' +
      'With --sops PATH the environment is bound to a SOPS file instead (docs/SOPS.md): an existing one\n' +
      '(this machine must open its data key; its top-level keys are the secrets) or a new, empty one for\n' +
      'the recipients of the matching .sops.yaml creation rule, or --age. Its values stay in the SOPS file.',
    options: {
      passphrase: { type: 'boolean', help: 'derive the key from a team passphrase' },
      ...keychainOptions,
      sops: { type: 'string', label: 'PATH', help: 'bind the environment to this SOPS file (inside the repository)' },
      age: { type: 'string', multiple: true, label: 'R', help: 'with --sops, for a new file: its age recipient (repeatable)' },
    },
    positionals: [1, 1],
    examples: [
      'hako env add staging',
      'hako env add production --passphrase',
      'HAKO_PASSPHRASE="$TEAM_PASS" hako env add ci --passphrase',
      'hako env add development --keychain',
      'hako env add production --sops infra/secrets/prod.enc.yaml',
    ],
    async run(ctx, args) {
      const name = args.positionals[0]!;
      const sops = str(args, 'sops');
      if (sops !== undefined) {
        if (flag(args, 'passphrase') || keychainRequest(args))
          throw new HakoError(
            'E_USAGE',
            '--sops excludes --passphrase and --keychain',
            'the data key of a SOPS file is wrapped in the file itself',
          );
        const r = await bindSopsEnvironment(ctx, name, sops, { age: listOf(args, 'age') });
        ctx.io.stderr(
          `hako: bound environment '${name}' to ${r.created ? 'a new SOPS file ' : ''}${r.path} (key id ${r.keyId}, ${r.names.length} secret${r.names.length === 1 ? '' : 's'})\n`,
        );
        if (r.other.length)
          ctx.io.stderr(
            `hako: left alone (not environment variable names, or nested): ${r.other.slice(0, 10).join(', ')}${r.other.length > 10 ? ', …' : ''}\n`,
          );
        return;
      }
      if (listOf(args, 'age').length) throw new HakoError('E_USAGE', '--age goes with --sops', 'hako env add NAME --sops PATH --age age1…');
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
