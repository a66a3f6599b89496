/** hako verify | scan | log | git setup | git merge-driver | git textconv */
import { envOption, listOf } from './options.js';
import { flag, str, type CommandSpec } from './command.js';
import { verifyProject, type VerifyReport } from '../services/verify.js';
import { json, table } from './table.js';
import { readFileSync } from 'node:fs';
import { HakoError } from '../core/errors.js';
import { runMergeDriver } from '../services/merge.js';
import { secretLog } from '../services/history.js';
import { scanProject } from '../services/scan.js';
import { assertEnvName, assertSecretName } from '../core/names.js';

import { commandFor, gitSetup, resolveConflicts, textconv } from '../services/git-setup.js';

function envsOf(args: Parameters<CommandSpec['run']>[1]): string[] | undefined {
  const e = listOf(args, 'env');
  return e.length ? e : undefined;
}

function verifyText(r: VerifyReport): string {
  const lines: string[] = [];
  for (const e of r.environments) {
    const values =
      e.values === 'opened' ? `${e.secrets} values open` : e.values === 'failed' ? 'VALUES FAIL' : `values not checked (${e.reason})`;
    lines.push(`${e.name}: key ${e.keyId}, chain ${e.chain === 'ok' ? 'ok' : e.chain === 'none' ? 'none yet' : 'BROKEN'}, ${values}`);
  }
  for (const i of r.issues) lines.push(`${i.level === 'error' ? 'FAIL' : i.level === 'warning' ? 'warn' : 'note'}: ${i.message}`);
  const errors = r.issues.filter((i) => i.level === 'error').length;
  const warnings = r.issues.filter((i) => i.level === 'warning').length;
  lines.push(
    r.ok
      ? `verify: ok (${r.environments.length} environments, ${r.filesChecked} ${r.staged ? 'staged ' : ''}files searched${warnings ? `, ${warnings} warnings` : ''})`
      : `verify: FAILED (${errors} problems${warnings ? `, ${warnings} warnings` : ''})`,
  );
  return lines.join('\n') + '\n';
}

