// Acceptance 2 of the SOPS work: for every vector sops wrote unmodified, `hako sops set` of
// one value changes only that value's line, `mac` and `lastmodified` (byte comparison), and
// the result still opens, MAC verified, in two readings that are not hako's: the npm
// `sops-age` package (YAML, JSON, dotenv; it skips the MAC) and the spec reading in
// test/sops/spec-reader.ts. PGP-only vectors go through the CLI when gpg is installed (with
// the published key in a private GNUPGHOME), and through the codec with their data key always.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptSops } from 'sops-age';
import { baseEnv, runHako, tempDir, hakoInProcessByDefault } from './helpers.js';
import { needTools, toolPath } from './tools.js';
import { loadVectors, pgpKeyFor, REFORMATTED, type Vector } from './sops/vectors.js';
import { specDataKey, specDecrypt } from './sops/spec-reader.js';
import { openSopsFile, readSopsFile, writeSopsFile } from '../src/core/sops/sops-file.js';
import { setValue } from '../src/services/sops.js';

hakoInProcessByDefault();

const vectors = loadVectors().filter((v) => !REFORMATTED.has(v.name));

/** The first top-level value to change, as a sops tree path, and the key text on its line. */
function target(v: Vector): { path: string; steps: string[]; key: string } {
  const plain = v.expected.plaintext;
  if (v.expected.format === 'binary') return { path: '["data"]', steps: ['data'], key: 'data' };
  if (v.expected.format === 'ini') {
    const section = Object.keys(plain)[0]!;
    const key = Object.keys(plain[section] as object)[0]!;
    return { path: `["${section}"]["${key}"]`, steps: [section, key], key };
  }
  const key = Object.keys(plain).find((k) => typeof plain[k] === 'string')!;
  return { path: `[${JSON.stringify(key)}]`, steps: [key], key };
}

function changedLines(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  assert.equal(b.length, a.length, 'the number of lines is the same');
  return b.filter((line, i) => line !== a[i]);
}

function assertOnlyExpectedLines(v: Vector, before: string, after: string, key: string): void {
  const changed = changedLines(before, after);
  assert.equal(changed.length, 3, `${v.name}: exactly three lines change: ${changed.map((l) => l.slice(0, 40)).join(' | ')}`);
  const keyLine = (l: string) =>
    l.trimStart().startsWith(`${key}:`) ||
    l.trimStart().startsWith(`"${key}":`) ||
    l.startsWith(`${key}=`) ||
    (/^\S+\s*=/.test(l) && l.trimStart().startsWith(key));
  assert.ok(changed.some(keyLine), `${v.name}: the value's line changed`);
  assert.ok(
    changed.some((l) => /(^|\s|"|_)mac("?\s*[:=]|=)/.test(l)),
    `${v.name}: mac changed`,
  );
  assert.ok(
    changed.some((l) => /lastmodified/.test(l)),
    `${v.name}: lastmodified changed`,
  );
}

