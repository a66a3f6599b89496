/** hako set | get | rm | ls */
import { envOption } from './options.js';
import { HakoError } from '../core/errors.js';
import { processControlKind } from '../core/process-control-names.js';
import { defaultEnv, getSecret, listSecrets, removeSecret, setSecrets } from '../services/secrets.js';
import { flag, str, type CommandSpec } from './command.js';
import { readValue } from './input.js';
import { accessText, accessVia } from './env.js';
import { json, table } from './table.js';
import { runSync } from './servers.js';

export const secretCommands: CommandSpec[] = [
  {
    words: ['set'],
    summary: 'set a secret (value from a hidden prompt, stdin or a file; never from argv)',
    usage: 'hako set NAME [--env E] [--from-file PATH | --empty]',
    description:
      'On a terminal the value is asked without echo (a multi-line paste is kept whole, or refused\n' +
      'where the terminal does not mark pastes); otherwise all of stdin is read and one trailing\n' +
      'newline is stripped. An empty answer or empty stdin is refused: --empty stores an empty value.\n' +
      'Setting the same value again leaves the file unchanged. The environment must exist (hako init\n' +
      'makes the first one; hako env add NAME makes more).',
    options: {
      env: envOption,
      'from-file': { type: 'string', label: 'PATH', help: 'read the value from a file (exact bytes)', path: true },
      empty: { type: 'boolean', help: 'store an empty value (nothing is read)' },
      json: { type: 'boolean', help: 'print what changed as JSON' },
      sync: { type: 'boolean', help: 'then push the environment to its servers (hako sync); the exit code counts failed servers' },
    },
    positionals: [1, 1],
    examples: [
      'hako set DATABASE_URL                      # asks for the value',
      'printf %s "$TOKEN" | hako set API_TOKEN --env production',
      'hako set TLS_KEY --from-file ./server.key --env staging',
      'printf %s "$URL" | hako set DATABASE_URL --env production --sync',
    ],
    async run(ctx, args) {
      const name = args.positionals[0]!;
      if (name.includes('=')) {
        throw new HakoError(
          'E_USAGE',
          'values are never taken from the command line (they would end up in shell history and ps)',
          'pipe the value instead: printf %s "$VALUE" | hako set NAME',
        );
      }
      const env = defaultEnv(ctx, str(args, 'env'));
      if (flag(args, 'empty') && str(args, 'from-file') !== undefined)
        throw new HakoError('E_USAGE', '--empty and --from-file exclude each other', 'give one of them');
      const value = flag(args, 'empty') ? '' : await readValue(ctx, name, str(args, 'from-file'));
      const r = await setSecrets(ctx, env, new Map([[name, value]]));
      if (processControlKind(name)) {
        ctx.notice(`note: ${name} changes what a process does; hako run delivers it only with --allow ${name} (or --via fd3)`);
      }
      if (flag(args, 'json') && !flag(args, 'sync')) ctx.io.stdout(json({ env, name, changed: r.changed.length > 0 }));
      else
        ctx.io.stderr(
          r.changed.length ? `hako: set ${name} in '${env}'\n` : `hako: ${name} in '${env}' already has this value; nothing changed\n`,
        );
      if (flag(args, 'sync')) return runSync(ctx, env, { dryRun: false, json: flag(args, 'json') });
    },
  },
  {
    words: ['get'],
    summary: 'print one secret value',
    usage: 'hako get NAME [--env E] [--no-newline | --json]',
    options: {
      env: envOption,
      'no-newline': { type: 'boolean', short: 'n', help: 'print the value exactly, without a final newline' },
      json: { type: 'boolean', help: 'print {"env","name","value"}' },
    },
    positionals: [1, 1],
    examples: ['hako get DATABASE_URL', 'psql "$(hako get DATABASE_URL --env staging)"', 'hako get TLS_KEY -n > server.key'],
    async run(ctx, args) {
      const name = args.positionals[0]!;
      const env = defaultEnv(ctx, str(args, 'env'));
      const value = await getSecret(ctx, env, name);
      if (flag(args, 'json')) ctx.io.stdout(json({ env, name, value }));
      else ctx.io.stdout(flag(args, 'no-newline') ? value : `${value}\n`);
    },
  },
  {
    words: ['rm'],
    summary: 'remove a secret from one or all environments',
    usage: 'hako rm NAME [--env E | --all-envs]',
    options: { env: envOption, 'all-envs': { type: 'boolean', help: 'remove it from every environment' } },
    positionals: [1, 1],
    examples: ['hako rm OLD_TOKEN --env staging', 'hako rm LEGACY_API_KEY --all-envs'],
    async run(ctx, args) {
      const name = args.positionals[0]!;
      if (flag(args, 'all-envs') && str(args, 'env'))
        throw new HakoError('E_USAGE', '--env and --all-envs exclude each other', 'give one of them');
      const from = await removeSecret(ctx, name, flag(args, 'all-envs') ? { allEnvs: true } : { env: defaultEnv(ctx, str(args, 'env')) });
      ctx.io.stderr(`hako: removed ${name} from ${from.map((e) => `'${e}'`).join(', ')}\n`);
    },
  },
  {
    words: ['ls'],
    summary: 'list secret names per environment (never values) and which environments open here',
    usage: 'hako ls [--env E] [--json]',
    options: {
      env: { ...envOption, help: 'show only this environment', multiple: true },
      json: { type: 'boolean', help: 'machine-readable output' },
    },
    examples: [
      'hako ls',
      'hako ls --env production',
      'hako ls --json | jq ".secrets[] | select(.environments.production == false) | .name"',
    ],
    async run(ctx, args) {
      const envs = args.values['env'] as string[] | undefined;
      const l = await listSecrets(ctx, envs);
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json({
            environments: l.environments.map((e) => ({
              env: e.name,
              key_id: e.keyId,
              opens: e.access.opens,
              via: accessVia(e.access),
              source: e.access.opens === false ? null : e.access.label,
            })),
            secrets: l.names.map((n) => ({ name: n.name, environments: n.present, declared: n.declared, required: n.required })),
          }),
        );
        return;
      }
      if (l.environments.length === 0) {
        ctx.io.stderr('hako: no environments yet; set a secret (hako set NAME) or create one (hako env add NAME)\n');
        return;
      }
      ctx.io.stdout(table([['ENVIRONMENT', 'KEY ID', 'ACCESS'], ...l.environments.map((e) => [e.name, e.keyId, accessText(e.access)])]));
      ctx.io.stdout('\n');
      if (l.names.length === 0) {
        ctx.io.stdout('(no secrets yet)\n');
        return;
      }
      const cols = l.environments.map((e) => e.name);
      const rows = l.names.map((n) => [n.name, ...cols.map((c) => (n.present[c] ? 'set' : n.required ? 'MISSING (required)' : 'missing'))]);
      ctx.io.stdout(table([['NAME', ...cols], ...rows]));
    },
  },
];
