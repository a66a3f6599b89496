/**
 * Three-way merge of `.hako/secrets.json` by (environment, name), without any key.
 *
 * A secret is its token together with its metadata; the environment's key is its header
 * (key id, check, chain, passphrase parameters). Per name: the same on both sides, or changed
 * on one side only, merges; changed differently on both sides is a conflict on that name.
 * Recipients merge per recipient while the key is the same on both sides.
 *
 * A rotation (a new header) re-encrypts every value, so after one the tokens of the rotated
 * side no longer say whether their values changed. When one side rotated, the merge keeps the
 * rotated side's header, recipients and tokens, and lists the names the other side added or
 * changed (and the recipients it added) as `pending`: they are sealed under the old key and
 * need the keys to be carried over (services/merge.ts does that when it can). Rotations on
 * both sides to different keys are a conflict on the environment.
 *
 * Conflicts are written into the file as git-style markers around the one line of a secret
 * (or the lines of an environment or schema entry), each side encoded as hako would write it,
 * the first marker carrying a label ("production STRIPE_KEY: changed on both sides"). A file
 * with markers does not parse; secrets-conflict.ts lists and resolves them.
 */
import { encodeSecretsFile, emptySecretsFile, type EnvironmentRecord, type SchemaEntry, type SecretsFile } from './secrets-file.js';
import { metaText } from './secret-meta.js';

export type ConflictKind = 'value' | 'rotation' | 'environment' | 'schema';

export interface MergeConflict {
  kind: ConflictKind;
  env?: string;
  name?: string;
  /** For people: what happened, never a value. */
  what: string;
}

export interface PendingCarry {
  env: string;
  /** The side that rotated; its header, key and tokens are kept. */
  rotated: 'ours' | 'theirs';
  /** The record of the other side (sealed under the old key) that the names and recipients come from. */
  from: EnvironmentRecord;
  /** The environment in the merge base (same key as `from`). */
  base: EnvironmentRecord | undefined;
  /** Names the other side added or changed since the base: to re-seal under the new key. */
  names: string[];
  /** Recipients the other side added since the base: to wrap the new key for. */
  recipients: string[];
  /** For each name, whether the rotated side holds it too (then its value must be unchanged there). */
  alsoOnRotated: string[];
}

export interface MergeOutcome {
  file: SecretsFile;
  conflicts: MergeConflict[];
  pending: PendingCarry[];
  /** Per conflict, the side that is not in `file` (for the markers); internal to encodeWithConflicts. */
  alternatives: Alternative[];
}

interface Alternative {
  conflict: MergeConflict;
  /** The line(s) for ours / theirs, or null when that side has none. */
  ours: string[] | null;
  theirs: string[] | null;
}

/** The key an entry names. Its chain is compared apart: starting a chain (format 1 → 2) keeps the key. */
function headerKey(r: EnvironmentRecord): string {
  return JSON.stringify([r.keyId, r.check, r.passphrase ?? null, r.sops ? [r.sops.path] : null]);
}

/** The longer of two chains when one is a prefix of the other (same key, one side started its chain), else null. */
function longerChain(a: string[], b: string[]): string[] | null {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return null;
  return a.length >= b.length ? a : b;
}

function secretKey(r: EnvironmentRecord | undefined, name: string): string | null {
  const token = r?.secrets.get(name);
  return token === undefined ? null : `${token} ${metaText(r!.meta.get(name))}`;
}

