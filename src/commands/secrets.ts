/** hako set | get | rm | ls */
import { envOption } from './options.js';
import { HakoError } from '../core/errors.js';
import { processControlKind } from '../core/process-control-names.js';
import { defaultEnv, getSecret, listSecrets, removeSecret, setSecrets, type MetaChange } from '../services/secrets.js';
import { flag, str, type CommandSpec, type ParsedArgs } from './command.js';
import { readValue } from './input.js';
import { accessText, accessVia } from './env.js';
import { json, table } from './table.js';
import { runSync } from './servers.js';

/** --expires / --rotate-every as a metadata change: absent keeps, "none" removes. */
function metaChangeOf(args: ParsedArgs): MetaChange {
  const change: MetaChange = {};
  const expires = str(args, 'expires');
  const every = str(args, 'rotate-every');
  if (expires !== undefined) change.expires = expires === 'none' ? null : expires;
  if (every !== undefined) change.rotateEvery = every === 'none' ? null : every;
  return change;
}

export const secretCommands: CommandSpec[] = [
  {
    words: ['set'],
    summary: 'set a secret (value from a hidden prompt, stdin or a file; never from argv)',
    usage: 'hako set NAME [--env E] [--from-file PATH | --empty] [--expires DATE|none] [--rotate-every Nd|none] [--keep-value]',
    description:
      'On a terminal the value is asked without echo (a multi-line paste is kept whole, or refused\n' +
      'where the terminal does not mark pastes); otherwise all of stdin is read and one trailing\n' +
      'newline is stripped. An empty answer or empty stdin is refused: --empty stores an empty value.\n' +
      'Setting the same value again leaves the file unchanged. The environment must exist (hako init\n' +
      'makes the first one; hako env add NAME makes more).\n' +
      'Expiry: --expires sets the day after which the secret counts as expired (hako verify fails);\n' +
      '--rotate-every moves the expiry that many days past today each time the value changes. Both\n' +
      'are authenticated with the value, so editing them in the file by hand makes it fail to open.\n' +
      '"none" removes one; --keep-value changes only the expiry, keeping the stored value.',
    options: {
      env: envOption,
      'from-file': { type: 'string', label: 'PATH', help: 'read the value from a file (exact bytes)', path: true },
      empty: { type: 'boolean', help: 'store an empty value (nothing is read)' },
      expires: { type: 'string', label: 'DATE', help: 'expiry day, YYYY-MM-DD (UTC), or "none" to remove it' },
      'rotate-every': { type: 'string', label: 'Nd', help: 'rotation period in days, e.g. 90d, or "none" to remove it' },
      'keep-value': { type: 'boolean', help: 'keep the stored value; change only --expires / --rotate-every' },
      json: { type: 'boolean', help: 'print what changed as JSON' },
      sync: { type: 'boolean', help: 'then push the environment to its servers (hako sync); exit 1 when any server failed' },
    },
    positionals: [1, 1],
    examples: [
      'hako set DATABASE_URL                      # asks for the value',
      'printf %s "$TOKEN" | hako set API_TOKEN --env production',
      'hako set TLS_KEY --from-file ./server.key --env staging',
      'hako set STRIPE_KEY --env production --rotate-every 90d',
      'hako set STRIPE_KEY --env production --keep-value --expires 2027-03-01',
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
      const metaChange = metaChangeOf(args);
      const keep = flag(args, 'keep-value');
      if (keep && metaChange.expires === undefined && metaChange.rotateEvery === undefined) {
        throw new HakoError(
          'E_USAGE',
          '--keep-value changes only the expiry: give --expires or --rotate-every',
          'e.g. hako set NAME --keep-value --expires 2027-03-01',
        );
      }
      const sources = [keep, flag(args, 'empty'), str(args, 'from-file') !== undefined].filter(Boolean).length;
      if (sources > 1) throw new HakoError('E_USAGE', '--keep-value, --empty and --from-file exclude each other', 'give one of them');
      const value = keep ? await getSecret(ctx, env, name) : flag(args, 'empty') ? '' : await readValue(ctx, name, str(args, 'from-file'));
      const r = await setSecrets(ctx, env, new Map([[name, value]]), [], undefined, metaChange);
      if (processControlKind(name)) {
        ctx.notice(`note: ${name} changes what a process does; hako run delivers it only with --allow ${name} (or --via fd3)`);
      }
      if (flag(args, 'json') && !flag(args, 'sync')) ctx.io.stdout(json({ env, name, changed: r.changed.length > 0 }));
      else if (keep)
        ctx.io.stderr(
          r.changed.length
            ? `hako: updated the expiry of ${name} in '${env}'\n`
            : `hako: ${name} in '${env}' already has this expiry; nothing changed\n`,
        );
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
            secrets: l.names.map((n) => ({
              name: n.name,
              environments: n.present,
              expiry: Object.fromEntries(
                Object.entries(n.expiry).map(([env, e]) => [
                  env,
                  { expires: e.expires ?? null, rotate_every: e.rotateEvery ?? null, state: e.status.state, days: e.status.days },
                ]),
              ),
              declared: n.declared,
              required: n.required,
            })),
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
      const cell = (n: (typeof l.names)[number], c: string): string => {
        if (!n.present[c]) return n.required ? 'MISSING (required)' : 'missing';
        const e = n.expiry[c];
        if (!e || e.status.days === null) return 'set';
        if (e.status.state === 'expired') return `EXPIRED ${e.expires}`;
        if (e.status.state === 'soon') return `set, expires in ${e.status.days}d`;
        return 'set';
      };
      const rows = l.names.map((n) => [n.name, ...cols.map((c) => cell(n, c))]);
      ctx.io.stdout(table([['NAME', ...cols], ...rows]));
      const soon = l.names.flatMap((n) =>
        Object.entries(n.expiry)
          .filter(([, e]) => e.status.state === 'expired' || e.status.state === 'soon')
          .map(([env, e]) => `${n.name} (${env}) ${e.status.state === 'expired' ? 'expired' : 'expires'} ${e.expires}`),
      );
      if (soon.length) {
        ctx.io.stderr(`hako: expiring soon or expired: ${soon.join(', ')}\n`);
        ctx.io.stderr('hako: hint: set a new value with hako set NAME --env E (hako verify fails on an expired secret)\n');
      }
    },
  },
];
