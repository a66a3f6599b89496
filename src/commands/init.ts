/** hako init */
import { initProject } from '../services/init.js';
import { direnvBlock, writeEnvrc } from '../services/direnv.js';
import { defaultEnv } from '../services/secrets.js';
import { flag, str, type CommandSpec } from './command.js';
import { allowedNames, allowOption, envOption, jsonOption, listOf } from './options.js';
import { scaffoldSops } from '../services/sops-init.js';
import { HakoError } from '../core/errors.js';
import { readNewPassphrase } from './input.js';
import { json } from './table.js';

export const initCommands: CommandSpec[] = [
  {
    words: ['init'],
    summary: 'create .hako/secrets.json in the current git repository, with its first environment',
    usage:
      'hako init [--env E] [--passphrase] [--direnv [--allow NAME]... [--print]] | hako init --sops [--env E] [--path FILE] [--age R]...',
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
      '            --print writes the block to stdout instead, to add by hand. See docs/CI.md.\n' +
      '  --sops    the first environment is a SOPS file instead (docs/SOPS.md): writes a .sops.yaml\n' +
      '            rule for the secrets folder (unless one exists), the encrypted file (--path, default\n' +
      "            secrets/ENV.enc.yaml) for --age or this machine's age identity, binds it, and adds\n" +
      '            recipients.md and a README beside it. Existing files are used as they are.',
    options: {
      env: { ...envOption, help: 'the first environment, and the one --direnv loads (default: $HAKO_ENV, else development)' },
      passphrase: { type: 'boolean', help: 'derive the first environment’s key from a team passphrase' },
      direnv: { type: 'boolean', help: 'write an .envrc that loads an environment (direnv)' },
      allow: allowOption,
      print: { type: 'boolean', help: 'with --direnv: print the .envrc block instead of writing it' },
      json: jsonOption,
      sops: { type: 'boolean', help: 'start the environment on a SOPS file (.sops.yaml, the file, recipients.md, README)' },
      path: { type: 'string', label: 'FILE', help: 'with --sops: the SOPS file (default secrets/ENV.enc.yaml)' },
      age: { type: 'string', multiple: true, label: 'R', help: "with --sops: the new file's age recipient (repeatable)" },
    },
    examples: [
      'hako init',
      'printf %s "$DATABASE_URL" | hako set DATABASE_URL',
      'hako init --env staging --passphrase',
      'hako init --direnv && direnv allow',
      'hako init --direnv --env staging --print >> .envrc',
      'hako init --sops --env production --age age1…',
    ],
    async run(ctx, args) {
      const envFlag = str(args, 'env');
      const env = defaultEnv(ctx, envFlag);
      if (flag(args, 'direnv') && flag(args, 'print')) {
        ctx.io.stdout(direnvBlock(env, allowedNames(args)));
        return;
      }
      if (flag(args, 'sops')) {
        if (flag(args, 'passphrase'))
          throw new HakoError('E_USAGE', '--sops excludes --passphrase', 'the data key of a SOPS file is wrapped in the file itself');
        const r = await scaffoldSops(ctx, { env, path: str(args, 'path'), age: listOf(args, 'age') });
        const envrc = flag(args, 'direnv') ? writeEnvrc(ctx, env, allowedNames(args)) : null;
        if (flag(args, 'json')) {
          ctx.io.stdout(
            json({ env: r.env, sops: r.path, key_id: r.keyId, wrote: [...r.wrote, ...(envrc?.created ? [envrc.path] : [])], kept: r.kept }),
          );
          return;
        }
        ctx.io.stderr(
          `hako: environment '${r.env}' is bound to the SOPS file ${r.path} (key id ${r.keyId})\n` +
            (r.wrote.length ? `hako: wrote ${r.wrote.join(', ')}\n` : '') +
            (r.kept.length ? `hako: used as they are: ${r.kept.join(', ')}\n` : '') +
            `hako: commit them; add teammates with hako recipients add age1… --env ${r.env}\n`,
        );
        if (envrc)
          ctx.io.stderr(
            envrc.created
              ? `hako: wrote ${envrc.path}; run \`direnv allow\` to trust it\n`
              : `hako: ${envrc.path} already loads secrets with hako\n`,
          );
        return;
      }
      if (str(args, 'path') !== undefined || listOf(args, 'age').length)
        throw new HakoError('E_USAGE', '--path and --age go with --sops', 'hako init --sops --path secrets/prod.enc.yaml');
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
      if (r.created) {
        ctx.io.stderr('hako: next: hako set NAME, then commit .hako/\n');
        ctx.io.stderr('hako: for merges by name, readable diffs and a pre-commit check: hako git setup (docs/GIT.md)\n');
      }
    },
  },
];
