/**
 * The tamper matrix (issue 5; issue 2 acceptance 6), over a real file made by the CLI:
 * three environments (one passphrase-derived), five values, a key file for each.
 *
 * - every single-byte change at every position (every other byte value in the deep run, one
 *   flip per position in npm test, rotating between three kinds), every single-byte deletion and every truncation;
 * - every swap of two values (the `check`s included), within and across environments;
 * - every move or copy of a value to another environment or another name;
 * - key_id changes: another environment's id, a random one, id and check together, a whole
 *   record moved to another environment's name.
 *
 * For each mutation, every environment is exported (and, where the file still parses, every
 * secret read with `get`) through the CLI's `main()` in this process. The verdict: a change to
 * an environment's meaning (key_id, check or a value) makes every read of that environment
 * fail with a hako error (E_TAMPERED, E_WRONG_KEY, E_NO_KEY, E_FORMAT, E_NO_ENV); an
 * environment whose meaning did not change still reads back exactly; nothing ever prints a
 * value other than the one that was set. A sample runs through the real binary.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { wrapKeyForRecipient } from '../../src/core/keys/recipient-wrap.js';
import { EnvironmentCipher } from '../../src/core/crypto/environment-cipher.js';
import { genesisLink } from '../../src/core/trust/key-chain.js';
import { metaText } from '../../src/core/formats/secret-meta.js';
import { join } from 'node:path';
import { encodeSecretsFile, parseSecretsFile, type SecretsFile } from '../../src/core/formats/secrets-file.js';
import { Project, runHako, hakoInProcessByDefault } from '../helpers.js';
import { hakoInProcess, onlyHakoLines } from './in-process.js';
import { cases, DEEP, recordArea } from './depth.js';

hakoInProcessByDefault();

const VALUES: Record<string, Record<string, string>> = {
  development: { DATABASE_URL: 'postgres://app:dev-pw-7f3@db/app', API_TOKEN: 'tok-dev-91c2e' },
  production: { DATABASE_URL: 'postgres://app:prod-pw-c41@db/app', STRIPE_KEY: 'sk_live_5b8d0a' },
  staging: { SMTP_PASSWORD: 'smtp-stg-e2a7' },
};
const PASSPHRASE = 'correct horse battery staple tamper';

interface Mutation {
  label: string;
  bytes: Buffer;
}

/** The file under test: its project, the values set in it, and the environment reads run with. */
interface Subject {
  project: Project;
  values: Record<string, Record<string, string>>;
  runEnv: NodeJS.ProcessEnv;
  secretsPath: string;
  original: Buffer;
}
let subject: Subject;

/** The failures a tampered environment may show: exit codes 3/4/5, or E_NO_ENV's 1. */
function isDetected(r: { code: number | null; stderr: string }): boolean {
  // 7: the key chain no longer matches what this machine trusts (a changed chain or key id).
  if (r.code === 3 || r.code === 4 || r.code === 5 || r.code === 7) return true;
  return r.code === 1 && /no environment '/.test(r.stderr);
}

/**
 * What reading `env` of a (possibly) tampered file must give: the values that are still there
 * exactly as written, or a failure. Removing a value is the one change that cannot be seen
 * (DESIGN §3: per-value AEAD, no whole-file MAC); it must then read as fewer values, never as
 * different ones. Everything else that touches key_id, check or a value must fail.
 */
function expected(model: SecretsFile | null, base: SecretsFile, env: string): { read: Record<string, string>; mayFail: boolean } | 'fail' {
  const now = model?.environments.get(env);
  const was = base.environments.get(env);
  if (!now || !was || now.keyId !== was.keyId || now.check !== was.check || now.chain.join() !== was.chain.join()) return 'fail';
  const read: Record<string, string> = {};
  for (const [name, token] of now.secrets) {
    if (was.secrets.get(name) !== token || metaText(was.meta.get(name)) !== metaText(now.meta.get(name))) return 'fail';
    read[name] = subject.values[env]![name]!;
  }
  // A changed wrapped key may stop an identity from opening the environment; it may never
  // make it read anything else (the check decides whether a key is the one).
  const sameRecipients = now.recipients.size === was.recipients.size && [...now.recipients].every(([r, w]) => was.recipients.get(r) === w);
  return { read, mayFail: !sameRecipients };
}

