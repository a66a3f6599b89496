/** hako push github | cloudflare */
import { defaultEnv } from '../services/secrets.js';
import { pushEnvironment, type Platform, type PushResult } from '../services/push.js';
import { flag, str, type CommandContext, type CommandSpec, type ParsedArgs } from './command.js';
import { allowedNames, allowOption, envOption, jsonOption, listOf } from './options.js';
import { json, table } from './table.js';

const common = {
  env: envOption,
  only: { type: 'string', multiple: true, label: 'NAME', help: 'push only these names (repeatable, or A,B)' },
  'dry-run': { type: 'boolean', help: 'show what would be pushed; runs no CLI (plans from the record of earlier pushes)' },
  force: { type: 'boolean', help: 'push every value, changed or not' },
  allow: allowOption,
  json: jsonOption,
} as const;

async function push(ctx: CommandContext, args: ParsedArgs, platform: Platform, extra: Record<string, string | undefined>): Promise<void> {
  const env = defaultEnv(ctx, str(args, 'env'));
  const r = await pushEnvironment(ctx, {
    platform,
    env,
    only: listOf(args, 'only'),
    allowed: allowedNames(args),
    dryRun: flag(args, 'dry-run'),
    force: flag(args, 'force'),
    ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)),
  });
  if (flag(args, 'json')) {
    ctx.io.stdout(
      json({ env, target: r.target, dry_run: r.dryRun, platform_asked: r.platformAsked, items: r.items, pushed: r.pushed, extra: r.extra }),
    );
    return;
  }
  report(ctx, env, platform, r);
}

function report(ctx: CommandContext, env: string, platform: Platform, r: PushResult): void {
  const rows = r.items.map((i) => [i.name, r.dryRun ? (i.push ? 'would push' : 'skip') : i.push ? 'pushed' : 'skipped', i.reason]);
  if (rows.length) ctx.io.stdout(table([['NAME', 'ACTION', 'WHY'], ...rows]));
  const n = r.items.filter((i) => i.push).length;
  if (r.dryRun) {
    ctx.io.stderr(
      `hako: dry run: ${n} of ${r.items.length} value(s) of '${env}' would go to ${platform}; ${platform} was not asked (planned from hako's record of earlier pushes)\n`,
    );
  } else {
    ctx.io.stderr(`hako: '${env}' → ${platform}: ${r.pushed.length} pushed, ${r.items.length - r.pushed.length} unchanged\n`);
  }
  if (r.extra.length) ctx.io.stderr(`hako: on ${platform} but not in '${env}' (left alone): ${r.extra.join(', ')}\n`);
}

export const pushCommands: CommandSpec[] = [
  {
    words: ['push', 'github'],
    summary: "copy an environment's values into GitHub Actions secrets (gh secret set, values on stdin)",
    usage: 'hako push github [--env E] [--repo OWNER/REPO] [--environment NAME] [--only NAME]... [--dry-run] [--force]',
    description:
      'Runs `gh secret set NAME` once per value that changed, the value on its stdin (never in argv).\n' +
      'GitHub lists names and update times but not values, so hako keeps a record of keyed fingerprints\n' +
      'of what it pushed ($HAKO_HOME/push/, no values): unchanged values are skipped; a name missing on\n' +
      'GitHub, or updated there after hako pushed it, is pushed again. gh drops trailing line breaks.\n' +
      'Names starting with GITHUB_ are refused; process-control names need --allow. See docs/CI.md.',
    options: {
      ...common,
      repo: { type: 'string', label: 'OWNER/REPO', help: 'the repository (default: the one gh finds from this folder)' },
      environment: { type: 'string', label: 'NAME', help: 'a GitHub deployment environment instead of repository secrets' },
    },
    examples: [
      'hako push github --env production --dry-run',
      'hako push github --env production --repo acme/shop --environment production',
      'hako push github --env staging --only DATABASE_URL --force',
    ],
    async run(ctx, args) {
      await push(ctx, args, 'github', { repo: str(args, 'repo'), environment: str(args, 'environment') });
    },
  },
  {
    words: ['push', 'cloudflare'],
    summary: "copy an environment's values into a Cloudflare Worker's secrets (wrangler secret bulk, stdin)",
    usage: 'hako push cloudflare [--env E] [--wrangler-env E] [--worker NAME] [--only NAME]... [--dry-run] [--force]',
    description:
      'Runs `wrangler secret bulk` once with the values that changed, as JSON on its stdin (never in\n' +
      'argv), in this folder (so wrangler reads wrangler.toml). Wrangler lists names, not values or\n' +
      'dates: hako skips values whose keyed fingerprint matches its record of the last push\n' +
      '($HAKO_HOME/push/, no values) and that the Worker still has. See docs/CI.md.',
    options: {
      ...common,
      'wrangler-env': { type: 'string', label: 'E', help: "wrangler's --env (an environment in wrangler.toml)" },
      worker: { type: 'string', label: 'NAME', help: "the Worker (wrangler's --name; default: wrangler.toml)" },
    },
    examples: ['hako push cloudflare --env production --dry-run', 'hako push cloudflare --env production --wrangler-env production'],
    async run(ctx, args) {
      await push(ctx, args, 'cloudflare', { wranglerEnv: str(args, 'wrangler-env'), worker: str(args, 'worker') });
    },
  },
];
