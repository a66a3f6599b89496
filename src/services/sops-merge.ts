/**
 * The merge sops never shipped: a three-way merge of a SOPS file (YAML, JSON, dotenv, INI)
 * by key path, for `hako git merge-driver` when the files are SOPS files and this machine can
 * open their data key.
 *
 * Both sides must use the same data key (a `sops rotate` on one side is not merged: git's text
 * merge is used and reports it). Each side's MAC is checked. The plaintext trees merge per key:
 * changed on one side, that side wins; the same on both, fine; changed differently on both, a
 * conflict named by its key path (never a value). The result is written with the file's own
 * writer, so every value either side did not change keeps its exact ciphertext (the cipher
 * re-uses the IV it read it with), and `mac` and `lastmodified` are computed anew.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { NotEncryptedError, openSopsFile, readSopsFile, rulesOf, writeSopsFile, type SopsFile } from '../core/sops/sops-file.js';
import { decryptDocuments } from '../core/sops/tree-crypt.js';
import { storeForPath } from '../core/sops/store.js';
import { isComment, isMap, type SopsMap, type SopsPair, type SopsValue } from '../core/sops/tree.js';
import type { ServiceContext } from './context.js';
import { dataKeyOf } from './sops.js';

export type SopsMergeResult =
  | { merged: true; clean: boolean; conflicts: string[] }
  /** Not merged here; `why` says why (git's text merge is the fallback). */
  | { merged: false; why: string };

/** A SOPS file's parsed form, or null when the text is not one (no sops metadata, or not parsable). */
export function asSopsFile(text: string, path: string): SopsFile | null {
  try {
    return readSopsFile(text, storeForPath(path));
  } catch (err) {
    if (err instanceof NotEncryptedError) return null;
    return null;
  }
}

export async function mergeSopsFiles(
  ctx: ServiceContext,
  basePath: string,
  oursPath: string,
  theirsPath: string,
  path: string,
): Promise<SopsMergeResult> {
  const ours = asSopsFile(readFileSync(oursPath, 'utf8'), path);
  const theirs = asSopsFile(readFileSync(theirsPath, 'utf8'), path);
  if (!ours || !theirs) return { merged: false, why: 'a side is not an encrypted SOPS file' };
  const baseText = readFileSync(basePath, 'utf8');
  const base = baseText.trim() ? asSopsFile(baseText, path) : null;
  if (ours.store.docs.length !== 1 || theirs.store.docs.length !== 1)
    return { merged: false, why: 'files with several documents are not merged by key' };
  let key: Uint8Array;
  try {
    key = await dataKeyOf(ctx, ours.metadata, path);
  } catch {
    return { merged: false, why: 'no key here opens its data key' };
  }
  let oursOpened;
  try {
    oursOpened = openSopsFile(ours, key);
    openSopsFile(theirs, key); // checks their MAC under the same data key
  } catch (err) {
    return { merged: false, why: `the sides do not open with the same data key (${(err as Error).message})` };
  }
  const cipher = oursOpened.cipher;
  // Decrypting through our cipher stashes their IVs too, so their unchanged values keep their ciphertext.
  const opts = (f: SopsFile) => ({
    rules: rulesOf(f.metadata),
    macOnlyEncrypted: f.metadata.macOnlyEncrypted,
    binary: f.store.kind === 'binary',
  });
  const theirDoc = decryptDocuments(theirs.store.docs, cipher, opts(theirs)).docs[0]!;
  let baseDoc: SopsMap = { type: 'map', items: [] };
  if (base) {
    try {
      baseDoc = decryptDocuments(base.store.docs, cipher, opts(base)).docs[0] ?? baseDoc;
    } catch {
      return { merged: false, why: 'the merge base does not open with the same data key' };
    }
  }
  const conflicts: string[] = [];
  const merged = mergeMap(baseDoc, oursOpened.docs[0]!, theirDoc, [], conflicts);
  if (conflicts.length) return { merged: true, clean: false, conflicts };
  const text = writeSopsFile({ kind: ours.store.kind, docs: [merged], metadata: ours.metadata, cipher, original: ours.store });
  writeFileSync(oursPath, text);
  return { merged: true, clean: true, conflicts: [] };
}

function same(a: SopsValue | undefined, b: SopsValue | undefined): boolean {
  return key(a) === key(b);
}

function key(v: SopsValue | undefined): string {
  return v === undefined
    ? '\u0000absent'
    : JSON.stringify(v, (_k, x: unknown) =>
        typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? Buffer.from(x).toString('base64') : x,
      );
}

function pairs(m: SopsMap): Map<string, SopsValue> {
  const out = new Map<string, SopsValue>();
  for (const it of m.items) if (!isComment(it)) out.set((it as SopsPair).key, (it as SopsPair).value);
  return out;
}

/** Merges maps by key; our order and comments stay, their additions follow the key they follow there. */
function mergeMap(base: SopsMap, ours: SopsMap, theirs: SopsMap, path: string[], conflicts: string[]): SopsMap {
  const [o, a, b] = [pairs(base), pairs(ours), pairs(theirs)];
  const items: SopsMap['items'] = [];
  for (const it of ours.items) {
    if (isComment(it)) {
      items.push(it);
      continue;
    }
    const k = (it as SopsPair).key;
    const [vo, va, vb] = [o.get(k), a.get(k), b.get(k)];
    if (same(va, vb) || same(vb, vo)) items.push(it);
    else if (same(va, vo)) {
      if (vb !== undefined) items.push({ key: k, value: vb });
    } else if (isMap(va) && isMap(vb))
      items.push({ key: k, value: mergeMap(isMap(vo) ? vo : { type: 'map', items: [] }, va, vb, [...path, k], conflicts) });
    else {
      conflicts.push([...path, k].join('.'));
      items.push(it);
    }
  }
  // Keys only they have: added there (kept), or removed here (a conflict when they changed it).
  let after = -1;
  for (const it of theirs.items) {
    if (isComment(it)) continue;
    const k = (it as SopsPair).key;
    const at = items.findIndex((x) => !isComment(x) && (x as SopsPair).key === k);
    if (at >= 0) {
      after = at;
      continue;
    }
    if (a.has(k)) continue; // ours has it but chose to drop it above (their removal)
    const vo = o.get(k);
    if (vo !== undefined) {
      if (!same(vo, (it as SopsPair).value)) conflicts.push([...path, k].join('.'));
      continue; // removed on our side
    }
    items.splice(after + 1, 0, it);
    after += 1;
  }
  return { type: 'map', items };
}