function parsedOrNull(bytes: Buffer): SecretsFile | null {
  try {
    return parseSecretsFile(bytes.toString('utf8'));
  } catch {
    return null;
  }
}

/** Every printed value must be the one that was set under that name in that environment. */
function assertNoWrongValue(printed: Record<string, string>, env: string, label: string): void {
  for (const [name, value] of Object.entries(printed)) {
    assert.equal(value, subject.values[env]?.[name], `${label}: ${name} in ${env} read as a value that was never set there`);
  }
}

let removalsSeen = 0;
const exits = new Map<string, number>();
const tally = (k: string) => exits.set(k, (exits.get(k) ?? 0) + 1);

/** Writes the mutated file and checks every read the CLI can make of it; returns the problems. */
async function judge(m: Mutation, opts: { getEach: boolean }): Promise<string[]> {
  writeFileSync(subject.secretsPath, m.bytes);
  const problems: string[] = [];
  const model = parsedOrNull(m.bytes);
  const base = parseSecretsFile(subject.original.toString('utf8'));
  const envs = new Set([...Object.keys(subject.values), ...(model ? model.environments.keys() : [])]);
  for (const env of envs) {
    const want = expected(model, base, env);
    const r = await hakoInProcess(['export', '--env', env, '--format', 'json'], { cwd: subject.project.dir, env: subject.runEnv });
    tally(`exit ${r.code}`);
    if (!onlyHakoLines(r.stderr) || r.code === 70)
      problems.push(`${m.label}: export ${env}: not a clean hako error: ${r.stderr.slice(0, 200)}`);
    if (r.code === 0) {
      const printed = JSON.parse(r.stdout) as Record<string, string>;
      assertNoWrongValue(printed, env, m.label);
      if (want === 'fail') problems.push(`${m.label}: export ${env} succeeded on a changed environment`);
      else {
        assert.deepEqual(printed, want.read, `${m.label}: export ${env}`);
        if (Object.keys(want.read).length < Object.keys(subject.values[env] ?? {}).length) removalsSeen++;
      }
    } else if (want !== 'fail' && !want.mayFail) {
      problems.push(`${m.label}: export ${env} failed (${r.code}) though nothing in it changed: ${r.stderr.split('\n')[0]}`);
    } else if (!isDetected(r)) {
      problems.push(`${m.label}: export ${env} failed with an unexpected exit ${r.code}: ${r.stderr.split('\n')[0]}`);
    }
    if (opts.getEach && model?.environments.has(env)) {
      for (const name of model.environments.get(env)!.secrets.keys()) {
        const g = await hakoInProcess(['get', name, '--env', env, '-n'], { cwd: subject.project.dir, env: subject.runEnv });
        if (g.code === 0) assertNoWrongValue({ [name]: g.stdout }, env, m.label);
        else if (!isDetected(g) || !onlyHakoLines(g.stderr))
          problems.push(`${m.label}: get ${name} --env ${env}: unexpected exit ${g.code}: ${g.stderr.split('\n')[0]}`);
      }
    }
  }
  return problems;
}

