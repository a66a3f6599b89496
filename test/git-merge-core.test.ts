// The three-way merge of secrets.json (core/formats/secrets-merge.ts) and its conflict
// markers (secrets-conflict.ts), in process: the cases the end-to-end merge tests do not reach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentCipher } from '../src/core/crypto/environment-cipher.js';
import { newEnvironmentKey } from '../src/core/crypto/random.js';
import {
  emptySecretsFile,
  encodeSecretsFile,
  newEnvironmentRecord,
  parseSecretsFile,
  type SecretsFile,
} from '../src/core/formats/secrets-file.js';
import { encodeWithConflicts, mergeSecretsFiles } from '../src/core/formats/secrets-merge.js';
import { conflictRegions, resolveConflictText } from '../src/core/formats/secrets-conflict.js';
import { genesisLink, successorLink } from '../src/core/trust/key-chain.js';
import { textconv } from '../src/services/git-setup.js';

const ENV = 'production';

function env(keyId: string, key: Buffer, chain: string[], values: Record<string, string>): SecretsFile {
  const c = new EnvironmentCipher(ENV, keyId, key);
  const f = emptySecretsFile();
  const r = newEnvironmentRecord(keyId, c.makeCheck(), chain);
  for (const [k, v] of Object.entries(values)) r.secrets.set(k, c.seal(k, v));
  f.environments.set(ENV, r);
  return f;
}

function clone(f: SecretsFile): SecretsFile {
  return parseSecretsFile(encodeSecretsFile(f));
}

function opener(f: SecretsFile, key: Buffer) {
  const r = f.environments.get(ENV)!;
  const c = new EnvironmentCipher(ENV, r.keyId, key);
  return (name: string) => c.open(name, r.secrets.get(name)!);
}

const K1 = newEnvironmentKey();
const ID1 = '1111111111111111';

test('starting a chain on one side (format 1 → 2) and adding on the other merges cleanly, keeping the chain', () => {
  const base = env(ID1, K1, [], { A: 'a-value', B: 'b-value' });
  const ours = clone(base);
  ours.environments.get(ENV)!.chain = [genesisLink(ENV, ID1, K1)];
  ours.environments.get(ENV)!.secrets.set('A', new EnvironmentCipher(ENV, ID1, K1).seal('A', 'a-ours'));
  const theirs = clone(base);
  theirs.environments.get(ENV)!.secrets.set('C', new EnvironmentCipher(ENV, ID1, K1).seal('C', 'c-theirs'));
  const m = mergeSecretsFiles(base, ours, theirs);
  assert.deepEqual(m.conflicts, []);
  assert.deepEqual(m.pending, []);
  const merged = parseSecretsFile(encodeWithConflicts(m));
  assert.equal(merged.environments.get(ENV)!.chain.length, 1);
  const open = opener(merged, K1);
  assert.deepEqual([open('A'), open('B'), open('C')], ['a-ours', 'b-value', 'c-theirs']);
});

test('rotations on both sides are a conflict on the environment; keeping one side gives a file that parses', () => {
  const g = genesisLink(ENV, ID1, K1);
  const base = env(ID1, K1, [g], { A: 'a-value' });
  const [K2, K3] = [newEnvironmentKey(), newEnvironmentKey()];
  const ours = env('2222222222222222', K2, [g, successorLink(ENV, { keyId: ID1, key: K1 }, { keyId: '2222222222222222', key: K2 })], {
    A: 'a-value',
  });
  const theirs = env('3333333333333333', K3, [g, successorLink(ENV, { keyId: ID1, key: K1 }, { keyId: '3333333333333333', key: K3 })], {
    A: 'a-value',
    N: 'n',
  });
  const m = mergeSecretsFiles(base, ours, theirs);
  assert.deepEqual(
    m.conflicts.map((c) => [c.kind, c.env]),
    [['rotation', ENV]],
  );
  const text = encodeWithConflicts(m);
  assert.throws(
    () => parseSecretsFile(text),
    (e: { code: string; message: string }) => e.code === 'E_CONFLICT' && /got a new key on both sides/.test(e.message),
  );
  assert.equal(conflictRegions(text).length, 1);
  const kept = parseSecretsFile(resolveConflictText(text, 'theirs').text);
  assert.equal(kept.environments.get(ENV)!.keyId, '3333333333333333');
  assert.equal(opener(kept, K3)('N'), 'n');
  assert.ok(!textconv(text).includes('v2:'));
  assert.match(textconv(text), /conflict: production: environment 'production' got a new key/);
});

test('removed on one side, changed on the other: a named conflict; either side resolves to valid JSON, also for the last line', () => {
  const g = genesisLink(ENV, ID1, K1);
  const base = env(ID1, K1, [g], { A: 'a', Z_LAST: 'z' });
  const c = new EnvironmentCipher(ENV, ID1, K1);
  const ours = clone(base);
  ours.environments.get(ENV)!.secrets.delete('Z_LAST');
  const theirs = clone(base);
  theirs.environments.get(ENV)!.secrets.set('Z_LAST', c.seal('Z_LAST', 'z2'));
  const m = mergeSecretsFiles(base, ours, theirs);
  assert.deepEqual(
    m.conflicts.map((x) => x.what),
    ['Z_LAST was removed on our side and changed on theirs'],
  );
  const text = encodeWithConflicts(m);
  const o = parseSecretsFile(resolveConflictText(text, 'ours').text);
  assert.deepEqual([...o.environments.get(ENV)!.secrets.keys()], ['A']);
  const t = parseSecretsFile(resolveConflictText(text, 'theirs').text);
  assert.equal(opener(t, K1)('Z_LAST'), 'z2');
});

test('schema entries and recipients merge by name; same-name schema changes conflict', () => {
  const g = genesisLink(ENV, ID1, K1);
  const base = env(ID1, K1, [g], { A: 'a' });
  base.schema.set('A', { required: true });
  const ours = clone(base);
  const theirs = clone(base);
  ours.environments.get(ENV)!.recipients.set('age1ours', 'AAAA');
  theirs.environments.get(ENV)!.recipients.set('age1theirs', 'BBBB');
  ours.schema.set('A', { required: false });
  theirs.schema.set('A', { required: true, description: 'the A' });
  ours.schema.set('B', { required: true });
  const m = mergeSecretsFiles(base, ours, theirs);
  assert.deepEqual([...m.file.environments.get(ENV)!.recipients.keys()].sort(), ['age1ours', 'age1theirs']);
  assert.deepEqual(
    m.conflicts.map((c) => [c.kind, c.name]),
    [['schema', 'A']],
  );
  const resolved = parseSecretsFile(resolveConflictText(encodeWithConflicts(m), 'theirs').text);
  assert.equal(resolved.schema.get('A')!.description, 'the A');
  assert.ok(resolved.schema.get('B')!.required);
});