for (const v of vectors.filter((x) => x.ageKey)) {
  test(`hako sops set on ${v.name}: one value, mac and lastmodified change; sops-age and the spec reading open it`, async () => {
    const dir = tempDir('hako-sops-set-');
    try {
      const file = join(dir, v.name);
      copyFileSync(v.path, file);
      chmodSync(file, 0o600);
      const keyFile = join(dir, 'keys.txt');
      copyFileSync(v.ageKey!, keyFile);
      chmodSync(keyFile, 0o600);
      const t = target(v);
      const r = runHako(['sops', 'set', file, t.path, '"hako-changed"'], {
        cwd: dir,
        env: baseEnv({ HOME: dir, SOPS_AGE_KEY_FILE: keyFile }),
      });
      assert.equal(r.code, 0, r.stderr);
      const before = v.bytes.toString('utf8');
      const after = readFileSync(file, 'utf8');
      assertOnlyExpectedLines(v, before, after, t.key);

      const identity = readFileSync(keyFile, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
      const key = await specDataKey(after, v.expected.format, identity);
      assert.equal(key.toString('hex'), v.expected.data_key_hex, 'the data key did not change');
      const spec = specDecrypt(after, v.expected.format, key);
      assert.ok(spec.values.some(([p, val]) => p === t.steps.join('.') && val === 'hako-changed'));

      // sops-age (age-encryption 0.2) has no post-quantum identities: the spec reading covers that file.
      const pq = identity.startsWith('AGE-SECRET-KEY-PQ-');
      if (!pq && (v.expected.format === 'yaml' || v.expected.format === 'json' || v.expected.format === 'dotenv')) {
        const out = (await decryptSops(after, {
          fileType: v.expected.format === 'dotenv' ? 'env' : v.expected.format,
          secretKey: identity,
        })) as Record<string, unknown>;
        let cur: unknown = out;
        for (const s of t.steps) cur = (cur as Record<string, unknown>)[s];
        assert.equal(cur, 'hako-changed');
      }
      // and hako reads it back
      const back = runHako(['sops', 'decrypt', '--extract', t.path, file], {
        cwd: dir,
        env: baseEnv({ HOME: dir, SOPS_AGE_KEY_FILE: keyFile }),
      });
      assert.equal(back.code, 0, back.stderr);
      assert.equal(back.stdout, 'hako-changed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const v of vectors.filter((x) => !x.ageKey)) {
  test(`set on PGP-only ${v.name} through the codec with its data key: one value, mac and lastmodified change`, () => {
    const before = v.bytes.toString('utf8');
    const file = readSopsFile(before, v.expected.format);
    const key = Buffer.from(v.expected.data_key_hex, 'hex');
    const opened = openSopsFile(file, key, { ignoreMac: !v.expected.mac_ok });
    const t = target(v);
    const docs = [setValue(opened.docs[0]!, t.steps, 'hako-changed'), ...opened.docs.slice(1)];
    const after = writeSopsFile({ kind: file.store.kind, docs, metadata: file.metadata, cipher: opened.cipher, original: file.store });
    if (v.expected.mac_ok) assertOnlyExpectedLines(v, before, after, t.key);
    const spec = specDecrypt(after, v.expected.format, key);
    assert.ok(spec.values.some(([p, val]) => p === t.steps.join('.') && val === 'hako-changed'));
  });
}

test('hako sops set on PGP-only vectors through gpg with the published keys', (t) => {
  if (!needTools(t, 'gpg')) return;
  const home = tempDir('hako-sops-gpg-');
  try {
    const gnupg = join(home, 'gnupg');
    spawnSync('mkdir', ['-m', '700', gnupg]);
    for (const k of ['sops_functional_tests_key.asc', 'sops-nix_pgp-key.asc']) {
      const r = spawnSync(toolPath('gpg')!, ['--batch', '--import', pgpKeyFor(k.startsWith('sops-nix') ? 'sops-nix_x' : 'sops_x')], {
        env: { ...baseEnv(), GNUPGHOME: gnupg },
      });
      assert.equal(r.status, 0, r.stderr.toString());
    }
    for (const v of vectors.filter((x) => !x.ageKey)) {
      const file = join(home, v.name);
      writeFileSync(file, v.bytes, { mode: 0o600 });
      const env = baseEnv({ HOME: home, GNUPGHOME: gnupg });
      const dec = runHako(['sops', 'decrypt', ...(v.expected.mac_ok ? [] : ['--ignore-mac']), file], { cwd: home, env });
      assert.equal(dec.code, 0, `${v.name}: ${dec.stderr}`);
      if (!v.expected.mac_ok) {
        const refused = runHako(['sops', 'decrypt', file], { cwd: home, env });
        assert.equal(refused.code, 51, `${v.name}: no MAC is exit 51`);
        continue;
      }
      const tt = target(v);
      const r = runHako(['sops', 'set', file, tt.path, '"hako-changed"'], { cwd: home, env });
      assert.equal(r.code, 0, `${v.name}: ${r.stderr}`);
      assertOnlyExpectedLines(v, v.bytes.toString('utf8'), readFileSync(file, 'utf8'), tt.key);
      specDecrypt(readFileSync(file, 'utf8'), v.expected.format, Buffer.from(v.expected.data_key_hex, 'hex'));
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