function recordKey(r: EnvironmentRecord | undefined): string | null {
  if (!r) return null;
  const sorted = <V>(m: Map<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([
    headerKey(r),
    sorted(r.recipients),
    sorted(r.secrets),
    sorted(r.meta).map(([k, m]) => [k, metaText(m)]),
    r.sops ? sorted(r.sops.tags) : null,
  ]);
}

function cloneRecord(r: EnvironmentRecord): EnvironmentRecord {
  const c: EnvironmentRecord = {
    keyId: r.keyId,
    chain: [...r.chain],
    check: r.check,
    recipients: new Map(r.recipients),
    secrets: new Map(r.secrets),
    meta: new Map([...r.meta].map(([k, m]) => [k, { ...m }])),
  };
  if (r.passphrase) c.passphrase = { ...r.passphrase };
  if (r.sops) c.sops = { path: r.sops.path, tags: new Map(r.sops.tags) };
  return c;
}

function setSecret(target: EnvironmentRecord, source: EnvironmentRecord, name: string): void {
  const token = source.secrets.get(name);
  if (token === undefined) {
    target.secrets.delete(name);
    target.meta.delete(name);
    return;
  }
  target.secrets.set(name, token);
  const m = source.meta.get(name);
  if (m) target.meta.set(name, { ...m });
  else target.meta.delete(name);
}

export function mergeSecretsFiles(base: SecretsFile | null, ours: SecretsFile, theirs: SecretsFile): MergeOutcome {
  const o = base ?? emptySecretsFile();
  const out = emptySecretsFile();
  out.version = Math.max(ours.version, theirs.version) as 1 | 2;
  const outcome: MergeOutcome = { file: out, conflicts: [], pending: [], alternatives: [] };
  const conflict = (c: MergeConflict, oursLines: string[] | null, theirsLines: string[] | null) => {
    outcome.conflicts.push(c);
    outcome.alternatives.push({ conflict: c, ours: oursLines, theirs: theirsLines });
  };

  const envNames = new Set([...ours.environments.keys(), ...theirs.environments.keys(), ...o.environments.keys()]);
  for (const env of [...envNames].sort()) {
    const O = o.environments.get(env);
    const A = ours.environments.get(env);
    const B = theirs.environments.get(env);
    const [kO, kA, kB] = [recordKey(O), recordKey(A), recordKey(B)];
    if (kA === kB) {
      if (A) out.environments.set(env, cloneRecord(A));
      continue;
    }
    if (kA === kO) {
      if (B) out.environments.set(env, cloneRecord(B));
      continue;
    }
    if (kB === kO) {
      if (A) out.environments.set(env, cloneRecord(A));
      continue;
    }
    if (!A || !B) {
      // Removed on one side, changed on the other.
      const kept = (A ?? B)!;
      out.environments.set(env, cloneRecord(kept));
      conflict(
        { kind: 'environment', env, what: `environment '${env}' was removed on ${A ? 'their' : 'our'} side and changed on the other` },
        A ? envLines(env, A) : null,
        B ? envLines(env, B) : null,
      );
      continue;
    }
    if (A.sops || B.sops) {
      out.environments.set(env, cloneRecord(A));
      conflict(
        { kind: 'environment', env, what: `environment '${env}' (SOPS binding) changed on both sides` },
        envLines(env, A),
        envLines(env, B),
      );
      continue;
    }
    const hO = O ? headerKey(O) : null;
    const hA = headerKey(A);
    const hB = headerKey(B);
    const chain = hA === hB ? longerChain(A.chain, B.chain) : null;
    if (hA === hB && chain) {
      const merged = mergeSameKey(env, O, A, B, conflict);
      merged.chain = [...chain];
      out.environments.set(env, merged);
    } else if (hA === hB) {
      out.environments.set(env, cloneRecord(A));
      conflict(
        { kind: 'rotation', env, what: `environment '${env}' has different key chains on the two sides` },
        envLines(env, A),
        envLines(env, B),
      );
    } else if (hA === hO || hB === hO) {
      const rotatedSide = hA === hO ? 'theirs' : 'ours';
      const R = rotatedSide === 'theirs' ? B : A;
      const S = rotatedSide === 'theirs' ? A : B;
      const merged = cloneRecord(R);
      const names: string[] = [];
      const alsoOnRotated: string[] = [];
      const all = new Set([...(O?.secrets.keys() ?? []), ...S.secrets.keys()]);
      for (const name of all) {
        const s = secretKey(S, name);
        const base0 = secretKey(O, name);
        if (s === base0) continue; // the static side did not touch it: the rotated side's state stands
        if (s === null) {
          // Removed on the static side: removed, whatever the rotated side holds (it only re-encrypted it, or also
          // changed it, which without the keys cannot be told; the removal is the visible intent).
          merged.secrets.delete(name);
          merged.meta.delete(name);
          continue;
        }
        if (base0 !== null && !R.secrets.has(name)) {
          // Changed on the static side, removed on the rotated side.
          conflict(
            {
              kind: 'value',
              env,
              name,
              what: `${name} was removed on ${rotatedSide === 'ours' ? 'our' : 'their'} side and changed on the other`,
            },
            rotatedSide === 'ours' ? null : [secretLine(S, name)],
            rotatedSide === 'ours' ? [secretLine(S, name)] : null,
          );
          setSecret(merged, S, name); // kept for the markers; its token is under the old key
          continue;
        }
        names.push(name);
        if (R.secrets.has(name)) alsoOnRotated.push(name);
      }
      const addedRecipients = [...S.recipients.keys()].filter((r) => !(O?.recipients.has(r) ?? false) && !R.recipients.has(r));
      if (names.length || addedRecipients.length) {
        outcome.pending.push({
          env,
          rotated: rotatedSide,
          from: S,
          base: O,
          names: names.sort(),
          recipients: addedRecipients.sort(),
          alsoOnRotated: alsoOnRotated.sort(),
        });
      }
      out.environments.set(env, merged);
    } else {
      out.environments.set(env, cloneRecord(A));
      conflict(
        {
          kind: 'rotation',
          env,
          what: `environment '${env}' got a new key on both sides (ours ${A.keyId}, theirs ${B.keyId})`,
        },
        envLines(env, A),
        envLines(env, B),
      );
    }
  }

  // Schema: by name.
  const schemaNames = new Set([...ours.schema.keys(), ...theirs.schema.keys(), ...o.schema.keys()]);
  const sk = (e: SchemaEntry | undefined) => (e ? JSON.stringify([e.required, e.description ?? null]) : null);
  for (const name of [...schemaNames].sort()) {
    const [eO, eA, eB] = [o.schema.get(name), ours.schema.get(name), theirs.schema.get(name)];
    const [a, b, base0] = [sk(eA), sk(eB), sk(eO)];
    const pick = a === b || b === base0 ? eA : a === base0 ? eB : null;
    if (pick !== null) {
      if (pick) out.schema.set(name, { ...pick });
      continue;
    }
    out.schema.set(name, { ...(eA ?? eB)! });
    conflict(
      { kind: 'schema', name, what: `the schema entry of ${name} changed on both sides` },
      eA ? [schemaLine(name, eA)] : null,
      eB ? [schemaLine(name, eB)] : null,
    );
  }
  return outcome;
}

type ConflictFn = (c: MergeConflict, ours: string[] | null, theirs: string[] | null) => void;

function mergeSameKey(
  env: string,
  O: EnvironmentRecord | undefined,
  A: EnvironmentRecord,
  B: EnvironmentRecord,
  conflict: ConflictFn,
): EnvironmentRecord {
  const merged = cloneRecord(A);
  // Recipients: a wrap of the same key either way, so only presence matters.
  const recips = new Set([...A.recipients.keys(), ...B.recipients.keys(), ...(O?.recipients.keys() ?? [])]);
  for (const r of recips) {
    const [o, a, b] = [O?.recipients.has(r) ?? false, A.recipients.has(r), B.recipients.has(r)];
    const keep = a === b ? a : a === o ? b : a;
    if (keep) merged.recipients.set(r, A.recipients.get(r) ?? B.recipients.get(r)!);
    else merged.recipients.delete(r);
  }
  const names = new Set([...A.secrets.keys(), ...B.secrets.keys(), ...(O?.secrets.keys() ?? [])]);
  for (const name of names) {
    const [o, a, b] = [secretKey(O, name), secretKey(A, name), secretKey(B, name)];
    if (a === b || b === o) continue; // merged already holds A's
    if (a === o) {
      setSecret(merged, B, name);
      continue;
    }
    const what =
      a === null
        ? `${name} was removed on our side and changed on theirs`
        : b === null
          ? `${name} was changed on our side and removed on theirs`
          : `${name} was changed on both sides`;
    if (a === null) setSecret(merged, B, name); // the line the markers go around
    conflict({ kind: 'value', env, name, what }, a === null ? null : [secretLine(A, name)], b === null ? null : [secretLine(B, name)]);
  }
  return merged;
}

/**
 * Turns carries that could not be made (no keys here) into conflicts: each name the other side
 * changed becomes a marked line (the rotated side's state against the old-key token), and added
 * recipients make the whole environment one conflict.
 */
export function pendingAsConflicts(outcome: MergeOutcome, carry: PendingCarry, why: string): void {
  const env = carry.env;
  const merged = outcome.file.environments.get(env)!;
  const rotatedIsOurs = carry.rotated === 'ours';
  const add = (c: MergeConflict, rotatedLines: string[] | null, staticLines: string[] | null) => {
    outcome.conflicts.push(c);
    outcome.alternatives.push({
      conflict: c,
      ours: rotatedIsOurs ? rotatedLines : staticLines,
      theirs: rotatedIsOurs ? staticLines : rotatedLines,
    });
  };
  const side = rotatedIsOurs ? 'their' : 'our';
  const rot = rotatedIsOurs ? 'our' : 'their';
  if (carry.recipients.length) {
    const staticEnv = carry.from;
    add(
      {
        kind: 'rotation',
        env,
        what: `environment '${env}' got a new key on ${rot} side while ${side} side added recipients and changed ${carry.names.length} secrets (${why})`,
      },
      envLines(env, merged),
      envLines(env, staticEnv),
    );
    return;
  }
  for (const name of carry.names) {
    const rotatedLine = merged.secrets.has(name) ? [secretLine(merged, name)] : null;
    if (!merged.secrets.has(name)) setSecret(merged, carry.from, name);
    add({ kind: 'value', env, name, what: `${name} was changed on ${side} side while ${rot} side rotated the key (${why})` }, rotatedLine, [
      secretLine(carry.from, name),
    ]);
  }
}

// ---------------------------------------------------------------- lines, as the encoder writes them

const SECRET_INDENT = '        ';

function secretLine(r: EnvironmentRecord, name: string): string {
  const one: EnvironmentRecord = { ...cloneRecord(r), secrets: new Map(), meta: new Map() };
  setSecret(one, r, name);
  const f = emptySecretsFile();
  f.version = 2;
  f.environments.set('x', one);
  const line = encodeSecretsFile(f)
    .split('\n')
    .find((l) => l.startsWith(`${SECRET_INDENT}"${name}": `));
  return line!;
}

function schemaLine(name: string, e: SchemaEntry): string {
  const f = emptySecretsFile();
  f.schema.set(name, e);
  return encodeSecretsFile(f)
    .split('\n')
    .find((l) => l.startsWith(`    "${name}": `))!;
}

function envLines(env: string, r: EnvironmentRecord): string[] {
  const f = emptySecretsFile();
  f.version = 2;
  f.environments.set(env, r);
  const lines = encodeSecretsFile(f).split('\n');
  const start = lines.indexOf(`    ${JSON.stringify(env)}: {`);
  const end = lines.indexOf('    }', start);
  return lines.slice(start, end + 1);
}

// ---------------------------------------------------------------- conflict markers

export const MARK_OURS = '<<<<<<< ours';
export const MARK_MID = '=======';
export const MARK_THEIRS = '>>>>>>> theirs';

/**
 * The merged file as text, with markers around each conflict. Each side keeps the comma the
 * line has at its place, so keeping either side (secrets-conflict.ts) gives valid JSON.
 */
export function encodeWithConflicts(outcome: MergeOutcome): string {
  const text = encodeSecretsFile(outcome.file);
  if (outcome.alternatives.length === 0) return text;
  const lines = text.split('\n');
  // Locate each conflict's lines in the merged text (which holds one side, or the present one).
  const replacements = new Map<number, { end: number; block: string[] }>();
  for (const alt of outcome.alternatives) {
    const c = alt.conflict;
    const [start, end] = locate(lines, c);
    if (start < 0) continue;
    const last = lines[end]!;
    const comma = last.endsWith(',') ? ',' : '';
    const withComma = (ls: string[] | null) => (ls ? ls.map((l, i) => (i === ls.length - 1 ? l.replace(/,$/, '') + comma : l)) : []);
    const label = `${c.env ? `${c.env} ` : ''}${c.name ?? ''}`.trim();
    replacements.set(start, {
      end,
      block: [`${MARK_OURS}: ${label}: ${c.what}`, ...withComma(alt.ours), MARK_MID, ...withComma(alt.theirs), `${MARK_THEIRS}: ${label}`],
    });
  }
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const r = replacements.get(i);
    if (r) {
      out.push(...r.block);
      i = r.end;
    } else out.push(lines[i]!);
  }
  return out.join('\n');
}

/** [first, last] line of the conflict's entry in canonical text, or [-1, -1]. */
function locate(lines: string[], c: MergeConflict): [number, number] {
  if (c.kind === 'schema') {
    const s = lines.indexOf('  "schema": {');
    const i = lines.findIndex((l, k) => k > s && l.startsWith(`    "${c.name}": `));
    return s < 0 || i < 0 ? [-1, -1] : [i, i];
  }
  const envsAt = lines.indexOf('  "environments": {');
  const start = lines.findIndex(
    (l, k) => k > envsAt && (l === `    ${JSON.stringify(c.env)}: {` || l === `    ${JSON.stringify(c.env)}: {}`),
  );
  if (start < 0) return [-1, -1];
  let end = start;
  while (end < lines.length && lines[end] !== '    }' && lines[end] !== '    },') end++;
  if (c.kind !== 'value') return [start, end];
  const i = lines.findIndex((l, k) => k > start && k < end && l.startsWith(`${SECRET_INDENT}"${c.name}": `));
  return i < 0 ? [-1, -1] : [i, i];
}
