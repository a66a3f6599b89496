/** hako typegen */
import { relative } from 'node:path';
import { HakoError } from '../core/errors.js';
import { generateAccessors, type TypegenLang } from '../services/typegen.js';
import { flag, str, type CommandSpec } from './command.js';
import { json } from './table.js';

export const typegenCommands: CommandSpec[] = [
  {
    words: ['typegen'],
    summary: 'generate typed accessors (TypeScript or Go) from secret names; needs no key',
    usage: 'hako typegen [--lang ts|go] [--out PATH] [--package NAME] [--check]',
    description:
      'Reads only names: those of every environment and the "schema" section. A declared optional\n' +
      'name, or an undeclared one that some environment lacks, may be missing (string | undefined\n' +
      'in TypeScript, (string, bool) in Go). The TypeScript module is self-contained (it embeds\n' +
      'hako-secrets/runtime); the Go file uses the standard library only. Without --out the code goes to\n' +
      'stdout; with --out it is written only when it changed. A folder as --out gets hako-secrets.ts\n' +
      'or hako_secrets.go. Go names: docs/SDK.md.',
    options: {
      lang: { type: 'string', short: 'l', label: 'ts|go', help: 'language (default: ts)', choices: ['ts', 'go'] },
      out: { type: 'string', short: 'o', label: 'PATH', help: 'write to this file or folder instead of stdout', path: true },
      package: { type: 'string', label: 'NAME', help: 'Go package name (default: the --out folder name, else secrets)' },
      check: { type: 'boolean', help: 'write nothing; exit 1 when --out is missing or out of date (for CI)' },
      json: { type: 'boolean', help: 'print {"path","changed","names"} instead of a message' },
    },
    examples: [
      'hako typegen --out src/                          # src/hako-secrets.ts',
      'hako typegen --lang go --out internal/secrets/   # internal/secrets/hako_secrets.go, package secrets',
      'hako typegen --check --out src/hako-secrets.ts   # in CI',
      'hako typegen --lang go | less',
    ],
    async run(ctx, args) {
      const lang = str(args, 'lang') ?? 'ts';
      if (lang !== 'ts' && lang !== 'go')
        throw new HakoError('E_USAGE', `unknown language '${lang.slice(0, 20)}'`, 'use --lang ts or --lang go');
      const goPackage = str(args, 'package');
      if (goPackage !== undefined && lang !== 'go')
        throw new HakoError('E_USAGE', '--package is for --lang go', 'drop --package, or add --lang go');
      const out = str(args, 'out');
      const check = flag(args, 'check');
      const r = generateAccessors(ctx, {
        lang: lang as TypegenLang,
        ...(out !== undefined ? { out } : {}),
        ...(goPackage !== undefined ? { goPackage } : {}),
        check,
      });
      if (r.path === undefined) {
        ctx.io.stdout(r.text);
        return;
      }
      const shown = relative(ctx.cwd, r.path) || r.path;
      if (flag(args, 'json')) ctx.io.stdout(json({ path: r.path, changed: r.changed, names: r.names }));
      else if (check)
        ctx.io.stderr(
          r.changed
            ? `hako: ${shown} is out of date; run hako typegen${lang === 'go' ? ' --lang go' : ''} --out ${out}\n`
            : `hako: ${shown} is up to date\n`,
        );
      else ctx.io.stderr(r.changed ? `hako: wrote ${shown} (${r.names} names)\n` : `hako: ${shown} is up to date\n`);
      return check && r.changed ? { code: 1 } : undefined;
    },
  },
];
