/** hako import | export | edit */
import { resolve } from 'node:path';
import { allowedNames, allowOption, envOption, listOf } from './options.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { exportK8sSecret } from '../services/k8s-export.js';
import { HakoError } from '../core/errors.js';
import { defaultEnv } from '../services/secrets.js';
import { exportEnvironment, importFile, type ExportFormat } from '../services/transfer.js';
import { editEnvironment } from '../services/edit.js';
import { flag, str, type CommandSpec } from './command.js';
import { json } from './table.js';

export const transferCommands: CommandSpec[] = [
  {
    words: ['import'],
    summary: 'set many secrets from a dotenv, JSON or YAML file (or stdin: -)',
    usage: 'hako import FILE|- [--env E] [--format dotenv|json|yaml]',
    description:
      'The format comes from the extension (.json, .yaml/.yml, else dotenv) or --format; `-` reads stdin\n' +
      '(dotenv unless --format). All values land in one write, or none do. Values equal to the stored ones\n' +
      'keep their ciphertext. A .env is read as dotenv, dotenvx and node --env-file read it where they\n' +
      'agree, and refused (with the line and why) where they do not; ${VAR} and $(cmd) stay as written,\n' +
      'never expanded or run. See docs/LAUNCHER.md.',
    options: {
      env: envOption,
      format: { type: 'string', label: 'F', help: 'dotenv, json or yaml', choices: ['dotenv', 'json', 'yaml'] },
      json: { type: 'boolean', help: 'print what changed as JSON' },
    },
    positionals: [1, 1],
    examples: [
      'hako import .env --env development',
      'hako import secrets.yaml --env staging',
      'hako import config.txt --format dotenv',
      'vault kv get -format=json secret/app | jq .data.data | hako import - --format json',
    ],
    async run(ctx, args) {
      const env = defaultEnv(ctx, str(args, 'env'));
      const path = args.positionals[0]!;
      if (path === '-' && ctx.io.stdinIsTTY)
        throw new HakoError('E_USAGE', 'hako import - reads stdin, which is a terminal here', 'pipe the file in: hako import - < .env');
      const r = await importFile(ctx, env, path, str(args, 'format'), () => ctx.io.readStdin());
      for (const note of r.notes) ctx.notice(note);
      if (flag(args, 'json')) ctx.io.stdout(json({ env, changed: r.changed, unchanged: r.unchanged }));
      else ctx.io.stderr(`hako: imported into '${env}': ${r.changed.length} changed, ${r.unchanged.length} unchanged\n`);
    },
  },
  {
    words: ['export'],
    summary: 'print every value of an environment as dotenv, shell or JSON',
    usage:
      'hako export [--env E] [--format dotenv|shell|json|k8s-secret] [--allow NAME]... [--age R]... [--name N] [--namespace NS] [--output FILE]',
    description:
      "`--format shell` prints `export NAME='value'` lines that are safe to eval (e.g. in .envrc).\n" +
      'Shell and dotenv output refuse names that change what a process does (PATH, NODE_OPTIONS, LD_*,\n' +
      '…; see docs/LAUNCHER.md) unless each is allowed with --allow NAME. Nothing is printed on any failure.\n' +
      '`--format k8s-secret` writes a Kubernetes Secret manifest as a SOPS file (only `data` encrypted,\n' +
      'encrypted_regex ^(data|stringData)$) to the --age recipients (or a matching .sops.yaml rule), for\n' +
      "Flux's kustomize-controller to decrypt in the cluster (docs/DEPLOY.md).",
    options: {
      env: envOption,
      format: {
        type: 'string',
        label: 'F',
        help: 'dotenv (default), shell, json or k8s-secret',
        choices: ['dotenv', 'shell', 'json', 'k8s-secret'],
      },
      allow: allowOption,
      age: {
        type: 'string',
        multiple: true,
        label: 'R',
        help: 'k8s-secret: an age recipient to encrypt to (repeatable; e.g. the cluster key)',
      },
      name: { type: 'string', label: 'N', help: 'k8s-secret: metadata.name (default ENV-secrets)' },
      namespace: { type: 'string', label: 'NS', help: 'k8s-secret: metadata.namespace' },
      output: { type: 'string', short: 'o', label: 'FILE', help: 'k8s-secret: write to FILE instead of stdout', path: true },
    },
    examples: [
      'hako export --env staging > .env.staging',
      'eval "$(hako export --format shell)"   # in .envrc (hako init --direnv writes one)',
      'hako export --format json | jq keys',
      'hako export --format shell --allow NODE_OPTIONS',
      'hako export --env production --format k8s-secret --age age1… --name web --namespace prod -o deploy/web.secret.yaml',
    ],
    async run(ctx, args) {
      if (str(args, 'format') === 'k8s-secret') {
        const output = str(args, 'output');
        const name = str(args, 'name');
        const namespace = str(args, 'namespace');
        const text = await exportK8sSecret(ctx, {
          env: defaultEnv(ctx, str(args, 'env')),
          age: listOf(args, 'age'),
          allow: allowedNames(args),
          ...(name !== undefined ? { name } : {}),
          ...(namespace !== undefined ? { namespace } : {}),
          ...(output !== undefined ? { path: output } : {}),
        });
        if (output === undefined) ctx.io.stdout(text);
        else {
          writeFileAtomic(resolve(ctx.cwd, output), text, { mode: 0o644 });
          ctx.io.stderr(`hako: wrote ${output} (SOPS-encrypted Secret; commit it for Flux)\n`);
        }
        return;
      }
      for (const o of ['age', 'name', 'namespace', 'output'])
        if (args.values[o] !== undefined) throw new HakoError('E_USAGE', `--${o} is for --format k8s-secret`, 'leave it out');
      const format = (str(args, 'format') ?? 'dotenv') as ExportFormat;
      if (!['dotenv', 'shell', 'json'].includes(format))
        throw new HakoError('E_USAGE', `unknown export format '${format}'`, 'use dotenv, shell, json or k8s-secret');
      if (ctx.io.stdoutIsTTY) ctx.notice('warning: printing secret values to the terminal');
      ctx.io.stdout(await exportEnvironment(ctx, defaultEnv(ctx, str(args, 'env')), format, allowedNames(args)));
    },
  },
  {
    words: ['edit'],
    summary: 'edit the values of an environment in $VISUAL/$EDITOR',
    usage: 'hako edit [--env E] [--allow-disk]',
    description:
      'Opens a dotenv view in a private temporary file (in memory: tmpfs, mode 0600; on disk only with\n' +
      '--allow-disk), removed afterwards. Only changed values are re-encrypted; deleting a line removes\n' +
      'the secret. A syntax error reopens the editor (on a terminal) or aborts with nothing written.\n' +
      'Without $VISUAL or $EDITOR, vi is used on a terminal; with neither, nothing is opened.',
    options: {
      env: envOption,
      'allow-disk': { type: 'boolean', help: 'accept a private folder on disk where no memory-backed one exists' },
    },
    examples: ['hako edit', 'EDITOR=nano hako edit --env staging'],
    async run(ctx, args) {
      const env = defaultEnv(ctx, str(args, 'env'));
      const r = await editEnvironment(
        { ...ctx, terminal: ctx.io.stdinIsTTY && ctx.io.stdoutIsTTY, allowDisk: flag(args, 'allow-disk') },
        env,
      );
      if (r.kind === 'unchanged') ctx.io.stderr('hako: no changes\n');
      else ctx.io.stderr(`hako: '${env}': ${r.result.changed.length} set, ${r.result.removed.length} removed\n`);
    },
  },
];
