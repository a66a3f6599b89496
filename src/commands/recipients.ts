/** hako recipients add | rm | ls */
import { jsonOption } from './options.js';
import { HakoError } from '../core/errors.js';
import { assertEnvName } from '../core/names.js';
import { shortRecipient } from '../core/keys/age-recipient.js';
import { addRecipient, listRecipients, removeRecipient } from '../services/recipients.js';
import { findProject, loadSecretsFile, requireEnvironment } from '../services/project.js';
import { flag, str, type CommandContext, type CommandSpec, type ParsedArgs } from './command.js';
import { readNewPassphrase } from './input.js';
import { json, table } from './table.js';

const envOption = { type: 'string', short: 'e', label: 'E', help: 'the environment (required)' } as const;

function requiredEnv(args: ParsedArgs, usage: string): string {
  const env = str(args, 'env');
  if (env === undefined) throw new HakoError('E_USAGE', 'give the environment with --env', `usage: ${usage}`);
  return assertEnvName(env);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** An ssh-ed25519 key may come unquoted as several words: join them back. */
function recipientArg(args: ParsedArgs): string {
  return args.positionals.join(' ');
}

async function newPassphraseIfAsked(ctx: CommandContext, args: ParsedArgs, env: string): Promise<string | undefined> {
  if (flag(args, 'passphrase') && flag(args, 'random'))
    throw new HakoError('E_USAGE', '--passphrase and --random exclude each other', 'give one of them');
  return flag(args, 'passphrase') ? readNewPassphrase(ctx, env, 'new') : undefined;
}

export const recipientCommands: CommandSpec[] = [
  {
    words: ['recipients', 'add'],
    summary: 'give a person or machine access to an environment with their own age key',
    usage: 'hako recipients add RECIPIENT --env E [--name NAME] [--role ROLE]',
    description:
      'Wraps the environment key for RECIPIENT (age1… X25519, age1pq1… post-quantum, or an\n' +
      '"ssh-ed25519 AAAA…" public key) and adds it to .hako/secrets.json (one line) and to\n' +
      '.hako/recipients.md (who, role, environments, date). The environment must open on this\n' +
      'machine. The teammate gets their recipient from `hako pubkey` (or `hako keygen`).',
    options: {
      env: envOption,
      name: { type: 'string', label: 'NAME', help: 'who this is, e.g. "Ravi <ravi@example.com>" (shown in recipients.md)' },
      role: { type: 'string', label: 'ROLE', help: 'their role, e.g. engineer, ci, server' },
      json: jsonOption,
    },
    positionals: [1, 3],
    examples: [
      'hako recipients add age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p --env production --name "Ravi <ravi@example.com>" --role engineer',
      'hako recipients add "$(cat ~/.ssh/id_ed25519.pub)" --env staging --name deploy-box --role server',
    ],
    async run(ctx, args) {
      const env = requiredEnv(args, 'hako recipients add RECIPIENT --env E [--name NAME] [--role ROLE]');
      const labels: { name?: string; role?: string } = {};
      const name = str(args, 'name');
      const role = str(args, 'role');
      if (name !== undefined) labels.name = name;
      if (role !== undefined) labels.role = role;
      const r = await addRecipient(ctx, env, recipientArg(args), labels);
      if (flag(args, 'json')) {
        ctx.io.stdout(json({ env: r.env, recipient: r.recipient, kind: r.kind, recipients_doc: r.doc }));
        return;
      }
      ctx.io.stderr(`hako: ${shortRecipient(r.recipient)} (${r.kind}) can now open '${env}'\n`);
      ctx.io.stderr('hako: commit .hako/secrets.json and .hako/recipients.md so reviewers see who gained access\n');
    },
  },
  {
    words: ['recipients', 'rm'],
    summary: "remove a recipient's access: new key, every value re-encrypted, rotation checklist",
    usage: 'hako recipients rm RECIPIENT --env E [--force] [--passphrase | --random]',
    description:
      'Removal only protects the future: the removed person may have kept the key and read the\n' +
      'values. So hako replaces the key (new key id), re-encrypts every value, wraps the new key for\n' +
      'everyone left, updates .hako/recipients.md, and prints every secret name of the environment:\n' +
      'change each of them at its source, then set it again. Removing the last recipient (no\n' +
      'passphrase left either) needs --force. A passphrase environment needs --passphrase (a new one)\n' +
      'or --random. CI bundles (HAKO_KEY) of the old key stop working: export a new one.',
    options: {
      env: envOption,
      force: { type: 'boolean', help: 'remove even the last recipient (this machine keeps a key file)' },
      passphrase: { type: 'boolean', help: 'derive the new key from a new passphrase (HAKO_NEW_PASSPHRASE, prompt or stdin)' },
      random: { type: 'boolean', help: 'switch a passphrase environment to a random key' },
      json: jsonOption,
    },
    positionals: [1, 3],
    examples: [
      'hako recipients rm age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p --env production',
      'hako recipients rm "ssh-ed25519 AAAAC3Nza…" --env staging --json',
    ],
    async run(ctx, args) {
      const env = requiredEnv(args, 'hako recipients rm RECIPIENT --env E [--force]');
      const record = requireEnvironment(loadSecretsFile(findProject(ctx)), env);
      if (record.passphrase && !flag(args, 'passphrase') && !flag(args, 'random')) {
        throw new HakoError(
          'E_USAGE',
          `environment '${env}' uses a passphrase, and removing a recipient replaces its key`,
          'give --passphrase to derive the new key from a new passphrase, or --random to switch to a random key',
        );
      }
      const passphrase = await newPassphraseIfAsked(ctx, args, env);
      const r = await removeRecipient(ctx, env, recipientArg(args), {
        force: flag(args, 'force'),
        random: flag(args, 'random'),
        ...(passphrase !== undefined ? { passphrase } : {}),
      });
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json({
            env,
            recipient: r.recipient,
            old_key_id: r.oldKeyId,
            new_key_id: r.newKeyId,
            recipients: r.remaining,
            key_file: r.keyFile,
            rotate: r.names,
          }),
        );
        return;
      }
      ctx.io.stderr(
        `hako: removed ${shortRecipient(r.recipient)} from '${env}': key id ${r.oldKeyId} → ${r.newKeyId}, ${plural(r.names.length, 'value')} re-encrypted, ${plural(r.remaining, 'recipient')} rewrapped\n`,
      );
      if (r.keyFile) ctx.io.stderr(`hako: the new key is saved on this machine: ${r.keyFile}\n`);
      const lines = [
        `Rotation checklist for '${env}': the removed recipient may have read these values.`,
        'Change each one where it is issued, then: hako set NAME --env ' + env,
        '',
      ];
      for (const name of r.names) lines.push(`  [ ] ${name}`);
      if (r.names.length === 0) lines.push('  (no secrets in this environment)');
      lines.push('', `Also: CI and servers using a key bundle for '${env}' need the new one (hako key export --env ${env}).`);
      ctx.io.stdout(`${lines.join('\n')}\n`);
    },
  },
  {
    words: ['recipients', 'ls'],
    summary: 'list who can open which environment with their own age key',
    usage: 'hako recipients ls [--env E] [--json]',
    options: { env: { ...envOption, help: 'only recipients of this environment' }, json: jsonOption },
    examples: ['hako recipients ls', 'hako recipients ls --env production --json'],
    async run(ctx, args) {
      const rows = listRecipients(ctx, str(args, 'env'));
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json(
            rows.map((r) => ({
              recipient: r.recipient,
              kind: r.kind,
              name: r.name,
              role: r.role,
              environments: r.environments,
              added: r.added || null,
            })),
          ),
        );
        return;
      }
      if (rows.length === 0) {
        ctx.io.stderr('hako: no recipients yet; add one with hako recipients add RECIPIENT --env E\n');
        return;
      }
      ctx.io.stdout(
        table([
          ['RECIPIENT', 'KIND', 'NAME', 'ROLE', 'ENVIRONMENTS', 'ADDED'],
          ...rows.map((r) => [shortRecipient(r.recipient), r.kind, r.name || '-', r.role || '-', r.environments.join(','), r.added || '-']),
        ]),
      );
    },
  },
];
