/**
 * Key continuity: whether this machine may use the key an environment's entry now names.
 *
 * Opening proves only that a key fits the entry; anyone who can write the repository can
 * make an entry that some key fits (their own, wrapped to the team's public recipients).
 * So after a key is found, the entry's chain is checked against what this machine accepted
 * before (its pin):
 *   same chain            → use it;
 *   a signed extension    → a proven rotation: use it and move the pin (after checking git
 *                           history has no competing chain, when history is here);
 *   an older chain        → an older checkout (reading history): use it read-only with a
 *                           notice, unless HEAD's own history already retired it (rollback);
 *   anything else         → refused, with `hako trust` to accept it on purpose.
 * With no pin (a fresh clone or CI runner), git history decides, or an explicit anchor:
 * HAKO_KEY holding the current key, or HAKO_TRUST_<ENV> naming a link of the chain. With
 * neither (a shallow clone, no .git), it fails closed.
 */
import { HakoError } from '../core/errors.js';
import { passphraseVarName } from '../core/keys/passphrase-source.js';
import type { EnvironmentRecord } from '../core/formats/secrets-file.js';
import { parseChainLink, linkAnchor } from '../core/formats/chain-link.js';
import { compareChains, findAnchor, keyMatchesLink, verifyChain, type ChainLink } from '../core/trust/key-chain.js';
import { readPins, updatePins, type Pin } from '../core/trust/pin-store.js';
import { commitIntroducing, historyAvailability, judgeHistory, readEnvHistory, type HistoryJudgement } from './key-history.js';
import type { ServiceContext } from './context.js';
import type { Project } from './project.js';

export interface OpenedKey {
  key: Buffer;
  /** Where it came from, for messages (never the key). */
  label: string;
  /** True when the key is the head of the chain because the person supplied it for this environment (HAKO_KEY). */
  explicitHead: boolean;
}

export interface TrustDecision {
  /** False for an older checkout: values open, but nothing may be written with a retired key. */
  writable: boolean;
  /** How the decision was made, for `hako trust`, `doctor` and notices. */
  basis: 'pin' | 'rotation' | 'history' | 'anchor' | 'explicit-key' | 'older-checkout' | 'first-use';
}

export function trustVarName(env: string): string {
  return passphraseVarName(env).replace('HAKO_PASSPHRASE_', 'HAKO_TRUST_');
}

/** Checks the chain inline and that `key` is its last link's key. Returns the parsed links. */
export function verifyEntryChain(envName: string, record: EnvironmentRecord, opened: OpenedKey | null): ChainLink[] {
  if (record.chain.length === 0) return [];
  const v = verifyChain(envName, record.chain);
  if ('problem' in v) {
    throw new HakoError(
      'E_KEY_CHAIN',
      `the key chain of environment '${envName}' is broken: link ${v.problem.at + 1} ${v.problem.why}`,
      'someone edited the chain by hand or forged it; restore .hako/secrets.json from git and ask who changed it',
    );
  }
  const head = v.links[v.links.length - 1]!;
  if (opened && !keyMatchesLink(opened.key, head)) {
    throw new HakoError(
      'E_KEY_CHAIN',
      `the key from ${opened.label} fits the check of environment '${envName}' but is not the key its chain names (key id ${record.keyId})`,
      'the entry was changed by someone who does not hold its key; restore it from git (git log -p .hako/secrets.json) and ask who changed it',
    );
  }
  return v.links;
}

