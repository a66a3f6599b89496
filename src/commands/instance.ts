/** hako instance add | ls | rm | set: installations of an app, each with its own values in the keychain. */
import { HakoError } from '../core/errors.js';
import { addInstance, listInstances, removeInstance, setInstanceSecret } from '../services/instances.js';
import { flag, type CommandSpec } from './command.js';
import { readValue } from './input.js';
import { jsonOption } from './options.js';
import { json, table } from './table.js';

export const instanceCommands: CommandSpec[] = [
  {
    words: ['instance', 'add'],
    summary: 'add an instance of this app: its own values for the declared secrets, kept in the OS keychain',
    usage: 'hako instance add NAME [--keychain-store STORE]',
    description:
      'An instance is one installation of the app by whoever runs it. `hako run --instance NAME` asks (on a\n' +
      'terminal) for each required secret it has no value for (hako declare), keeps the answers in the OS\n' +
      'keychain under a service name of its own, and gives them to the program at every start. Instances\n' +
      'never share values; on disk hako keeps only the names (in $HAKO_HOME/instances/), so copying or\n' +
      'archiving the app carries no value. The keychain is checked first: when none is usable nothing is\n' +
      'added.',
    options: {
      'keychain-store': {
        type: 'string',
        label: 'STORE',
        help: 'Linux only: secret-service (the default) or kernel (memory only: gone at reboot)',
      },
    },
    positionals: [1, 1],
    examples: ['hako instance add alice', 'hako run --instance alice -- node server.js'],
    async run(ctx, args) {
      const store = args.values['keychain-store'];
      if (store !== undefined && store !== 'secret-service' && store !== 'kernel') {
        throw new HakoError(
          'E_USAGE',
          `unknown --keychain-store ${JSON.stringify(String(store).slice(0, 20))}`,
          'one of: secret-service, kernel',
        );
      }
      const r = await addInstance(ctx, args.positionals[0]!, (store as 'secret-service' | 'kernel' | undefined) ?? 'auto');
      ctx.io.stderr(`hako: added instance '${r.record.name}' (id ${r.record.id}); its values go to the ${r.backend}\n`);
    },
  },
  {
    words: ['instance', 'ls'],
    summary: 'list the instances of this app and which required secrets each still lacks',
    usage: 'hako instance ls [--json]',
    options: { json: jsonOption },
    examples: ['hako instance ls'],
    async run(ctx, args) {
      const all = listInstances(ctx);
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json(
            all.map((i) => ({
              name: i.record.name,
              id: i.record.id,
              backend: i.backend,
              names: i.record.names,
              missing_required: i.missing,
            })),
          ),
        );
        return;
      }
      if (all.length === 0) {
        ctx.io.stderr('hako: no instances of this app; add one with hako instance add NAME\n');
        return;
      }
      ctx.io.stdout(
        table([
          ['INSTANCE', 'ID', 'KEYCHAIN', 'VALUES', 'MISSING (required)'],
          ...all.map((i) => [i.record.name, i.record.id, i.backend, String(i.record.names.length), i.missing.join(',') || '-']),
        ]),
      );
    },
  },
  {
    words: ['instance', 'set'],
    summary: "set one value of an instance (a hidden prompt, or stdin), kept in the instance's keychain entry",
    usage: 'hako instance set NAME SECRET [--from-file PATH]',
    options: { 'from-file': { type: 'string', label: 'PATH', help: 'read the value from a file' } },
    positionals: [2, 2],
    examples: ['hako instance set alice STRIPE_KEY', 'printf %s "$TOKEN" | hako instance set ci API_TOKEN'],
    async run(ctx, args) {
      const [name, secret] = args.positionals as [string, string];
      const from = args.values['from-file'];
      const value = await readValue(ctx, secret, typeof from === 'string' ? from : undefined);
      const r = await setInstanceSecret(ctx, name, secret, value);
      ctx.io.stderr(`hako: set ${secret} of instance '${name}' in the ${r.backend}\n`);
    },
  },
  {
    words: ['instance', 'rm'],
    summary: 'remove an instance and delete all its values from the keychain',
    usage: 'hako instance rm NAME --yes',
    options: { yes: { type: 'boolean', short: 'y', help: 'confirm the deletion' } },
    positionals: [1, 1],
    examples: ['hako instance rm alice --yes'],
    async run(ctx, args) {
      const name = args.positionals[0]!;
      if (!flag(args, 'yes'))
        throw new HakoError(
          'E_USAGE',
          `removing instance '${name}' deletes its values from the keychain`,
          `confirm with: hako instance rm ${name} --yes`,
        );
      const r = await removeInstance(ctx, name);
      ctx.io.stderr(`hako: removed instance '${name}'; deleted ${r.deleted} value(s) from the ${r.backend}\n`);
    },
  },
];
