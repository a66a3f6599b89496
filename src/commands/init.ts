/** hako init */
import { initProject } from '../services/init.js';
import { direnvBlock, writeEnvrc } from '../services/direnv.js';
import { defaultEnv } from '../services/secrets.js';
import { flag, str, type CommandSpec } from './command.js';
import { allowedNames, allowOption, envOption } from './options.js';

export const initCommands: CommandSpec[] = [
  {
    words: ['init'],
    summary: 'create .hako/secrets.json in the current git repository',
    usage: 'hako init [--direnv [--env E] [--allow NAME]... [--print]]',
    description:
      'Creates an empty secrets file at the root of the git work tree. Safe to run again.\n' +
      'After that, hako finds the project from any subfolder.\n' +
      '  --direnv  also writes .envrc at the project root: direnv loads the environment through\n' +
      '            `hako export --format shell` when a shell enters the folder, and loads nothing\n' +
      '            (printing why) when the key is missing. An existing .envrc is never changed;\n' +
      '            --print writes the block to stdout instead, to add by hand. See docs/CI.md.',
    options: {
      direnv: { type: 'boolean', help: 'write an .envrc that loads an environment (direnv)' },
      env: { ...envOption, help: 'with --direnv: the environment it loads (default: $HAKO_ENV, else development)' },
      allow: allowOption,
      print: { type: 'boolean', help: 'with --direnv: print the .envrc block instead of writing it' },
    },
    examples: [
      'hako init',
      'printf %s "$DATABASE_URL" | hako set DATABASE_URL   # creates "development"',
      'hako init --direnv && direnv allow',
      'hako init --direnv --env staging --print >> .envrc',
    ],
    async run(ctx, args) {
      if (!flag(args, 'direnv')) {
        const r = initProject(ctx);
        ctx.io.stderr(r.created ? `hako: created ${r.file}\n` : `hako: already initialised: ${r.file}\n`);
        return;
      }
      const env = defaultEnv(ctx, str(args, 'env'));
      const allowed = allowedNames(args);
      if (flag(args, 'print')) {
        ctx.io.stdout(direnvBlock(env, allowed));
        return;
      }
      const r = initProject(ctx);
      if (r.created) ctx.io.stderr(`hako: created ${r.file}\n`);
      const d = writeEnvrc(ctx, env, allowed);
      ctx.io.stderr(
        d.created
          ? `hako: wrote ${d.path}: it loads '${env}' when a shell enters the folder; run \`direnv allow\` to trust it\n`
          : `hako: ${d.path} already loads secrets with hako; left as it is\n`,
      );
    },
  },
];
