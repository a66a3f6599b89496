/** hako ci export */
import { HakoError } from '../core/errors.js';
import { defaultEnv } from '../services/secrets.js';
import { planGithubExport } from '../services/ci.js';
import { flag, str, type CommandSpec } from './command.js';
import { allowedNames, allowOption, envOption, listOf } from './options.js';

export const ciCommands: CommandSpec[] = [
  {
    words: ['ci', 'export'],
    summary: 'in a GitHub Actions step: mask every value, then hand them to the later steps',
    usage: 'hako ci export --github [--env E] [--only NAME]... [--allow NAME]... [--step-outputs]',
    description:
      'Opens the environment (HAKO_KEY or SOPS_AGE_KEY from the repository secrets), prints\n' +
      '`::add-mask::` for every value and its base64, hex, URL- and JSON-encoded forms (multi-line\n' +
      'values line by line), then appends each value to $GITHUB_ENV as NAME<<DELIMITER with a random\n' +
      'delimiter the value does not contain, so multi-line values survive and no value can add a\n' +
      'variable. --step-outputs writes to $GITHUB_OUTPUT instead (read as steps.<id>.outputs.NAME).\n' +
      'The runner keeps that file on its disk until the job ends. Process-control names (PATH,\n' +
      'NODE_OPTIONS, …) are refused unless allowed. Values under 4 characters are not masked.\n' +
      'Other CI (GitLab, …): run one command with `hako run -- CMD`. See docs/CI.md.',
    options: {
      github: { type: 'boolean', help: 'GitHub Actions (the only CI with an export today)' },
      env: envOption,
      only: { type: 'string', multiple: true, label: 'NAME', help: 'export only these names (repeatable, or A,B)' },
      allow: allowOption,
      'step-outputs': { type: 'boolean', help: 'write step outputs ($GITHUB_OUTPUT) instead of environment variables' },
    },
    examples: [
      'hako ci export --github --env production',
      'hako ci export --github --env production --only DATABASE_URL,API_TOKEN',
      'hako ci export --github --env staging --step-outputs   # in a step with an id',
    ],
    async run(ctx, args) {
      if (!flag(args, 'github')) {
        throw new HakoError(
          'E_USAGE',
          'say which CI: --github',
          'GitHub Actions is the only CI with an export; elsewhere run one command with hako run -- CMD (docs/CI.md)',
        );
      }
      const env = defaultEnv(ctx, str(args, 'env'));
      const plan = await planGithubExport(ctx, {
        env,
        only: listOf(args, 'only'),
        allowed: allowedNames(args),
        target: flag(args, 'step-outputs') ? 'output' : 'env',
      });
      ctx.io.stdout(plan.maskCommands); // masks first: the runner applies them to every later line
      plan.write();
      ctx.io.stderr(
        `hako: '${env}': ${plan.names.length} value(s) masked and written to $${plan.variable}: ${plan.names.join(', ') || '(none)'}\n`,
      );
      if (plan.unmasked.length) {
        ctx.io.stderr(`hako: not masked, shorter than 4 characters: ${plan.unmasked.join(', ')}\n`);
      }
    },
  },
];