export const gitCommands: CommandSpec[] = [
  {
    words: ['verify'],
    summary: 'check the secrets file, key chains, values, recipients.md, required names, expiry and tracked files',
    usage: 'hako verify [--env E]... [--staged] [--json]',
    description:
      'Checks that .hako/secrets.json parses, every key chain is signed link to link, every value opens\n' +
      'with the keys on this machine (environments without a key here are reported as not checked),\n' +
      'recipients.md matches, required names are set and no secret is expired; and that no tracked file\n' +
      'holds a value of an environment that opens here (in any encoding) or is a plaintext secrets file.\n' +
      'With --staged it checks what is staged for the next commit (the pre-commit hook); there an expired\n' +
      'secret is a warning. Exit 0 when everything checked passed, 1 otherwise.',
    options: {
      env: { ...envOption, help: 'check only this environment (repeatable)', multiple: true },
      staged: { type: 'boolean', help: 'check the staged state (index) instead of the working tree' },
      json: { type: 'boolean', help: 'machine-readable report' },
    },
    examples: ['hako verify', 'hako verify --env production --json', 'hako verify --staged   # what the pre-commit hook runs'],
    async run(ctx, args) {
      const r = await verifyProject(ctx, { envs: envsOf(args), staged: flag(args, 'staged') });
      if (flag(args, 'json')) ctx.io.stdout(json(r));
      else if (r.ok) ctx.io.stdout(verifyText(r));
      else ctx.io.stderr(verifyText(r));
      return { code: r.ok ? 0 : 1 };
    },
  },
  {
    words: ['git', 'setup'],
    summary: 'set up git for hako: merge and diff drivers for .hako/secrets.json, and a pre-commit hook',
    usage: 'hako git setup [--chain] [--no-hook] [--command CMD]',
    description:
      'Adds "secrets.json merge=hako diff=hako" to .hako/.gitattributes (commit it), defines the drivers\n' +
      'in the local git config (.git/config: each clone runs this once), and installs a pre-commit hook\n' +
      'that runs hako verify --staged. An existing pre-commit hook is never overwritten: --chain keeps it\n' +
      '(as pre-commit.pre-hako, run first); without --chain hako says what line to add to it.\n' +
      'Honours core.hooksPath (husky, lefthook). git commit --no-verify skips the hook once.',
    options: {
      chain: { type: 'boolean', help: 'keep an existing pre-commit hook and run it before hako' },
      'no-hook': { type: 'boolean', help: 'set up the merge and diff drivers only' },
      command: { type: 'string', label: 'CMD', help: 'how git runs hako (default: this hako, by absolute path)' },
    },
    examples: ['hako git setup', 'hako git setup --chain', "hako git setup --command hako   # hako is on everyone's PATH"],
    async run(ctx, args) {
      const command = str(args, 'command') ?? commandFor(process.execPath, process.argv[1]);
      const r = gitSetup(ctx, { command, chain: flag(args, 'chain'), noHook: flag(args, 'no-hook') });
      ctx.io.stderr(`hako: ${r.attributes.changed ? 'updated' : 'checked'} ${r.attributes.path} (commit it)\n`);
      ctx.io.stderr('hako: git config: merge.hako.driver, diff.hako.textconv set for this clone\n');
      switch (r.hook.state) {
        case 'installed':
        case 'updated':
          ctx.io.stderr(`hako: pre-commit hook ${r.hook.state}: ${r.hook.path}\n`);
          break;
        case 'chained':
          ctx.io.stderr(`hako: pre-commit hook installed; the one that was there runs first (${r.hook.chainedTo})\n`);
          break;
        case 'kept-existing':
          ctx.io.stderr(`hako: ${r.hook.path} exists and is not hako's: left as it is\n`);
          ctx.io.stderr(`hako: hint: add this line to it: ${command} verify --staged || exit 1   (or run hako git setup --chain)\n`);
          return { code: 1 };
      }
    },
  },
  {
    words: ['git', 'merge-driver'],
    summary: 'merge driver for .hako/secrets.json (git runs it: merge.hako.driver)',
    usage: 'hako git merge-driver BASE OURS THEIRS [PATH]',
    description:
      'Three-way merge by environment and name; writes the result over OURS. Exit 0 when clean, 1 with\n' +
      'conflicts (each reported by environment and name, never by value, and marked in the file).',
    options: {},
    positionals: [3, 4],
    examples: ['git config merge.hako.driver "hako git merge-driver %O %A %B %P"'],
    async run(ctx, args) {
      const [base, ours, theirs] = args.positionals as [string, string, string];
      const path = args.positionals[3] ?? '.hako/secrets.json';
      const r = await runMergeDriver(ctx, base, ours, theirs, path);
      for (const c of r.carried)
        ctx.io.stderr(
          `hako: ${path}: re-encrypted ${[...c.names, ...c.recipients.map((x) => `recipient ${x.slice(0, 16)}…`)].join(', ')} in '${c.env}' under its new key\n`,
        );
      if (r.textMerge) {
        ctx.io.stderr(
          r.sops
            ? `hako: ${path}: SOPS file not merged by key (${r.sops.why}); used git's text merge\n`
            : `hako: ${path}: a side does not parse as a secrets file; used git's text merge\n`,
        );
        return { code: r.clean ? 0 : 1 };
      }
      for (const c of r.conflicts) ctx.io.stderr(`hako: CONFLICT ${path}: ${c.what}\n`);
      if (!r.clean && r.sops)
        ctx.io.stderr(
          `hako: hint: ${path} is left as our side; edit it with hako sops edit ${path} to take their changes, then git add ${path}\n`,
        );
      else if (!r.clean)
        ctx.io.stderr(
          `hako: hint: keep one side per conflict: hako git resolve --ours|--theirs [--env E] [NAME...]; then hako verify and git add ${path}\n`,
        );
      return { code: r.clean ? 0 : 1 };
    },
  },
  {
    words: ['git', 'textconv'],
    summary: 'show .hako/secrets.json as names per environment for git diff (diff.hako.textconv)',
    usage: 'hako git textconv FILE',
    description:
      'Prints key ids, chain lengths, recipients and one line per secret with a digest of its token; never values or ciphertext.',
    options: {},
    positionals: [1, 1],
    examples: ['git config diff.hako.textconv "hako git textconv"', 'git log -p .hako/secrets.json'],
    async run(ctx, args) {
      let text: string;
      try {
        text = readFileSync(args.positionals[0]!, 'utf8');
      } catch (err) {
        throw new HakoError(
          'E_IO',
          `cannot read ${args.positionals[0]}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
          'git passes a temporary file',
        );
      }
      ctx.io.stdout(textconv(text));
    },
  },
  {
    words: ['git', 'resolve'],
    summary: 'keep one side of the merge conflicts in .hako/secrets.json',
    usage: 'hako git resolve --ours|--theirs [--env E] [NAME...]',
    description: 'Without --env and names, resolves every conflict; after the last one the file is rewritten canonically.',
    options: {
      ours: { type: 'boolean', help: 'keep our side' },
      theirs: { type: 'boolean', help: 'keep their side' },
      env: { ...envOption, help: 'only the conflicts of this environment' },
    },
    positionals: [0, 1000],
    examples: ['hako git resolve --theirs --env production STRIPE_KEY', 'hako git resolve --ours'],
    async run(ctx, args) {
      if (flag(args, 'ours') === flag(args, 'theirs'))
        throw new HakoError('E_USAGE', 'give exactly one of --ours and --theirs', 'e.g. hako git resolve --theirs');
      const r = await resolveConflicts(ctx, flag(args, 'ours') ? 'ours' : 'theirs', str(args, 'env'), args.positionals);
      ctx.io.stderr(
        `hako: resolved ${r.resolved} conflict${r.resolved === 1 ? '' : 's'}; ${r.remaining} left${r.remaining ? '' : ' (check with hako verify, then git add .hako/secrets.json)'}\n`,
      );
    },
  },
  {
    words: ['log'],
    summary: 'who changed which secret, in which environment, when and in which commit (from git history)',
    usage: 'hako log [NAME] [--env E] [--limit N] [--json]',
    description:
      'Lists additions, changes and removals of secrets, key rotations and recipient changes, newest first,\n' +
      'with author, date and commit. Reads only git history: no key needed, never a value. With NAME, also\n' +
      'the rotations and recipient changes of the environments that held it. Merge commits are left out.',
    options: {
      env: { ...envOption, help: 'only this environment' },
      limit: { type: 'string', label: 'N', help: 'at most N entries' },
      json: { type: 'boolean', help: 'machine-readable output' },
    },
    positionals: [0, 1],
    examples: ['hako log STRIPE_KEY --env production', 'hako log --env staging --limit 20', 'hako log --json | jq ".[0]"'],
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name) assertSecretName(name);
      const env = str(args, 'env');
      if (env) assertEnvName(env);
      const limitText = str(args, 'limit');
      const limit = limitText === undefined ? undefined : Number(limitText);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
        throw new HakoError('E_USAGE', '--limit needs a positive whole number', 'e.g. --limit 20');
      const entries = secretLog(ctx, { name, env, limit });
      if (flag(args, 'json')) {
        ctx.io.stdout(json(entries));
        return;
      }
      if (!entries.length) {
        ctx.io.stderr('hako: no changes found in git history\n');
        return;
      }
      const what = (e: (typeof entries)[number]) => `${e.kind}${e.detail ? ` (${e.detail})` : ''}`;
      ctx.io.stdout(
        table([
          ['DATE', 'COMMIT', 'AUTHOR', 'ENV', 'NAME', 'CHANGE', 'SUBJECT'],
          ...entries.map((e) => [
            e.date.slice(0, 10),
            e.commit.slice(0, 10),
            `${e.author} <${e.email}>`,
            e.env,
            e.name ?? '-',
            what(e),
            e.subject.slice(0, 60),
          ]),
        ]),
      );
    },
  },
  {
    words: ['scan'],
    summary: 'search the working tree (or all history) for values of environments that open here, and plaintext secret files',
    usage: 'hako scan [--history] [--env E]... [--json]',
    description:
      'Looks for every value of the environments whose key is on this machine, as it is and in the encoded\n' +
      'forms output redaction knows (base64, base64url, hex, URL and JSON escaping), in the files of the\n' +
      'working tree (tracked and not ignored), or with --history in every commit of every ref; and for\n' +
      '.env-like files and SOPS files left unencrypted. Reports file, commit and secret name, never the\n' +
      'value. Values shorter than 6 characters are not searched for. Exit 1 when something is found.',
    options: {
      history: { type: 'boolean', help: 'search every commit (git log -p --all) instead of the working tree' },
      env: { ...envOption, help: 'only the values of this environment (repeatable)', multiple: true },
      json: { type: 'boolean', help: 'machine-readable report' },
    },
    examples: ['hako scan', 'hako scan --history', 'hako scan --history --env production --json'],
    async run(ctx, args) {
      const r = await scanProject(ctx, { history: flag(args, 'history'), envs: envsOf(args) });
      if (flag(args, 'json')) ctx.io.stdout(json(r));
      else {
        for (const u of r.unchecked) ctx.io.stderr(`hako: note: values of '${u.env}' not searched for: ${u.reason}\n`);
        for (const f of r.findings) {
          const where = `${f.commit ? `${f.commit.slice(0, 12)} ` : ''}${f.file}`;
          ctx.io.stdout(f.kind === 'value' ? `${where}: value of ${f.name} ('${f.env}')\n` : `${where}: ${f.why}\n`);
        }
        const searched = r.commits ? `${r.commits} commits` : `${r.files} files`;
        ctx.io.stderr(
          `hako: scan: ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'} in ${searched} (values of ${r.environments.length ? r.environments.join(', ') : 'no environment'})\n`,
        );
      }
      return { code: r.findings.length ? 1 : 0 };
    },
  },
];
