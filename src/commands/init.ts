/** hako init */
import { initProject } from '../services/init.js';
import { direnvBlock, writeEnvrc } from '../services/direnv.js';
import { defaultEnv } from '../services/secrets.js';
import { flag, str, type CommandSpec } from './command.js';
import { allowedNames, allowOption, envOption, listOf } from './options.js';
import { scaffoldSops } from '../services/sops-init.js';
import { HakoError } from '../core/errors.js';

export const initCommands: CommandSpec[] = [
  {
    words: ['init'],
    summary: 'create .hako/secrets.json in the current git repository',
    usage: 'hako init [--direnv [--env E] [--allow NAME]... [--print]] | hako init --sops [--env E] [--path FILE] [--age R]... [--direnv]',
    description:
      'Creates an empty secrets file at the root of the git work tree. Safe to run again.\n' +
      'After that, hako finds the project from any subfolder.\n' +
      '  --direnv  also writes .envrc at the project root: direnv loads the environment through\n' +
      '            `hako export --format shell` when a shell enters the folder, and loads nothing\n' +
      '            (printing why) when the key is missing. An existing .envrc is never changed;\n' +
      '            --print writes the block to stdout instead, to add by hand. See docs/CI.md.\n' +
      '  --sops    starts the environment (--env, default development) on a SOPS file instead\n' +
      '            (docs/SOPS.md): writes a .sops.yaml rule for the secrets folder (unless one\n' +
      '            exists), the encrypted file (--path, default secrets/ENV.enc.yaml) for --age or\n' +
      "            this machine's age identity, binds it, and adds recipients.md and a README\n" +
      '            beside it. Existing files are used as they are.',
    options: {
      direnv: { type: 'boolean', help: 'write an .envrc that loads an environment (direnv)' },
      env: { ...envOption, help: 'with --direnv: the environment it loads (default: $HAKO_ENV, else development)' },
      allow: allowOption,
      print: { type: 'boolean', help: 'with --direnv: print the .envrc block instead of writing it' },
      sops: { type: 'boolean', help: 'start the environment on a SOPS file (.sops.yaml, the file, recipients.md, README)' },
      path: { type: 'string', label: 'FILE', help: 'with --sops: the SOPS file (default secrets/ENV.enc.yaml)' },
      age: { type: 'string', multiple: true, label: 'R', help: "with --sops: the new file's age recipient (repeatable)" },
    },
    examples: [
      'hako init',
      'printf %s "$DATABASE_URL" | hako set DATABASE_URL   # creates "development"',
      'hako init --direnv && direnv allow',
      'hako init --direnv --env staging --print >> .envrc',
      'hako init --sops --env production --age age1…',
    ],
    async run(ctx, args) {
      if (flag(args, 'sops')) {
        const env = defaultEnv(ctx, str(args, 'env'));
        const r = await scaffoldSops(ctx, { env, path: str(args, 'path'), age: listOf(args, 'age') });
        ctx.io.stderr(
          `hako: environment '${r.env}' is bound to the SOPS file ${r.path} (key id ${r.keyId})\n` +
            (r.wrote.length ? `hako: wrote ${r.wrote.join(', ')}\n` : '') +
            (r.kept.length ? `hako: used as they are: ${r.kept.join(', ')}\n` : '') +
            'hako: commit them; add teammates with hako recipients add age1… --env ' +
            `${r.env}\n`,
        );
        if (flag(args, 'direnv')) {
          const d = writeEnvrc(ctx, env, allowedNames(args));
          ctx.io.stderr(
            d.created ? `hako: wrote ${d.path}; run \`direnv allow\` to trust it\n` : `hako: ${d.path} already loads secrets with hako\n`,
          );
        }
        return;
      }
      if (str(args, 'path') !== undefined || listOf(args, 'age').length)
        throw new HakoError('E_USAGE', '--path and --age go with --sops', 'hako init --sops --path secrets/prod.enc.yaml');
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