export async function checkContinuity(
  ctx: ServiceContext,
  project: Project,
  envName: string,
  record: EnvironmentRecord,
  opened: OpenedKey,
  staleAnchor: number | null,
): Promise<TrustDecision> {
  const links = verifyEntryChain(envName, record, opened);
  const pin = readPins(project.root, ctx.env).environments.get(envName);
  if (pin) return fromPin(ctx, project, envName, record, links, pin);

  // No pin: an explicit anchor, else git history, else refuse.
  if (opened.explicitHead) return accept(ctx, project, envName, record, 'explicit-key');
  const trustVar = ctx.env[trustVarName(envName)];
  let anchored = staleAnchor !== null;
  if (trustVar) {
    if (links.length === 0 || findAnchor(links, trustVar) < 0) {
      throw new HakoError(
        'E_UNTRUSTED',
        `${trustVarName(envName)} names a key that is not in the key chain of environment '${envName}'`,
        `print the current value with hako trust --env ${envName} on a machine that trusts it, and update the CI secret`,
      );
    }
    anchored = true;
  }
  const avail = historyAvailability(project, ctx.env);
  if (avail.ok) {
    const judgement = judgeHistory({ keyId: record.keyId, chain: record.chain }, readEnvHistory(avail, envName, ctx.env));
    const refusal = refusalFor(ctx, project, envName, record, judgement);
    if (refusal) throw refusal;
    if (judgement.kind === 'behind-upstream') {
      ctx.notice(`environment '${envName}' uses key ${record.keyId}, which the upstream branch has since replaced: opening read-only`);
      return { writable: false, basis: 'older-checkout' };
    }
    if (record.chain.length === 0) {
      ctx.notice(`environment '${envName}' has no key chain yet (written by an older hako): trusting key ${record.keyId} on first use`);
    }
    return accept(ctx, project, envName, record, anchored ? 'anchor' : 'history');
  }
  if (anchored) return accept(ctx, project, envName, record, 'anchor');
  // A file git does not track yet was made here (or copied by hand): nothing to check it against.
  if (avail.why === 'untracked') return accept(ctx, project, envName, record, 'first-use');
  throw new HakoError(
    'E_UNTRUSTED',
    `cannot tell whether key ${record.keyId} of environment '${envName}' is the team's: this machine never opened it and ${
      avail.why === 'shallow' ? 'this is a shallow clone, without the history that proves its key changes' : 'there is no git history here'
    }`,
    `give the key that anchors it: HAKO_KEY with the current key of '${envName}', or ${trustVarName(envName)} (printed by hako trust --env ${envName} on a machine that trusts it), or use a full clone (git fetch --unshallow)`,
  );
}

async function fromPin(
  ctx: ServiceContext,
  project: Project,
  envName: string,
  record: EnvironmentRecord,
  links: ChainLink[],
  pin: Pin,
): Promise<TrustDecision> {
  if (record.chain.length === 0) {
    if (pin.chain.length > 0) throw keyChanged(ctx, project, envName, record, pin, 'has lost the key chain this machine pinned');
    if (pin.keyId === record.keyId) return { writable: true, basis: 'pin' };
    throw keyChanged(ctx, project, envName, record, pin, 'changed its key without a proof');
  }
  if (pin.chain.length === 0) {
    // Pinned before the environment had a chain: the chain must start on the pinned key,
    // which is then the key we opened with (a chain of one) or an older link we can vouch for.
    if (links[0]!.keyId === pin.keyId && links.length === 1) return accept(ctx, project, envName, record, 'pin');
    throw keyChanged(ctx, project, envName, record, pin, 'changed its key while gaining a key chain');
  }
  const rel = compareChains(pin.chain, record.chain);
  if (rel === 'same') return { writable: true, basis: 'pin' };
  if (rel === 'fork')
    throw keyChanged(ctx, project, envName, record, pin, 'changed its key without a proof from the key this machine trusts');
  const avail = historyAvailability(project, ctx.env);
  if (rel === 'extends') {
    if (avail.ok) {
      const judgement = judgeHistory({ keyId: record.keyId, chain: record.chain }, readEnvHistory(avail, envName, ctx.env));
      const refusal = refusalFor(ctx, project, envName, record, judgement);
      if (refusal) throw refusal;
    }
    const from = parseChainLink(pin.chain[pin.chain.length - 1]!)!.keyId;
    ctx.notice(
      `environment '${envName}': key ${from} was rotated to ${record.keyId} (proven by the old key); now trusting ${record.keyId}`,
    );
    return accept(ctx, project, envName, record, 'rotation');
  }
  // behind: an older chain than the pinned one.
  if (avail.ok) {
    const history = readEnvHistory(avail, envName, ctx.env);
    const judgement = judgeHistory({ keyId: record.keyId, chain: record.chain }, history);
    const refusal = refusalFor(ctx, project, envName, record, judgement);
    if (refusal) throw refusal;
    ctx.notice(
      `environment '${envName}' uses key ${record.keyId}, which this machine has seen retired: reading an older checkout, nothing can be written with it`,
    );
    return { writable: false, basis: 'older-checkout' };
  }
  throw new HakoError(
    'E_KEY_ROLLBACK',
    `environment '${envName}' went back to key ${record.keyId}, which this machine has seen retired (now ${pin.keyId})`,
    `a retired key may be held by someone who was removed; restore the current entry (git log -p .hako/secrets.json), or inspect with hako trust --env ${envName}`,
  );
}

