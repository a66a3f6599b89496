/**
 * The git merge driver for `.hako/secrets.json` (`hako git merge-driver %O %A %B %P`): a
 * three-way merge by (environment, name) that needs no key (core/formats/secrets-merge.ts),
 * plus the one step that does: when one side rotated an environment's key and the other added
 * or changed secrets (or recipients), those are opened with the old key and sealed (or
 * wrapped) with the new one, if this machine holds both keys and the new key's chain descends
 * from the old. Otherwise those names are left as marked conflicts with the steps to finish.
 *
 * The result is written over the "ours" file, as git expects; the return says whether it is
 * clean. A side that does not parse (markers of an earlier merge, a hand edit) falls back to
 * git's own text merge of the three files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isHakoError } from '../core/errors.js';
import { EnvironmentCipher } from '../core/crypto/environment-cipher.js';
import { parseSecretsFile, type EnvironmentRecord, type SecretsFile } from '../core/formats/secrets-file.js';
import { metaText } from '../core/formats/secret-meta.js';
import {
  encodeWithConflicts,
  mergeSecretsFiles,
  pendingAsConflicts,
  type MergeConflict,
  type MergeOutcome,
  type PendingCarry,
} from '../core/formats/secrets-merge.js';
import { runGit } from '../core/git/run-git.js';
import { keyMatchesLink, verifyChain } from '../core/trust/key-chain.js';
import { resolveKey } from '../core/keys/resolve-key.js';
import { wrapKeyForRecipient } from '../core/keys/recipient-wrap.js';
import { keySourcesFor, nonInteractive, type ServiceContext } from './context.js';
import { asSopsFile, mergeSopsFiles } from './sops-merge.js';
import { keyTarget } from './project.js';

export interface MergeDriverResult {
  clean: boolean;
  conflicts: MergeConflict[];
  /** Environments where the other side's changes were re-encrypted under a rotated key. */
  carried: { env: string; names: string[]; recipients: string[] }[];
  /** True when a side did not parse and git's text merge was used instead. */
  textMerge: boolean;
  /** Set when the files were SOPS files: merged by key path (conflicts name key paths), or why not. */
  sops?: { merged: boolean; why?: string };
}

function parseOrNull(text: string, where: string): SecretsFile | null {
  try {
    return parseSecretsFile(text, where);
  } catch (err) {
    if (isHakoError(err)) return null;
    throw err;
  }
}

export async function runMergeDriver(
  ctx: ServiceContext,
  basePath: string,
  oursPath: string,
  theirsPath: string,
  path = oursPath,
): Promise<MergeDriverResult> {
  const baseText = readFileSync(basePath, 'utf8');
  const oursText = readFileSync(oursPath, 'utf8');
  const theirsText = readFileSync(theirsPath, 'utf8');
  const ours = parseOrNull(oursText, 'ours');
  const theirs = parseOrNull(theirsText, 'theirs');
  if (!ours || !theirs) {
    let sops: MergeDriverResult['sops'];
    if (asSopsFile(oursText, path) && asSopsFile(theirsText, path)) {
      const m = await mergeSopsFiles(ctx, basePath, oursPath, theirsPath, path);
      if (m.merged)
        return {
          clean: m.clean,
          conflicts: m.conflicts.map((p) => ({ kind: 'value', name: p, what: `${p} was changed on both sides` })),
          carried: [],
          textMerge: false,
          sops: { merged: true },
        };
      sops = { merged: false, why: m.why };
    }
    const r = runGit(ctx.cwd, ['merge-file', '-L', 'ours', '-L', 'base', '-L', 'theirs', oursPath, basePath, theirsPath], ctx.env);
    return { clean: r.status === 0, conflicts: [], carried: [], textMerge: true, ...(sops ? { sops } : {}) };
  }
  const base = baseText.trim() === '' ? null : parseOrNull(baseText, 'base');
  const { text, result } = await mergeTexts(ctx, base, ours, theirs);
  writeFileSync(oursPath, text);
  return result;
}

