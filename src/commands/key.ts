/** hako key export | import | ls | rotate */
import { envOption, keychainOptions, keychainRequest } from './options.js';
import { HakoError } from '../core/errors.js';
import { defaultEnv } from '../services/secrets.js';
import { exportKey, importKeyBundle, importPassphrase, listKeys, rotateKey } from '../services/keys.js';
import { findProject, loadSecretsFile, requireEnvironment } from '../services/project.js';
import { flag, str, type CommandSpec } from './command.js';
import { readNewPassphrase, readPassphrase, stripOneNewline } from './input.js';
import { accessText, accessVia } from './env.js';
import { json, table } from './table.js';

export const keyCommands: CommandSpec[] = [
  {
    words: ['key', 'export'],
    summary: 'print the key bundle of an environment (to paste on another machine or into CI)',
    usage: 'hako key export [--env E]',
    description: 'Prints one line, hako-key:1:…, that opens the environment. Treat it like a password.',
    options: { env: envOption },
    examples: ['hako key export --env production | pbcopy', 'hako key export --env staging | gh secret set HAKO_KEY'],
    async run(ctx, args) {
      const env = defaultEnv(ctx, str(args, 'env'));
      const bundle = await exportKey(ctx, env);
      if (ctx.io.stdoutIsTTY) ctx.notice(`warning: this line opens '${env}'; paste it only into a password manager or a CI secret`);
      ctx.io.stdout(`${bundle}\n`);
    },
  },
  {
    words: ['key', 'import'],
    summary: 'save a key bundle (or a passphrase-derived key) after checking it opens its environment',
    usage: 'hako key import [--env E] [--passphrase] [--keychain [--keychain-store STORE]]',
    description:
      'Reads a bundle from a hidden prompt on a terminal, else from stdin. The bundle is matched to an\n' +
      'environment by its key id and checked before anything is saved. With --passphrase, derives the\n' +
      'key of --env from the team passphrase (prompt, HAKO_PASSPHRASE_<ENV>, HAKO_PASSPHRASE or stdin).\n' +
      'With --keychain the key is saved in the OS keychain instead of a key file.',
    options: {
      env: { ...envOption, help: 'the environment the key must open' },
      passphrase: { type: 'boolean', help: 'derive the key from the team passphrase' },
      ...keychainOptions,
      json: { type: 'boolean', help: 'print the result as JSON' },
    },
    examples: [
      'hako key import                       # paste the bundle at the prompt',
      'pbpaste | hako key import --env production',
      'hako key import --passphrase --env staging',
      'hako key import --keychain            # into the macOS Keychain / Secret Service',
    ],
    async run(ctx, args) {
      const request = keychainRequest(args);
      let r;
      if (flag(args, 'passphrase')) {
        const env = defaultEnv(ctx, str(args, 'env'));
        requireEnvironment(loadSecretsFile(findProject(ctx)), env);
        r = await importPassphrase(ctx, env, await readPassphrase(ctx, env), request);
      } else {
        const text =
          ctx.io.stdinIsTTY && ctx.promptSecret
            ? await ctx.promptSecret('Key bundle (hako-key:1:…): ')
            : stripOneNewline(await ctx.io.readStdin()).toString('utf8');
        if (!text.trim())
          throw new HakoError('E_BUNDLE', 'no key bundle given', 'pipe the line from `hako key export` into hako key import');
        r = await importKeyBundle(ctx, text, str(args, 'env'), request);
      }
      if (flag(args, 'json'))
        ctx.io.stdout(
          json({
            env: r.env,
            key_id: r.keyId,
            key_file: r.keychain ? null : r.path,
            keychain: r.keychain,
            already_present: r.alreadyPresent,
          }),
        );
      else
        ctx.io.stderr(
          `hako: the key opens environment '${r.env}' (key id ${r.keyId}); ${r.alreadyPresent ? 'it was already saved' : `saved to ${r.path}`}\n`,
        );
    },
  },
  {
    words: ['key', 'ls'],
    summary: 'list the keys of this project and where this machine finds them',
    usage: 'hako key ls [--json]',
    options: { json: { type: 'boolean', help: 'machine-readable output' } },
    examples: ['hako key ls', 'hako key ls --json'],
    async run(ctx, args) {
      const l = await listKeys(ctx);
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json({
            keys_dir: l.keysDir,
            environments: l.environments.map((e) => ({
              env: e.env,
              key_id: e.keyId,
              key: e.keyKind,
              key_file: e.keyFile,
              opens: e.access.opens,
              via: accessVia(e.access),
              source: e.access.opens === false ? null : e.access.label,
            })),
            other_key_files: l.otherKeyFiles,
          }),
        );
        return;
      }
      ctx.io.stdout(
        table([
          ['ENVIRONMENT', 'KEY ID', 'KEY', 'ACCESS'],
          ...l.environments.map((e) => [e.env, e.keyId, e.keyKind, accessText(e.access)]),
        ]),
      );
      ctx.io.stdout(`\nkey files: ${l.keysDir} (${l.otherKeyFiles} more for other projects or rotated keys)\n`);
    },
  },
  {
    words: ['key', 'rotate'],
    summary: 'replace the key of an environment and re-encrypt every value',
    usage: 'hako key rotate --env E [--passphrase | --random] [--keychain [--keychain-store STORE]]',
    description:
      'Makes a new key and key id, re-encrypts every value and rewraps the key for every recipient.\n' +
      'The old key stays (key file or keychain), so older commits remain readable. An environment that\n' +
      'uses a passphrase needs --passphrase (a new one: asked twice, or HAKO_NEW_PASSPHRASE, or stdin) or\n' +
      '--random to switch to a random key. The new key goes where the old one was (the keychain or a key\n' +
      'file), or to the keychain with --keychain. Share the new key afterwards (hako key export).',
    options: {
      env: envOption,
      passphrase: { type: 'boolean', help: 'derive the new key from a new passphrase' },
      random: { type: 'boolean', help: 'use a random key (drops the passphrase)' },
      ...keychainOptions,
      json: { type: 'boolean', help: 'print the result as JSON' },
    },
    examples: ['hako key rotate --env production', 'HAKO_NEW_PASSPHRASE="$NEW" hako key rotate --env staging --passphrase'],
    async run(ctx, args) {
      const env = defaultEnv(ctx, str(args, 'env'));
      const request = keychainRequest(args);
      if (flag(args, 'passphrase') && flag(args, 'random'))
        throw new HakoError('E_USAGE', '--passphrase and --random exclude each other', 'give one of them');
      // Checked before a new passphrase is asked for; the service checks it again for library callers.
      const record = requireEnvironment(loadSecretsFile(findProject(ctx)), env);
      const random = flag(args, 'random');
      if (record.passphrase && !flag(args, 'passphrase') && !random) await rotateKey(ctx, env, {}); // throws the refusal
      const passphrase = flag(args, 'passphrase') ? await readNewPassphrase(ctx, env, 'new') : undefined;
      const r = await rotateKey(ctx, env, {
        ...(passphrase !== undefined ? { passphrase } : {}),
        random,
        ...(request ? { keychain: request } : {}),
      });
      if (flag(args, 'json'))
        ctx.io.stdout(
          json({
            env,
            old_key_id: r.oldKeyId,
            new_key_id: r.newKeyId,
            secrets: r.secrets,
            recipients: r.recipients,
            key: r.keyKind,
            saved_to: r.savedTo,
          }),
        );
      else {
        ctx.io.stderr(
          `hako: rotated '${env}': key id ${r.oldKeyId} → ${r.newKeyId}; ${r.secrets} values re-encrypted, ${r.recipients} recipients rewrapped; new key in ${r.savedTo}\n`,
        );
        ctx.io.stderr(`hako: share the new key: hako key export --env ${env} (CI: update HAKO_KEY)\n`);
      }
    },
  },
];
