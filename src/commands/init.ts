/** hako init */
import { initProject } from '../services/init.js';
import { direnvBlock, writeEnvrc } from '../services/direnv.js';
import { defaultEnv } from '../services/secrets.js';
import { flag, str, type CommandSpec } from './command.js';
import { allowedNames, allowOption, envOption, jsonOption } from './options.js';
import { readNewPassphrase } from './input.js';
import { json } from './table.js';

export const initCommands: CommandSpec[] = [
  {
    words: ['init'],
    summary: 'create .hako/secrets.json in the current git repository, with its first environment',
    usage: 'hako init [--env E] [--passphrase] [--direnv [--allow NAME]... [--print]]',
    description:
      'Creates the secrets file at the root of the git work tree and its first environment (--env,\n' +
      'else $HAKO_ENV, else development) with a random key saved in $HAKO_HOME, or, with --passphrase,\n' +
      'a key derived from a team passphrase. Also writes .hako/.gitattributes (secrets.json -text: git\n' +
      'keeps its exact bytes) and .hako/.gitignore (lock and temp files). Safe to run again: an existing\n' +
      'file is kept, only what is missing is added. Only init and `hako env add` create environments.\n' +
      'After that, hako finds the project from any subfolder.\n' +
      '  --direnv  also writes .envrc at the project root: direnv loads the environment (--env) through\n' +
      '            `hako export --format shell` when a shell enters the folder, and loads nothing\n' +
      '            (printing why) when the key is missing. An existing .envrc is never changed;\n' +
      '            --print writes the block to stdout instead, to add by hand. See docs/CI.md.',
    options: {
      env: { ...envOption, help: 'the first environment, and the one --direnv loads (default: $HAKO_ENV, else development)' },
      passphrase: { type: 'boolean', help: 'derive the first environment’s key from a team passphrase' },
      direnv: { type: 'boolean', help: 'write an .envrc that loads an environment (direnv)' },
      allow: allowOption,
      print: { type: 'boolean', help: 'with --direnv: print the .envrc block instead of writing it' },
      json: jsonOption,
    },
    examples: [
      'hako init',
      'printf %s "$DATABASE_URL" | hako set DATABASE_URL',
      'hako init --env staging --passphrase',
      'hako init --direnv && direnv allow',
      'hako init --direnv --env staging --print >> .envrc',
    ],
    async run(ctx, args) {
      const envFlag = str(args, 'env');
      const env = defaultEnv(ctx, envFlag);
      if (flag(args, 'direnv') && flag(args, 'print')) {
        ctx.io.stdout(direnvBlock(env, allowedNames(args)));
        return;
      }
      const passphrase = flag(args, 'passphrase') ? await readNewPassphrase(ctx, env, 'current') : undefined;
      const r = await initProject(ctx, {
        ...(envFlag !== undefined ? { env: envFlag } : {}),
        ...(passphrase !== undefined ? { passphrase } : {}),
      });
      const envrc = flag(args, 'direnv') ? writeEnvrc(ctx, env, allowedNames(args)) : null;
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json({
            file: r.file,
            created: r.created,
            env: r.environment?.name ?? null,
            key_id: r.environment?.keyId ?? null,
            key_file: r.environment?.keyFile ?? null,
            wrote: [...r.wrote, ...(envrc?.created ? [envrc.path] : [])],
          }),
        );
        return;
      }
      ctx.io.stderr(r.created ? `hako: created ${r.file}\n` : `hako: already initialised: ${r.file}\n`);
      if (r.environment) {
        const e = r.environment;
        ctx.io.stderr(
          `hako: created environment '${e.name}' (key id ${e.keyId}${e.passphrase ? ', from a passphrase' : ''}); key file ${e.keyFile}\n`,
        );
      } else if (envFlag !== undefined && !flag(args, 'direnv')) {
        ctx.notice(`this project already has environments; init made none (add one with hako env add ${env})`);
      }
      for (const w of r.wrote) ctx.io.stderr(`hako: wrote ${w}\n`);
      if (envrc) {
        ctx.io.stderr(
          envrc.created
            ? `hako: wrote ${envrc.path}: it loads '${env}' when a shell enters the folder; run \`direnv allow\` to trust it\n`
            : `hako: ${envrc.path} already loads secrets with hako; left as it is\n`,
        );
      }
      if (r.created) ctx.io.stderr('hako: next: hako set NAME, then commit .hako/\n');
    },
  },
];