function refusalFor(
  ctx: ServiceContext,
  project: Project,
  envName: string,
  record: EnvironmentRecord,
  j: HistoryJudgement,
): HakoError | null {
  const short = (c: string | null) => (c ? c.slice(0, 12) : 'the upstream branch');
  switch (j.kind) {
    case 'ok':
    case 'behind-upstream':
      return null;
    case 'rollback':
      return new HakoError(
        'E_KEY_ROLLBACK',
        `environment '${envName}' went back to key ${record.keyId}, which commit ${short(j.commit)} of this branch had already replaced`,
        `a retired key may be held by someone who was removed; restore the newer entry from git, or inspect with hako trust --env ${envName}`,
      );
    case 'downgrade':
      return new HakoError(
        'E_KEY_CHANGED',
        `environment '${envName}' lost the key chain it had in commit ${short(j.commit)}`,
        `an entry without its chain cannot prove its key; restore it from git, or inspect with hako trust --env ${envName}`,
      );
    case 'recreated':
    case 'fork': {
      const info = introduced(ctx, project, record.keyId);
      const what =
        j.kind === 'recreated'
          ? 'was replaced by a new environment with another key'
          : j.where === 'upstream'
            ? 'has a key the upstream branch does not know: its key chain forks from upstream'
            : `changed its key without a proof (its chain forks from commit ${short(j.commit)})`;
      return new HakoError(
        'E_KEY_CHANGED',
        `environment '${envName}' ${what}${info}`,
        `if this change was made on purpose, check it with hako trust --env ${envName} and accept it with hako trust accept --env ${envName} ${record.keyId}`,
      );
    }
  }
}

function introduced(ctx: ServiceContext, project: Project, keyId: string): string {
  const avail = historyAvailability(project, ctx.env);
  if (!avail.ok) return '';
  const c = commitIntroducing(avail, keyId, ctx.env);
  return c ? ` (key ${keyId} came in commit ${c.commit.slice(0, 12)} by ${c.author})` : '';
}

function keyChanged(ctx: ServiceContext, project: Project, envName: string, record: EnvironmentRecord, pin: Pin, what: string): HakoError {
  return new HakoError(
    'E_KEY_CHANGED',
    `environment '${envName}' ${what}: this machine trusts key ${pin.keyId}, the file now names ${record.keyId}${introduced(ctx, project, record.keyId)}`,
    `if the change is legitimate, check it with hako trust --env ${envName} and accept it with hako trust accept --env ${envName} ${record.keyId}`,
  );
}

async function accept(
  ctx: ServiceContext,
  project: Project,
  envName: string,
  record: EnvironmentRecord,
  basis: TrustDecision['basis'],
): Promise<TrustDecision> {
  await pinEnvironment(ctx, project, envName, record);
  return { writable: true, basis };
}

/** Records `record`'s chain (or key id) as what this machine trusts for the environment. */
export async function pinEnvironment(ctx: ServiceContext, project: Project, envName: string, record: EnvironmentRecord): Promise<void> {
  await updatePins(project.root, ctx.env, (pins) => {
    pins.environments.set(envName, { keyId: record.keyId, chain: [...record.chain], at: new Date().toISOString() });
  });
}

export function headAnchor(record: EnvironmentRecord): string | null {
  const last = record.chain[record.chain.length - 1];
  const link = last ? parseChainLink(last) : null;
  return link ? linkAnchor(link) : null;
}
