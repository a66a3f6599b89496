/**
 * `hako trust`: what this machine trusts for each environment of this checkout, what the file
 * now says, and where a change came from; accepting a change on purpose; forgetting pins.
 *
 * Nothing here needs a key: chains are checked with their public halves, and history with
 * git. Accepting is a deliberate act that names the key id being accepted, after a person
 * has seen the old and new key ids, the commit, its author and whether git verifies it.
 */
import { HakoError } from '../core/errors.js';
import { assertEnvName, KEY_ID } from '../core/names.js';
import { parseChainLink } from '../core/formats/chain-link.js';
import { compareChains, verifyChain, type ChainRelation } from '../core/trust/key-chain.js';
import { readPins, updatePins } from '../core/trust/pin-store.js';
import { headAnchor, trustVarName } from './continuity.js';
import {
  commitIntroducing,
  describeSignature,
  historyAvailability,
  judgeHistory,
  readEnvHistory,
  type HistoryJudgement,
} from './key-history.js';
import { findProject, loadSecretsFile, requireEnvironment, type Project } from './project.js';
import type { SecretsFile } from '../core/formats/secrets-file.js';
import type { ServiceContext } from './context.js';

export interface TrustEntry {
  env: string;
  keyId: string;
  chainLength: number;
  /** Null when the chain verifies; else why not. */
  chainProblem: string | null;
  pinned: { keyId: string; at: string } | null;
  /** How the file's chain relates to the pinned one; "new" without a pin, "no-chain" for a format-1 entry. */
  relation: ChainRelation | 'new' | 'no-chain' | 'changed';
  /** What git history says (null without history). */
  history: HistoryJudgement['kind'] | null;
  /** The commit that brought the current key in. */
  introduced: { commit: string; author: string; date: string; signature: string } | null;
  /** `HAKO_TRUST_<ENV>=…` for a CI store, when the entry has a chain. */
  anchor: { variable: string; value: string } | null;
}

/**
 * `history: false` leaves git out (history and introduced come back null): a dashboard that
 * redraws often cannot spend git's pickaxe search of a large file per environment.
 */
export function trustStatus(
  ctx: ServiceContext,
  onlyEnv?: string,
  opts: { history?: boolean; loaded?: { project: Project; file: SecretsFile } } = {},
): TrustEntry[] {
  const project = opts.loaded?.project ?? findProject(ctx);
  const file = opts.loaded?.file ?? loadSecretsFile(project);
  if (onlyEnv !== undefined) requireEnvironment(file, assertEnvName(onlyEnv));
  const pins = readPins(project.root, ctx.env);
  const avail: ReturnType<typeof historyAvailability> =
    opts.history === false ? { ok: false, why: 'no-git' } : historyAvailability(project, ctx.env);
  const out: TrustEntry[] = [];
  for (const [env, record] of [...file.environments].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (onlyEnv !== undefined && env !== onlyEnv) continue;
    const pin = pins.environments.get(env);
    const v = record.chain.length ? verifyChain(env, record.chain) : null;
    let relation: TrustEntry['relation'];
    if (!pin) relation = record.chain.length ? 'new' : 'no-chain';
    else if (record.chain.length === 0 || pin.chain.length === 0)
      relation = pin.keyId === record.keyId && record.chain.length <= 1 ? 'same' : 'changed';
    else relation = compareChains(pin.chain, record.chain);
    const anchor = headAnchor(record);
    out.push({
      env,
      keyId: record.keyId,
      chainLength: record.chain.length,
      chainProblem: v && 'problem' in v ? `link ${v.problem.at + 1} ${v.problem.why}` : null,
      pinned: pin ? { keyId: pin.keyId, at: pin.at } : null,
      relation,
      history: avail.ok ? judgeHistory({ keyId: record.keyId, chain: record.chain }, readEnvHistory(avail, env, ctx.env)).kind : null,
      introduced: avail.ok ? commitIntroducing(avail, record.keyId, ctx.env) : null,
      anchor: anchor ? { variable: trustVarName(env), value: anchor } : null,
    });
  }
  return out;
}

export { describeSignature };

/**
 * Trusts the file's current key of `env` on purpose. `keyId` must be the key id the file
 * names (the person read it in `hako trust` and typed it): a confirmation, not a choice.
 */
export async function acceptKey(ctx: ServiceContext, env: string, keyId: string): Promise<TrustEntry> {
  assertEnvName(env);
  if (!KEY_ID.test(keyId))
    throw new HakoError('E_USAGE', 'the key id to accept is 16 lower-case hex characters', `see hako trust --env ${env}`);
  const project = findProject(ctx);
  const record = requireEnvironment(loadSecretsFile(project), env);
  if (record.keyId !== keyId) {
    throw new HakoError(
      'E_USAGE',
      `environment '${env}' now uses key ${record.keyId}, not ${keyId}; nothing was accepted`,
      `look again with hako trust --env ${env}`,
    );
  }
  if (record.chain.length) {
    const v = verifyChain(env, record.chain);
    if ('problem' in v) {
      throw new HakoError(
        'E_KEY_CHAIN',
        `the key chain of '${env}' is broken (link ${v.problem.at + 1} ${v.problem.why}); a broken chain cannot be accepted`,
        'restore .hako/secrets.json from git, or have someone who holds the key rotate it (hako key rotate)',
      );
    }
    parseChainLink(record.chain[record.chain.length - 1]!);
  }
  await updatePins(project.root, ctx.env, (pins) => {
    pins.environments.set(env, { keyId: record.keyId, chain: [...record.chain], at: new Date().toISOString() });
  });
  return trustStatus(ctx, env)[0]!;
}

/** Drops this checkout's pins (of one environment, or all): the next open decides afresh. */
export async function forgetPins(ctx: ServiceContext, env?: string): Promise<string[]> {
  if (env !== undefined) assertEnvName(env);
  const project = findProject(ctx);
  let dropped: string[] = [];
  await updatePins(project.root, ctx.env, (pins) => {
    dropped = [...pins.environments.keys()].filter((e) => env === undefined || e === env).sort();
    for (const e of dropped) pins.environments.delete(e);
  });
  return dropped;
}

export function historyAvailable(ctx: ServiceContext): string | null {
  const a = historyAvailability(findProject(ctx), ctx.env);
  return a.ok ? null : a.why;
}
