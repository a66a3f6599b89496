/**
 * `hako sops …`: a drop-in for the sops CLI on age (and PGP) files. The options and exit
 * codes are sops's (51 MAC mismatch, 100 no file, 128 no key, 200 not modified, 203 already
 * encrypted). The SOPS code loads only when one of these commands runs.
 */
import { readFileSync } from 'node:fs';
import { HakoError } from '../core/errors.js';
import { flag, str, type CommandContext, type CommandSpec, type OptionSpec, type ParsedArgs } from './command.js';
import type { CryptRule } from '../core/sops/crypt-rules.js';

const svc = () => import('../services/sops.js');

function strs(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  return list
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

const TYPE_OPTIONS: Record<string, OptionSpec> = {
  'input-type': { type: 'string', label: 'TYPE', help: 'yaml, json, dotenv, ini or binary (default: from the extension)' },
  'output-type': { type: 'string', label: 'TYPE', help: 'the format to write (default: the input type)' },
};

const RULE_OPTIONS: Record<string, OptionSpec> = {
  'unencrypted-suffix': { type: 'string', label: 'S', help: 'keys ending in S stay plaintext' },
  'encrypted-suffix': { type: 'string', label: 'S', help: 'only keys ending in S are encrypted' },
  'unencrypted-regex': { type: 'string', label: 'RE', help: 'keys matching RE stay plaintext' },
  'encrypted-regex': { type: 'string', label: 'RE', help: 'only keys matching RE are encrypted' },
  'unencrypted-comment-regex': { type: 'string', label: 'RE', help: 'values after a comment matching RE stay plaintext' },
  'encrypted-comment-regex': { type: 'string', label: 'RE', help: 'only values after a comment matching RE are encrypted' },
};

function ruleOf(args: ParsedArgs): CryptRule | undefined {
  const given = Object.keys(RULE_OPTIONS).filter((k) => str(args, k) !== undefined);
  if (given.length > 1) throw new HakoError('E_USAGE', `only one of --${given.join(', --')} at a time`, 'a file has one crypt rule');
  if (!given.length) return undefined;
  return { field: given[0]!.replace(/-/g, '_') as NonNullable<CryptRule>['field'], value: str(args, given[0]!)! };
}

async function emit(ctx: CommandContext, data: string | Uint8Array, to: string | undefined, mode = 0o600): Promise<void> {
  if (!to) {
    ctx.io.stdout(data);
    return;
  }
  const { writeFileAtomic } = await import('../core/fs/atomic-write.js');
  const { resolve } = await import('node:path');
  writeFileAtomic(resolve(ctx.cwd, to), data, { mode });
}

export const sopsCommands: CommandSpec[] = [
  {
    words: ['sops', 'encrypt'],
    summary: 'encrypt a file as sops does (recipients from --age or .sops.yaml)',
    usage: 'hako sops encrypt [--age R,…] [-i | --output F] FILE',
    description:
      'Encrypts every value of FILE with a new data key, wrapped for each recipient: --age/--pgp, else the\n' +
      'first .sops.yaml creation rule (found from the working directory up) whose path_regex matches FILE.\n' +
      'A file that is already encrypted is refused (exit 203).',
    options: {
      age: { type: 'string', multiple: true, label: 'R,…', help: 'age recipients (also SOPS_AGE_RECIPIENTS)' },
      pgp: { type: 'string', multiple: true, label: 'FP,…', help: 'PGP fingerprints (encrypted with gpg)' },
      'in-place': { type: 'boolean', short: 'i', help: 'write the result over FILE' },
      output: { type: 'string', label: 'F', help: 'write the result to F' },
      'filename-override': { type: 'string', label: 'PATH', help: 'match creation rules and pick the format as if FILE were PATH' },
      'shamir-secret-sharing-threshold': { type: 'string', label: 'N', help: 'key groups needed to decrypt' },
      'mac-only-encrypted': { type: 'boolean', help: 'the MAC covers encrypted values only' },
      config: { type: 'string', label: 'F', help: 'the .sops.yaml to use' },
      ...TYPE_OPTIONS,
      ...RULE_OPTIONS,
    },
    positionals: [1, 1],
    examples: ['hako sops encrypt -i secrets.enc.yaml', 'hako sops encrypt --age age1… app.env > app.enc.env'],
    async run(ctx, args) {
      const s = await svc();
      const age = strs(args, 'age');
      if (!age.length && ctx.env['SOPS_AGE_RECIPIENTS'])
        age.push(
          ...ctx.env['SOPS_AGE_RECIPIENTS']
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
        );
      const t = str(args, 'shamir-secret-sharing-threshold');
      const req = {
        path: args.positionals[0]!,
        type: str(args, 'input-type'),
        age,
        pgp: strs(args, 'pgp'),
        rule: ruleOf(args),
        shamirThreshold: t === undefined ? undefined : Number(t),
        macOnlyEncrypted: flag(args, 'mac-only-encrypted') ? true : undefined,
        config: str(args, 'config'),
        filenameOverride: str(args, 'filename-override'),
      };
      const text = await s.sopsEncrypt(ctx, req);
      if (flag(args, 'in-place')) await emit(ctx, text, req.path);
      else await emit(ctx, text, str(args, 'output'));
    },
  },
  {
    words: ['sops', 'decrypt'],
    summary: 'decrypt a sops file (checks the MAC)',
    usage: 'hako sops decrypt [--extract PATH] [--output-type T] [-i] FILE',
    description: 'Prints the plaintext of FILE. A file whose MAC does not match is refused (exit 51) unless --ignore-mac.',
    options: {
      extract: { type: 'string', label: 'PATH', help: 'only this value, e.g. \'["db"]["password"]\'' },
      'in-place': { type: 'boolean', short: 'i', help: 'write the plaintext over FILE' },
      output: { type: 'string', label: 'F', help: 'write the plaintext to F' },
      'ignore-mac': { type: 'boolean', help: 'read a file whose MAC does not match' },
      ...TYPE_OPTIONS,
    },
    positionals: [1, 1],
    examples: ['hako sops decrypt secrets.enc.yaml', 'hako sops decrypt --extract \'["db"]["password"]\' secrets.enc.yaml'],
    async run(ctx, args) {
      const s = await svc();
      const path = args.positionals[0]!;
      const out = await s.sopsDecrypt(ctx, {
        path,
        type: str(args, 'input-type'),
        outputType: str(args, 'output-type'),
        extract: str(args, 'extract'),
        ignoreMac: flag(args, 'ignore-mac'),
      });
      if (flag(args, 'in-place')) await emit(ctx, out, path);
      else await emit(ctx, out, str(args, 'output'));
    },
  },
  {
    words: ['sops', 'set'],
    summary: 'set one value of a sops file (only its line, mac and lastmodified change)',
    usage: 'hako sops set [--idempotent] FILE PATH [JSON]',
    description: 'PATH is like \'["a"]["b"][0]\'; the value is JSON (\'"text"\', 3.5, true, {…}), or --value-file / --value-stdin.',
    options: {
      'value-file': { type: 'string', label: 'F', help: 'read the JSON value from F' },
      'value-stdin': { type: 'boolean', help: 'read the JSON value from stdin' },
      idempotent: { type: 'boolean', help: 'do not write when the value is already set' },
      ...TYPE_OPTIONS,
    },
    positionals: [2, 3],
    examples: ['hako sops set secrets.enc.yaml \'["db"]["password"]\' \'"s3cret"\''],
    async run(ctx, args) {
      const s = await svc();
      const [path, tree, inline] = args.positionals as [string, string, string | undefined];
      let text: string;
      if (str(args, 'value-file')) text = readFileSync(str(args, 'value-file')!, 'utf8');
      else if (flag(args, 'value-stdin')) text = (await ctx.io.readStdin()).toString('utf8');
      else if (inline !== undefined) text = inline;
      else throw new HakoError('E_USAGE', 'no value', 'give it as JSON, or use --value-file / --value-stdin');
      await s.sopsSet(ctx, {
        path,
        type: str(args, 'input-type'),
        treePath: s.parseTreePath(tree),
        value: s.jsonToSops(text),
        idempotent: flag(args, 'idempotent'),
      });
    },
  },
  {
    words: ['sops', 'unset'],
    summary: 'remove one value of a sops file',
    usage: 'hako sops unset [--idempotent] FILE PATH',
    options: { idempotent: { type: 'boolean', help: 'succeed when the path is already absent' }, ...TYPE_OPTIONS },
    positionals: [2, 2],
    examples: ['hako sops unset secrets.enc.yaml \'["old_key"]\''],
    async run(ctx, args) {
      const s = await svc();
      const [path, tree] = args.positionals as [string, string];
      await s.sopsUnset(ctx, {
        path,
        type: str(args, 'input-type'),
        treePath: s.parseTreePath(tree),
        idempotent: flag(args, 'idempotent'),
      });
    },
  },
  {
    words: ['sops', 'edit'],
    summary: 'edit a sops file in $SOPS_EDITOR/$EDITOR (unchanged values keep their ciphertext)',
    usage: 'hako sops edit FILE',
    description: 'Decrypts into a private temporary file, opens the editor, and writes back only what changed. Unchanged: exit 200.',
    options: { 'ignore-mac': { type: 'boolean', help: 'edit a file whose MAC does not match' }, ...TYPE_OPTIONS },
    positionals: [1, 1],
    examples: ['EDITOR=nano hako sops edit secrets.enc.yaml'],
    async run(ctx, args) {
      const { sopsEdit } = await import('../services/sops-exec.js');
      await sopsEdit(ctx, { path: args.positionals[0]!, type: str(args, 'input-type'), ignoreMac: flag(args, 'ignore-mac') });
    },
  },
  {
    words: ['sops', 'updatekeys'],
    summary: "rewrap a file's data key for the keys of its .sops.yaml rule (only enc lines change)",
    usage: 'hako sops updatekeys [-y] FILE...',
    options: {
      yes: { type: 'boolean', short: 'y', help: 'do not ask' },
      config: { type: 'string', label: 'F', help: 'the .sops.yaml to use' },
      ...TYPE_OPTIONS,
    },
    positionals: [1, 1000],
    examples: ['hako sops updatekeys -y secrets/*.enc.yaml'],
    async run(ctx, args) {
      const s = await svc();
      let notModified = 0;
      for (const path of args.positionals) {
        try {
          const r = await s.sopsUpdateKeys(ctx, { path, type: str(args, 'input-type'), config: str(args, 'config') });
          ctx.io.stderr(
            `${path}: ${r.added
              .map((a) => `+${a}`)
              .concat(r.removed.map((x) => `-${x}`))
              .join(' ')}\n`,
          );
        } catch (err) {
          if (err instanceof HakoError && err.code === 'E_SOPS_NOT_MODIFIED' && args.positionals.length > 1) {
            ctx.io.stderr(`${path}: already up to date\n`);
            notModified++;
            continue;
          }
          throw err;
        }
      }
      void notModified;
    },
  },
  {
    words: ['sops', 'rotate'],
    summary: 'a new data key for a sops file; --add-age/--rm-age change its recipients',
    usage: 'hako sops rotate [-i] [--add-age R] [--rm-age R] FILE',
    options: {
      'in-place': { type: 'boolean', short: 'i', help: 'write the result over FILE' },
      output: { type: 'string', label: 'F', help: 'write the result to F' },
      'add-age': { type: 'string', multiple: true, label: 'R', help: 'add an age recipient' },
      'rm-age': { type: 'string', multiple: true, label: 'R', help: 'remove an age recipient' },
      'add-pgp': { type: 'string', multiple: true, label: 'FP', help: 'add a PGP key' },
      'rm-pgp': { type: 'string', multiple: true, label: 'FP', help: 'remove a PGP key' },
      ...TYPE_OPTIONS,
    },
    positionals: [1, 1],
    examples: ['hako sops rotate -i --rm-age age1… secrets.enc.yaml'],
    async run(ctx, args) {
      const s = await svc();
      const path = args.positionals[0]!;
      const { environmentBoundTo, rotateBoundFile } = await import('../services/recipients.js');
      const bound = environmentBoundTo(ctx, path);
      if (bound && flag(args, 'in-place')) {
        // The file backs a hako environment: the new data key gets its signed chain link too.
        if (strs(args, 'add-pgp')?.length || strs(args, 'rm-pgp')?.length)
          throw new HakoError(
            'E_USAGE',
            `${path} backs environment '${bound.env}': hako rotates it for age recipients only`,
            'drop --add-pgp/--rm-pgp',
          );
        const r = await rotateBoundFile(ctx, bound, { addAge: strs(args, 'add-age') ?? [], rmAge: strs(args, 'rm-age') ?? [] });
        ctx.io.stderr(`hako: rotated ${path} (environment '${bound.env}'): key id ${r.oldKeyId} → ${r.newKeyId}, chain extended\n`);
        return;
      }
      if (bound) ctx.notice(`${path} backs environment '${bound.env}': write the result with -i so its key chain follows the new data key`);
      const text = await s.sopsRotate(ctx, {
        path,
        type: str(args, 'input-type'),
        addAge: strs(args, 'add-age'),
        rmAge: strs(args, 'rm-age'),
        addPgp: strs(args, 'add-pgp'),
        rmPgp: strs(args, 'rm-pgp'),
        inPlace: flag(args, 'in-place'),
      });
      if (!flag(args, 'in-place')) await emit(ctx, text, str(args, 'output'));
    },
  },
  {
    words: ['sops', 'exec-env'],
    summary: "run a command with a sops file's top-level values as environment variables",
    usage: "hako sops exec-env [--pristine] [--allow NAME] FILE 'COMMAND'",
    description:
      "Runs COMMAND with /bin/sh -c, as sops does, and exits with its code. hako's run guarantees hold:\n" +
      'nothing runs unless every value opens and the MAC matches; key material (SOPS_AGE_KEY*, HAKO_*)\n' +
      'never reaches the command; signals are passed on; its output is redacted (--no-redact to keep the\n' +
      'terminal); a value named like a variable that controls processes (PATH, LD_PRELOAD, NODE_OPTIONS…)\n' +
      'is refused unless allowed with --allow NAME.',
    options: {
      pristine: { type: 'boolean', help: 'the command gets only the values, not this environment' },
      allow: { type: 'string', multiple: true, label: 'NAME', help: 'allow a process-control name (repeatable)' },
      'no-redact': { type: 'boolean', help: "pass the command's output through unchanged" },
      ...TYPE_OPTIONS,
    },
    positionals: [2, 2],
    examples: ["hako sops exec-env secrets.enc.env './deploy.sh'"],
    async run(ctx, args) {
      const { sopsExecEnv } = await import('../services/sops-exec.js');
      const [path, command] = args.positionals as [string, string];
      return sopsExecEnv(ctx, {
        path,
        type: str(args, 'input-type'),
        command,
        pristine: flag(args, 'pristine'),
        allow: new Set(strs(args, 'allow')),
        redact: !flag(args, 'no-redact'),
      });
    },
  },
  {
    words: ['sops', 'exec-file'],
    summary: 'run a command with the decrypted file at a private path ({} in the command)',
    usage: "hako sops exec-file [--no-fifo] [--filename NAME] FILE 'COMMAND {}'",
    options: {
      'no-fifo': { type: 'boolean', help: 'a regular 0600 file instead of a FIFO' },
      filename: { type: 'string', label: 'NAME', help: 'the name of the file (default: tmp-file)' },
      ...TYPE_OPTIONS,
    },
    positionals: [2, 2],
    examples: ["hako sops exec-file secrets.enc.json 'jq .db {}'"],
    async run(ctx, args) {
      const { sopsExecFile } = await import('../services/sops-exec.js');
      const [path, command] = args.positionals as [string, string];
      return sopsExecFile(ctx, {
        path,
        type: str(args, 'input-type'),
        outputType: str(args, 'output-type'),
        command,
        fifo: !flag(args, 'no-fifo'),
        filename: str(args, 'filename'),
      });
    },
  },
  {
    words: ['sops', 'filestatus'],
    summary: 'print {"encrypted":true|false} for a file (nothing is decrypted)',
    usage: 'hako sops filestatus FILE',
    options: { ...TYPE_OPTIONS },
    positionals: [1, 1],
    examples: ['hako sops filestatus secrets.enc.yaml'],
    async run(ctx, args) {
      const s = await svc();
      ctx.io.stdout(`${JSON.stringify(s.sopsFileStatus(ctx, args.positionals[0]!, str(args, 'input-type')))}\n`);
    },
  },
];
