/** hako init */
import { initProject } from '../services/init.js';
import { flag, str, type CommandSpec } from './command.js';
import { envOption, jsonOption } from './options.js';
import { readNewPassphrase } from './input.js';
import { json } from './table.js';
import { defaultEnv } from '../services/secrets.js';

export const initCommands: CommandSpec[] = [
  {
    words: ['init'],
    summary: 'create .hako/secrets.json in the current git repository, with its first environment',
    usage: 'hako init [--env E] [--passphrase]',
    description:
      'Creates the secrets file at the root of the git work tree and its first environment (--env,\n' +
      'else $HAKO_ENV, else development) with a random key saved in $HAKO_HOME, or, with --passphrase,\n' +
      'a key derived from a team passphrase. Also writes .hako/.gitattributes (secrets.json -text: git\n' +
      'keeps its exact bytes) and .hako/.gitignore (lock and temp files). Safe to run again: an existing\n' +
      'file is kept, only what is missing is added. Only init and `hako env add` create environments.\n' +
      'After that, hako finds the project from any subfolder.',
    options: {
      env: { ...envOption, help: 'name of the first environment (default: $HAKO_ENV, else development)' },
      passphrase: { type: 'boolean', help: 'derive its key from a team passphrase' },
      json: jsonOption,
    },
    examples: ['hako init', 'printf %s "$DATABASE_URL" | hako set DATABASE_URL', 'hako init --env staging --passphrase'],
    async run(ctx, args) {
      const passphrase = flag(args, 'passphrase') ? await readNewPassphrase(ctx, defaultEnv(ctx, str(args, 'env')), 'current') : undefined;
      const envFlag = str(args, 'env');
      const r = await initProject(ctx, {
        ...(envFlag !== undefined ? { env: envFlag } : {}),
        ...(passphrase !== undefined ? { passphrase } : {}),
      });
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json({
            file: r.file,
            created: r.created,
            env: r.environment?.name ?? null,
            key_id: r.environment?.keyId ?? null,
            key_file: r.environment?.keyFile ?? null,
            wrote: r.wrote,
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
      }
      for (const w of r.wrote) ctx.io.stderr(`hako: wrote ${w}\n`);
      if (r.created) ctx.io.stderr('hako: next: hako set NAME, then commit .hako/\n');
    },
  },
];