async function runCategory(area: string, mutations: Iterable<Mutation>, opts: { getEach: boolean }): Promise<void> {
  let tried = 0;
  const problems: string[] = [];
  try {
    for (const m of mutations) {
      tried++;
      problems.push(...(await judge(m, opts)));
    }
  } finally {
    writeFileSync(subject.secretsPath, subject.original);
    const seen = [...exits]
      .sort()
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ');
    const removals = removalsSeen ? `; ${removalsSeen} reads after a removal gave the remaining values, by design` : '';
    recordArea({ area, tried, failures: problems.length, note: `exports ${seen}${removals}` });
    removalsSeen = 0;
    exits.clear();
  }
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} undetected or unclean outcomes`);
}

// ------------------------------------------------------------------ mutations

/**
 * The values tried at one position: all 255 others in the deep run; in npm test one flip per
 * byte, taking turns between the low bit, the ASCII case bit and the high bit (which makes
 * invalid UTF-8), so every kind of flip reaches every region of the file.
 */
function flipsAt(i: number, o: number): number[] {
  if (DEEP) return Array.from({ length: 256 }, (_, b) => b).filter((b) => b !== o);
  return [o ^ [0x01, 0x20, 0x80][i % 3]!];
}

function* byteChanges(): Generator<Mutation> {
  for (let i = 0; i < subject.original.length; i++) {
    const o = subject.original[i]!;
    const alternatives = flipsAt(i, o);
    for (const b of alternatives) {
      const bytes = Buffer.from(subject.original);
      bytes[i] = b;
      yield { label: `byte ${i}: 0x${o.toString(16)} → 0x${b.toString(16)}`, bytes };
    }
  }
}

function* deletionsAndTruncations(): Generator<Mutation> {
  for (let i = 0; i < subject.original.length; i++) {
    yield { label: `delete byte ${i}`, bytes: Buffer.concat([subject.original.subarray(0, i), subject.original.subarray(i + 1)]) };
    yield { label: `truncate at ${i}`, bytes: Buffer.from(subject.original.subarray(0, i)) };
  }
}

type Slot = { env: string; name: string | null }; // name null: the environment's check

function slots(file: SecretsFile): Slot[] {
  const out: Slot[] = [];
  for (const [env, r] of file.environments) {
    out.push({ env, name: null });
    for (const name of r.secrets.keys()) out.push({ env, name });
  }
  return out;
}

const fresh = (): SecretsFile => parseSecretsFile(subject.original.toString('utf8'));
const readSlot = (f: SecretsFile, s: Slot) =>
  s.name === null ? f.environments.get(s.env)!.check : f.environments.get(s.env)!.secrets.get(s.name)!;
function writeSlot(f: SecretsFile, s: Slot, token: string): void {
  const r = f.environments.get(s.env)!;
  if (s.name === null) r.check = token;
  else r.secrets.set(s.name, token);
}
const show = (s: Slot) => `${s.env}.${s.name ?? 'check'}`;
const encoded = (f: SecretsFile) => Buffer.from(encodeSecretsFile(f), 'utf8');

function* swaps(): Generator<Mutation> {
  const all = slots(fresh());
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const f = fresh();
      const a = readSlot(f, all[i]!);
      writeSlot(f, all[i]!, readSlot(f, all[j]!));
      writeSlot(f, all[j]!, a);
      yield { label: `swap ${show(all[i]!)} ⇄ ${show(all[j]!)}`, bytes: encoded(f) };
    }
  }
}

function* moves(): Generator<Mutation> {
  const base = fresh();
  const all = slots(base);
  const names = new Set(all.flatMap((s) => (s.name ? [s.name] : [])));
  for (const from of all) {
    for (const env of base.environments.keys()) {
      // Every slot of every environment, plus every name it does not have yet.
      const targets: Slot[] = [{ env, name: null }, ...[...names, 'NEW_NAME'].map((name) => ({ env, name }))];
      for (const to of targets) {
        if (to.env === from.env && to.name === from.name) continue;
        const f = fresh();
        writeSlot(f, to, readSlot(f, from));
        yield { label: `copy ${show(from)} → ${show(to)}`, bytes: encoded(f) };
        if (from.name !== null) {
          const g = fresh();
          writeSlot(g, to, readSlot(g, from));
          g.environments.get(from.env)!.secrets.delete(from.name);
          yield { label: `move ${show(from)} → ${show(to)}`, bytes: encoded(g) };
        }
      }
    }
  }
}

function* keyIdChanges(): Generator<Mutation> {
  const envs = [...fresh().environments.keys()];
  for (const env of envs) {
    const f = fresh();
    f.environments.get(env)!.keyId = randomBytes(8).toString('hex');
    yield { label: `${env}: random key_id`, bytes: encoded(f) };
    const id = f.environments.get(env)!.keyId;
    const g = fresh();
    g.environments.get(env)!.keyId = `${id.slice(0, 15)}${id[15] === '0' ? '1' : '0'}`;
    yield { label: `${env}: key_id with its last digit changed`, bytes: encoded(g) };
    for (const other of envs) {
      if (other === env) continue;
      const h = fresh();
      h.environments.get(env)!.keyId = h.environments.get(other)!.keyId;
      yield { label: `${env}: key_id of ${other}`, bytes: encoded(h) };
      const k = fresh();
      k.environments.get(env)!.keyId = k.environments.get(other)!.keyId;
      k.environments.get(env)!.check = k.environments.get(other)!.check;
      yield { label: `${env}: key_id and check of ${other}`, bytes: encoded(k) };
      const w = fresh();
      const rec = w.environments.get(other)!;
      w.environments.set(env, { ...rec, secrets: new Map(rec.secrets), recipients: new Map(rec.recipients) });
      yield { label: `${env}: whole record of ${other}`, bytes: encoded(w) };
      const s = fresh();
      const a = s.environments.get(env)!.keyId;
      s.environments.get(env)!.keyId = s.environments.get(other)!.keyId;
      s.environments.get(other)!.keyId = a;
      yield { label: `swap key_ids ${env} ⇄ ${other}`, bytes: encoded(s) };
    }
  }
}

/** A few picks from a list, spread evenly, for the real-binary sample. */
function sample<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  return Array.from({ length: n }, (_, i) => items[Math.floor(((i + 0.5) * items.length) / n)]!);
}

// ------------------------------------------------------------------ tests

describe('tamper matrix over a real file made by the CLI', () => {
  before(() => {
    const project = new Project();
    for (const [env, values] of Object.entries(VALUES)) {
      if (env === 'staging') project.ok(['env', 'add', 'staging', '--passphrase'], { env: { HAKO_PASSPHRASE: PASSPHRASE } });
      for (const [name, value] of Object.entries(values)) project.set(name, value, env);
    }
    const secretsPath = join(project.dir, '.hako', 'secrets.json');
    subject = { project, values: VALUES, runEnv: project.env, secretsPath, original: readFileSync(secretsPath) };
  });
  after(() => subject.project.cleanup());

  test('the untouched file reads back exactly (the baseline every verdict compares with)', async () => {
    assert.deepEqual(await judge({ label: 'original', bytes: subject.original }, { getEach: true }), []);
  });

  test('control: a value re-encrypted with the real key is a change the judge sees (the matrix can fail)', async () => {
    const f = fresh();
    const rec = f.environments.get('production')!;
    const key = Buffer.from(readFileSync(join(subject.project.home, 'keys', rec.keyId), 'utf8').trim(), 'base64');
    rec.secrets.set('STRIPE_KEY', new EnvironmentCipher('production', rec.keyId, key).seal('STRIPE_KEY', 'sk_live_attacker'));
    await assert.rejects(judge({ label: 'control', bytes: encoded(f) }, { getEach: false }), /read as a value that was never set/);
    writeFileSync(subject.secretsPath, subject.original);
  });

  test(`every single-byte change at every position (${DEEP ? 'all 255 other values' : 'one flip'} per byte)`, async () => {
    await runCategory('tamper:byte-change', byteChanges(), { getEach: DEEP });
  });

  test('every single-byte deletion and every truncation', async () => {
    await runCategory('tamper:byte-delete-truncate', deletionsAndTruncations(), { getEach: DEEP });
  });

  test('every swap of two values (checks included), within and across environments', async () => {
    await runCategory('tamper:swap-values', swaps(), { getEach: true });
  });

  test('every copy or move of a value to another environment or name', async () => {
    await runCategory('tamper:move-values', moves(), { getEach: true });
  });

  test('key_id changes: random, off by one digit, another environment’s (with or without its check), swapped', async () => {
    await runCategory('tamper:key-id', keyIdChanges(), { getEach: true });
  });

  test('a sample through the real binary: detected, exit code and stderr as in-process', async () => {
    const pool = [
      ...sample([...byteChanges()], cases(4, 60)),
      ...sample([...swaps()], cases(2, 30)),
      ...sample([...moves()], cases(2, 40)),
      ...sample([...keyIdChanges()], cases(2, 20)),
    ];
    let tried = 0;
    const problems: string[] = [];
    try {
      for (const m of pool) {
        tried++;
        writeFileSync(subject.secretsPath, m.bytes);
        const model = parsedOrNull(m.bytes);
        const base = parseSecretsFile(subject.original.toString('utf8'));
        for (const env of Object.keys(subject.values)) {
          const want = expected(model, base, env);
          const r = runHako(['export', '--env', env, '--format', 'json'], { cwd: subject.project.dir, env: subject.runEnv, process: true });
          if (!onlyHakoLines(r.stderr)) problems.push(`${m.label}: export ${env}: stderr is not only hako lines`);
          if (r.code === 0) {
            assertNoWrongValue(JSON.parse(r.stdout), env, m.label);
            if (want === 'fail') problems.push(`${m.label}: export ${env} succeeded on a changed environment`);
            else assert.deepEqual(JSON.parse(r.stdout), want.read);
          } else if ((want !== 'fail' && !want.mayFail) || !isDetected({ code: r.code, stderr: r.stderr })) {
            problems.push(`${m.label}: export ${env}: exit ${r.code}: ${r.stderr.split('\n')[0]}`);
          }
          const inProc = await hakoInProcess(['export', '--env', env, '--format', 'json'], {
            cwd: subject.project.dir,
            env: subject.runEnv,
          });
          if (inProc.code !== r.code || inProc.stderr !== r.stderr)
            problems.push(`${m.label}: export ${env}: the binary and main() disagree`);
        }
      }
    } finally {
      writeFileSync(subject.secretsPath, subject.original);
      recordArea({ area: 'tamper:real-binary-sample', tried, failures: problems.length });
    }
    assert.deepEqual(problems, []);
  });
});

describe('tamper matrix with age-recipient access (no key files: the identity is the only way in)', () => {
  const R_VALUES: Record<string, Record<string, string>> = {
    production: { DATABASE_URL: 'postgres://app:age-prod-pw-19e@db/app', STRIPE_KEY: 'sk_live_age_7a2f' },
    staging: { SMTP_PASSWORD: 'smtp-age-stg-c03' },
  };
  let identity = '';

  before(async () => {
    const project = new Project();
    if (!('development' in R_VALUES)) project.ok(['env', 'rm', 'development', '--yes']); // only the environments below
    for (const [env, values] of Object.entries(R_VALUES)) for (const [name, value] of Object.entries(values)) project.set(name, value, env);
    identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    for (const env of Object.keys(R_VALUES)) project.ok(['recipients', 'add', recipient, '--env', env]);
    rmSync(join(project.home, 'keys'), { recursive: true, force: true });
    const secretsPath = join(project.dir, '.hako', 'secrets.json');
    subject = {
      project,
      values: R_VALUES,
      runEnv: { ...project.env, HAKO_AGE_KEY: identity },
      secretsPath,
      original: readFileSync(secretsPath),
    };
  });
  after(() => subject.project.cleanup());

  test('the untouched file reads back exactly through the identity', async () => {
    assert.deepEqual(await judge({ label: 'original', bytes: subject.original }, { getEach: true }), []);
  });

  test(`every byte change inside the wrapped keys (${DEEP ? 'all 255 other values' : 'one flip'} per byte)`, async () => {
    const text = subject.original.toString('utf8');
    const lines = [...text.matchAll(/^ {8}"age1[^"]+": "([^"]+)"/gm)];
    assert.equal(lines.length, 2, 'one recipients entry per environment');
    const ranges = lines.map((m) => [m.index! + m[0].length - m[1]!.length - 1, m.index! + m[0].length - 1] as const);
    function* changes(): Generator<Mutation> {
      for (const [from, to] of ranges) {
        for (let i = from; i < to; i++) {
          const o = subject.original[i]!;
          const alternatives = flipsAt(i, o);
          for (const b of alternatives) {
            const bytes = Buffer.from(subject.original);
            bytes[i] = b;
            yield { label: `wrapped key byte ${i}: 0x${o.toString(16)} → 0x${b.toString(16)}`, bytes };
          }
        }
      }
    }
    await runCategory('tamper:recipient-bytes', changes(), { getEach: false });
  });

  test('wrapped keys swapped between environments, or one copied over the other', async () => {
    function* swaps(): Generator<Mutation> {
      const [a, b] = ['production', 'staging'];
      const f = fresh();
      const ra = f.environments.get(a)!.recipients;
      const rb = f.environments.get(b)!.recipients;
      const [rec] = [...ra.keys()];
      const wa = ra.get(rec!)!;
      ra.set(rec!, rb.get(rec!)!);
      rb.set(rec!, wa);
      yield { label: 'swap the wrapped keys of production and staging', bytes: encoded(f) };
      for (const [to, from] of [
        [a, b],
        [b, a],
      ] as const) {
        const g = fresh();
        g.environments.get(to)!.recipients.set(rec!, g.environments.get(from)!.recipients.get(rec!)!);
        yield { label: `copy the wrapped key of ${from} over ${to}`, bytes: encoded(g) };
      }
    }
    await runCategory('tamper:recipient-swaps', swaps(), { getEach: true });
  });

  test('closed (was a limitation): a repo writer who replaces a whole environment for identity-only readers is refused, with or without its key chain', async () => {
    const orig = parseSecretsFile(subject.original.toString('utf8')).environments.get('production')!;
    const [recipient] = [...orig.recipients.keys()];
    const forgedKey = randomBytes(32);
    async function forge(keyId: string, chain: string[]): Promise<Buffer> {
      const f = fresh();
      const rec = f.environments.get('production')!;
      const cipher = new EnvironmentCipher('production', keyId, forgedKey);
      rec.keyId = keyId;
      rec.chain = chain;
      rec.check = cipher.makeCheck();
      rec.secrets = new Map([['DATABASE_URL', cipher.seal('DATABASE_URL', 'postgres://attacker@evil/db')]]);
      rec.meta = new Map();
      rec.recipients = new Map([[recipient!, await wrapKeyForRecipient(forgedKey, recipient!)]]);
      return Buffer.from(encoded(f));
    }
    const newId = randomBytes(8).toString('hex');
    const forgeries: [string, Buffer, number, RegExp][] = [
      // Same key id and chain, another key behind them: its signer is not the chain's.
      ['same key id, chain kept', await forge(orig.keyId, orig.chain), 4, /is not the key its chain names/],
      // A new environment of the writer's own, chain and all: not an extension of what this machine trusts.
      ['new key id, own chain', await forge(newId, [genesisLink('production', newId, forgedKey)]), 7, /changed its key without a proof/],
      // The chain dropped to look like a format-1 entry.
      ['new key id, chain dropped', await forge(newId, []), 7, /lost the key chain this machine pinned/],
    ];
    try {
      // This machine opened production before (the pin), through the identity alone.
      const first = await hakoInProcess(['get', 'DATABASE_URL', '--env', 'production'], { cwd: subject.project.dir, env: subject.runEnv });
      assert.equal(first.code, 0, first.stderr);
      for (const [label, bytes, code, message] of forgeries) {
        writeFileSync(subject.secretsPath, bytes);
        const r = await hakoInProcess(['get', 'DATABASE_URL', '--env', 'production', '-n'], {
          cwd: subject.project.dir,
          env: subject.runEnv,
        });
        assert.equal(r.code, code, `${label}: ${r.stderr}`);
        assert.match(r.stderr, message, label);
        assert.doesNotMatch(r.stdout, /attacker/, label);
      }
    } finally {
      writeFileSync(subject.secretsPath, subject.original);
    }
  });
});
