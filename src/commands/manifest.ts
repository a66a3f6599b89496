/** hako declare | undeclare: the names a program needs (the manifest). */
import { declareSecret, undeclareSecret } from '../services/manifest.js';
import { flag, str, type CommandSpec } from './command.js';

export const manifestCommands: CommandSpec[] = [
  {
    words: ['declare'],
    summary: 'declare a secret the program needs (required unless --optional); no key needed',
    usage: 'hako declare NAME [--optional] [--description TEXT]',
    description:
      'Adds NAME to the manifest (the "schema" section of .hako/secrets.json). `hako run` refuses to\n' +
      'start while a required name has no value in the chosen environment, `hako ls` shows it as\n' +
      'MISSING (required), and typegen types it (optional names as string | undefined). Declaring\n' +
      'again changes it; without --description the description is kept, --description "" removes it.',
    options: {
      optional: { type: 'boolean', help: 'the program can run without it' },
      description: { type: 'string', label: 'TEXT', help: 'what it is for (one line, shown to teammates)' },
    },
    positionals: [1, 1],
    examples: [
      'hako declare DATABASE_URL --description "Postgres URL, with password"',
      'hako declare SENTRY_DSN --optional',
      'hako declare STRIPE_KEY && hako ls',
    ],
    async run(ctx, args) {
      const r = await declareSecret(ctx, args.positionals[0]!, {
        required: !flag(args, 'optional'),
        description: str(args, 'description'),
      });
      const kind = r.entry.required ? 'required' : 'optional';
      ctx.io.stderr(
        r.written ? `hako: declared ${r.name} (${kind})\n` : `hako: ${r.name} is already declared (${kind}); nothing changed\n`,
      );
    },
  },
  {
    words: ['undeclare'],
    summary: 'remove a name from the manifest (its values stay)',
    usage: 'hako undeclare NAME',
    options: {},
    positionals: [1, 1],
    examples: ['hako undeclare LEGACY_TOKEN'],
    async run(ctx, args) {
      const name = args.positionals[0]!;
      await undeclareSecret(ctx, name);
      ctx.io.stderr(`hako: ${name} is no longer declared; its values stay (remove them with hako rm ${name} --all-envs)\n`);
    },
  },
];
