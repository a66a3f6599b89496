// Sealed-package vectors (test/vectors/package, made by scripts/make-package-vectors.mjs):
// every ok vector opens to its values and seals again to the same bytes; every failure
// vector fails the way it says. Two vectors are also opened by a second implementation
// written here from docs/FORMAT.md, with Argon2id from Debian's argon2 CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers.js';
import { needTools } from './tools.js';
import { openPackage, parsePackage, sealPackage } from '../src/core/crypto/sealed-package.js';
import { HakoError } from '../src/core/errors.js';

const DIR = join(REPO_ROOT, 'test', 'vectors', 'package');

interface Vector {
  name: string;
  description: string;
  password: string;
  inputs?: { kdf: { kdf: 'argon2id'; m: number; t: number; p: number }; salt: string; nonce: string };
  expect: { ok: true; env: string; secrets: Record<string, string> } | { ok: false; reason?: string; code?: string };
  package: string;
}

const vectors: Vector[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Vector);

test('there are success and failure vectors', () => {
  assert.ok(vectors.filter((v) => v.expect.ok).length >= 3);
  assert.ok(vectors.filter((v) => !v.expect.ok).length >= 8);
});

for (const v of vectors) {
  test(`package vector ${v.name}: ${v.description}`, async () => {
    const bytes = Buffer.from(v.package, 'base64');
    const e = v.expect;
    if (!e.ok && e.code) {
      assert.throws(
        () => parsePackage(bytes),
        (err: unknown) => err instanceof HakoError && err.code === e.code,
      );
      return;
    }
    const result = await openPackage(parsePackage(bytes), v.password);
    if (!e.ok) {
      assert.deepEqual(result, { ok: false, reason: e.reason });
      return;
    }
    assert.ok(result.ok, `${v.name} opens`);
    assert.equal(result.payload.env, e.env);
    assert.deepEqual(Object.fromEntries(result.payload.secrets), e.secrets);
    const again = await sealPackage(
      v.password.normalize('NFC'),
      { env: e.env, secrets: new Map(Object.entries(e.secrets)) },
      { kdf: v.inputs!.kdf, salt: Buffer.from(v.inputs!.salt, 'hex'), nonce: Buffer.from(v.inputs!.nonce, 'hex') },
    );
    assert.equal(again.toString('base64'), v.package, 'sealing again gives the same bytes');
  });
}

/** docs/FORMAT.md's recipe, step by step, with Argon2id from another implementation. */
function openIndependently(bytes: Buffer, password: string): unknown {
  assert.equal(bytes.subarray(0, 7).toString('latin1'), 'hakopkg');
  assert.equal(bytes[7], 1);
  const m = bytes.readUInt32BE(9);
  const t = bytes.readUInt32BE(13);
  const p = bytes[17]!;
  const salt = bytes.subarray(18, 34).toString('latin1');
  const r = spawnSync('argon2', [salt, '-id', '-t', String(t), '-k', String(m), '-p', String(p), '-l', '32', '-r'], {
    input: password,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const stretched = Buffer.from(r.stdout.trim(), 'hex');
  const kdf = (info: string) => Buffer.from(hkdfSync('sha256', stretched, Buffer.alloc(0), Buffer.from(info), 32));
  const check = createHmac('sha256', kdf('hako package v1 check')).update('hako package v1 check').digest().subarray(0, 16);
  assert.ok(check.equals(bytes.subarray(34, 50)), 'the check matches');
  const d = createDecipheriv('aes-256-gcm', kdf('hako package v1 enc'), bytes.subarray(50, 62));
  d.setAAD(bytes.subarray(0, 62));
  d.setAuthTag(bytes.subarray(bytes.length - 16));
  const plain = Buffer.concat([d.update(bytes.subarray(62, bytes.length - 16)), d.final()]);
  return JSON.parse(plain.toString('utf8'));
}

test('a second implementation (argon2 CLI + node:crypto, from docs/FORMAT.md) opens the vectors', (t) => {
  if (!needTools(t, 'argon2')) return;
  for (const name of ['ok-small-kdf', 'ok-default-kdf']) {
    const v = vectors.find((x) => x.name === name)!;
    const e = v.expect as { env: string; secrets: Record<string, string> };
    assert.deepEqual(openIndependently(Buffer.from(v.package, 'base64'), v.password), { env: e.env, secrets: e.secrets }, name);
  }
});
