/** hako trust | trust accept | trust forget */
import { flag, str, type CommandSpec } from './command.js';
import { HakoError } from '../core/errors.js';
import { acceptKey, describeSignature, forgetPins, historyAvailable, trustStatus, type TrustEntry } from '../services/trust.js';
import { jsonOption } from './options.js';
import { json } from './table.js';

const RELATION_TEXT: Record<TrustEntry['relation'], string> = {
  same: 'trusted',
  extends: 'rotated since (proven by the trusted key); accepted on next open',
  behind: 'OLDER than the trusted key (an older checkout, or a rollback)',
  fork: 'CHANGED without a proof from the trusted key',
  changed: 'CHANGED without a proof from the trusted key',
  new: 'not opened on this machine yet (history or an anchor decides)',
  'no-chain': 'no key chain yet (written by an older hako); trusted on first use',
};

function entryText(e: TrustEntry): string {
  const lines = [`${e.env}: key ${e.keyId}, chain of ${e.chainLength} link${e.chainLength === 1 ? '' : 's'}`];
  lines.push(`  status:   ${e.chainProblem ? `BROKEN chain: ${e.chainProblem}` : RELATION_TEXT[e.relation]}`);
  if (e.pinned) lines.push(`  trusted:  key ${e.pinned.keyId} (since ${e.pinned.at.slice(0, 10)})`);
  if (e.history && e.history !== 'ok') lines.push(`  history:  ${e.history}`);
  if (e.introduced) {
    lines.push(
      `  came in:  commit ${e.introduced.commit.slice(0, 12)} by ${e.introduced.author} on ${e.introduced.date.slice(0, 10)} (${describeSignature(e.introduced.signature)})`,
    );
  }
  if (e.pinned && e.pinned.keyId !== e.keyId && !e.chainProblem) lines.push(`  accept:   hako trust accept --env ${e.env} ${e.keyId}`);
  if (e.anchor) lines.push(`  CI pin:   ${e.anchor.variable}=${e.anchor.value}`);
  return lines.join('\n') + '\n';
}

function entryJson(e: TrustEntry) {
  return {
    env: e.env,
    key_id: e.keyId,
    chain_length: e.chainLength,
    chain_problem: e.chainProblem,
    pinned: e.pinned ? { key_id: e.pinned.keyId, at: e.pinned.at } : null,
    status: e.relation,
    history: e.history,
    introduced: e.introduced,
    anchor: e.anchor,
  };
}

export const trustCommands: CommandSpec[] = [
  {
    words: ['trust'],
    summary: 'show which key of each environment this machine trusts, and what changed',
    usage: 'hako trust [--env E] [--json]',
    description:
      'Each machine remembers the key chain it accepted for every environment of this checkout (in\n' +
      '$HAKO_HOME, outside the repository). A key change is accepted by itself only when the key it\n' +
      'replaces signed it; anything else stops every command that opens the environment. This shows,\n' +
      'per environment, the key the file names, the key trusted here, the commit that brought the key\n' +
      'in (author, and whether git verifies its signature), and the HAKO_TRUST_<ENV> line that pins the\n' +
      'current key in a CI secret store (for shallow clones). No key is needed.',
    options: { env: { type: 'string', short: 'e', label: 'E', help: 'only this environment' }, json: jsonOption },
    examples: ['hako trust', 'hako trust --env production --json', 'hako trust --env production | grep HAKO_TRUST_'],
    async run(ctx, args) {
      const entries = trustStatus(ctx, str(args, 'env'));
      if (flag(args, 'json')) {
        ctx.io.stdout(json(entries.map(entryJson)));
        return;
      }
      if (entries.length === 0) {
        ctx.io.stderr('hako: no environments yet\n');
        return;
      }
      ctx.io.stdout(entries.map(entryText).join('\n'));
      const why = historyAvailable(ctx);
      if (why)
        ctx.io.stderr(
          `hako: no git history to check here (${why === 'shallow' ? 'a shallow clone' : why}); only pins and anchors decide\n`,
        );
    },
  },
  {
    words: ['trust', 'accept'],
    summary: "trust an environment's current key on purpose",
    usage: 'hako trust accept --env E KEY_ID',
    description:
      'For a key change this machine refused (made without a proof from the trusted key, for example\n' +
      'an environment removed and created again). Read `hako trust --env E` first: it shows the old\n' +
      'and new key ids, the commit and its author. KEY_ID must be the key id the file names now.',
    options: { env: { type: 'string', short: 'e', label: 'E', help: 'the environment (required)' }, json: jsonOption },
    positionals: [1, 1],
    examples: ['hako trust --env production        # look first', 'hako trust accept --env production 3f9c2a71d04be815'],
    async run(ctx, args) {
      const env = str(args, 'env');
      if (!env) throw new HakoError('E_USAGE', 'hako trust accept needs --env', 'e.g. hako trust accept --env production KEY_ID');
      const e = await acceptKey(ctx, env, args.positionals[0]!);
      if (flag(args, 'json')) ctx.io.stdout(json(entryJson(e)));
      else ctx.io.stderr(`hako: this machine now trusts key ${e.keyId} for '${env}'\n`);
    },
  },
  {
    words: ['trust', 'forget'],
    summary: "forget this checkout's trusted keys (all, or one environment's)",
    usage: 'hako trust forget [--env E]',
    description: 'The next command that opens an environment decides again, from git history or an anchor.',
    options: { env: { type: 'string', short: 'e', label: 'E', help: 'only this environment' } },
    examples: ['hako trust forget --env staging', 'hako trust forget'],
    async run(ctx, args) {
      const dropped = await forgetPins(ctx, str(args, 'env'));
      ctx.io.stderr(dropped.length ? `hako: forgot the trusted keys of ${dropped.join(', ')}\n` : 'hako: nothing was trusted here\n');
    },
  },
];
