/** Help text: the command list, and one page per command with its options and examples. */
import type { CommandSpec } from '../commands/command.js';

export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: ${spec.usage}`, '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  const opts = Object.entries(spec.options);
  if (opts.length) {
    lines.push('', 'Options:');
    const rows = opts.map(
      ([name, o]) =>
        [`${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.label ?? 'VALUE'}` : ''}`, o.help] as const,
    );
    rows.push(['-h, --help', 'show this help']);
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [l, h] of rows) lines.push(`  ${l.padEnd(w)}  ${h}`);
  }
  if (spec.examples.length) {
    lines.push('', 'Examples:');
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `hako key --help`: the subcommands of one group. */
export function groupHelp(group: string, specs: readonly CommandSpec[]): string {
  const subs = specs.filter((s) => s.words[0] === group && s.words.length > 1);
  const w = Math.max(...subs.map((s) => s.words.join(' ').length));
  return [
    `Usage: hako ${group} <subcommand> [options]`,
    '',
    'Subcommands:',
    ...subs.map((s) => `  ${s.words.join(' ').padEnd(w)}  ${s.summary}`),
    '',
    `Run \`hako ${group} <subcommand> --help\` for its options and examples.`,
    '',
  ].join('\n');
}

export function mainHelp(specs: readonly CommandSpec[]): string {
  const w = Math.max(...specs.map((s) => s.words.join(' ').length));
  const list = specs.map((s) => `  ${s.words.join(' ').padEnd(w)}  ${s.summary}`);
  return [
    'hako: application secrets encrypted in git, keys outside it.',
    '',
    'Usage: hako [--env E] <command> [options]',
    '',
    'Commands:',
    ...list,
    '',
    'Environment: HAKO_ENV (default environment, else development), HAKO_KEY (key bundles, for CI),',
    'HAKO_PASSPHRASE / HAKO_PASSPHRASE_<ENV> (team passphrase), HAKO_HOME (where key files live),',
    'HAKO_AGE_KEY and the SOPS_AGE_KEY* variables (age identities; see hako whoami),',
    'RUNNER_SECRETS_KEY (opens the local runner mirror; see hako mirror sync).',
    '',
    'Run `hako <command> --help` for its options and examples; `hako --version` for the version.',
    '',
  ].join('\n');
}