/** The merge itself, on parsed files: the text to write and what happened. */
export async function mergeTexts(
  ctx: ServiceContext,
  base: SecretsFile | null,
  ours: SecretsFile,
  theirs: SecretsFile,
): Promise<{ text: string; result: MergeDriverResult }> {
  const outcome = mergeSecretsFiles(base, ours, theirs);
  const carried: MergeDriverResult['carried'] = [];
  for (const carry of outcome.pending) {
    const why = await carryOver(ctx, outcome, carry);
    if (why === null) carried.push({ env: carry.env, names: carry.names, recipients: carry.recipients });
    else pendingAsConflicts(outcome, carry, why);
  }
  return {
    text: encodeWithConflicts(outcome),
    result: { clean: outcome.conflicts.length === 0, conflicts: outcome.conflicts, carried, textMerge: false },
  };
}

/** Re-seals the carried names under the rotated key; null when done, else why it could not. */
async function carryOver(ctx: ServiceContext, outcome: MergeOutcome, carry: PendingCarry): Promise<string | null> {
  const env = carry.env;
  const rotated = outcome.file.environments.get(env)!;
  const old = carry.from;
  const chain = verifyChain(env, rotated.chain);
  if ('problem' in chain || chain.links.length === 0) return `the new key's chain cannot be checked`;
  const oldAt = chain.links.findIndex((l) => l.keyId === old.keyId);
  if (oldAt < 0 || oldAt === chain.links.length - 1)
    return `the new key ${rotated.keyId} does not descend from ${old.keyId} in its key chain`;
  const quiet = nonInteractive(ctx);
  const sources = keySourcesFor(quiet);
  let oldKey: Buffer;
  let newKey: Buffer;
  try {
    oldKey = (await resolveKey(keyTarget(env, old), sources)).key;
  } catch (err) {
    if (!isHakoError(err)) throw err;
    return `the old key ${old.keyId} of '${env}' is not on this machine`;
  }
  try {
    newKey = (await resolveKey(keyTarget(env, rotated), sources)).key;
  } catch (err) {
    if (!isHakoError(err)) throw err;
    return `the new key ${rotated.keyId} of '${env}' is not on this machine`;
  }
  if (!keyMatchesLink(newKey, chain.links[chain.links.length - 1]!) || !keyMatchesLink(oldKey, chain.links[oldAt]!))
    return `the keys found do not match the key chain of '${env}'`;
  const oldCipher = new EnvironmentCipher(env, old.keyId, oldKey);
  const newCipher = new EnvironmentCipher(env, rotated.keyId, newKey);
  const open = (c: EnvironmentCipher, r: EnvironmentRecord | undefined, name: string): Buffer | null => {
    const token = r?.secrets.get(name);
    return token === undefined ? null : c.openBytes(name, token, metaText(r!.meta.get(name)));
  };
  const sealed = new Map<string, string>();
  const clashes: string[] = [];
  for (const name of carry.names) {
    const value = open(oldCipher, old, name);
    if (value === null) return `${name} on the other side does not open with the old key`;
    if (carry.alsoOnRotated.includes(name)) {
      // The rotated side re-encrypted it; did it also change it?
      const onRotated = open(newCipher, rotated, name);
      const inBase = open(oldCipher, carry.base, name);
      if (onRotated === null) return `${name} does not open with the new key`;
      const sameMeta = metaText(rotated.meta.get(name)) === metaText(carry.base?.meta.get(name));
      if (
        !(inBase !== null && inBase.equals(onRotated) && sameMeta) &&
        !(onRotated.equals(value) && metaText(rotated.meta.get(name)) === metaText(old.meta.get(name)))
      ) {
        clashes.push(name);
        continue;
      }
    }
    sealed.set(name, newCipher.sealBytes(name, value, metaText(old.meta.get(name))));
  }
  const wrapped = new Map<string, string>();
  for (const r of carry.recipients) wrapped.set(r, await wrapKeyForRecipient(newKey, r));
  for (const [name, token] of sealed) {
    rotated.secrets.set(name, token);
    const m = old.meta.get(name);
    if (m) rotated.meta.set(name, { ...m });
    else rotated.meta.delete(name);
  }
  for (const [r, w] of wrapped) rotated.recipients.set(r, w);
  if (clashes.length) {
    // Carried what could be; the names changed on both sides stay conflicts (old-key line against the new).
    pendingAsConflicts(outcome, { ...carry, names: clashes, recipients: [] }, 'changed on both sides');
  }
  return null;
}
