/** hako verify | scan | log | git setup | git merge-driver | git textconv */
import { envOption, listOf } from './options.js';
import { flag, type CommandSpec } from './command.js';
import { verifyProject, type VerifyReport } from '../services/verify.js';
import { json } from './table.js';

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
];
