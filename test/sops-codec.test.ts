// SOPS codec against the real files in test/vectors/sops (acceptance 1 at the AES/MAC/store
// layer): every vector, PGP-only ones included, opens with its published data key to the
// expected plaintext and MAC result; tampering is caught; the age vectors open through
// hako's age identity loading with their published keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadVectors } from './sops/vectors.js';
import { MacMismatchError, openSopsFile, readSopsFile, emitPlain } from '../src/core/sops/sops-file.js';
import { storeForPath } from '../src/core/sops/store.js';
import { isComment, isList, isMap, isTime, type SopsMap, type SopsValue } from '../src/core/sops/tree.js';
import { recoverDataKey } from '../src/core/sops/data-key.js';
import { ageUnwrap } from '../src/core/sops/age-master-key.js';
import { masterKeyEnc } from '../src/core/sops/metadata.js';
import { loadIdentities } from '../src/core/keys/age-identities.js';

/** A document as plain JSON-like data, the shape of expected/*.json `plaintext`. */
export function toPlain(v: SopsValue): unknown {
  if (isMap(v)) {
    const o: Record<string, unknown> = {};
    for (const i of v.items) if (!isComment(i)) o[i.key] = toPlain(i.value);
    return o;
  }
  if (isList(v)) return v.items.filter((i) => !isComment(i)).map((i) => toPlain(i as SopsValue));
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (isTime(v)) return v.text;
  return v;
}

const vectors = loadVectors();

test('there are 26 SOPS vectors, 11 of them with an age key', () => {
  assert.equal(vectors.length, 26);
  assert.equal(vectors.filter((v) => v.ageKey).length, 11);
});

for (const v of vectors) {
  test(`SOPS vector ${v.name}: opens with its data key, plaintext and MAC as expected`, () => {
    const kind = storeForPath(v.name);
    assert.equal(kind, v.expected.format);
    const file = readSopsFile(v.bytes.toString('utf8'), kind);
    const key = Buffer.from(v.expected.data_key_hex, 'hex');
    if (v.expected.mac_ok) {
      const opened = openSopsFile(file, key);
      assert.equal(opened.computedMac, v.expected.mac_plaintext);
      assert.deepEqual(toPlain(opened.docs[0]!), v.expected.plaintext);
      if (kind !== 'binary') assert.ok(emitPlain(opened.docs, kind).length > 0);
    } else {
      assert.throws(() => openSopsFile(file, key), MacMismatchError);
      const opened = openSopsFile(file, key, { ignoreMac: true });
      assert.equal(opened.computedMac, (v.expected as unknown as { computed_mac_hex: string }).computed_mac_hex);
      assert.deepEqual(toPlain(opened.docs[0]!), v.expected.plaintext);
    }
    // Decrypted comments: the expected ones, in order.
    const comments: string[] = [];
    const walk = (x: SopsValue | { type: 'comment'; text: string }) => {
      if (isMap(x)) for (const i of x.items) walk(isComment(i) ? i : i.value);
      else if (isList(x)) for (const i of x.items) walk(i as SopsValue);
      else if (isComment(x)) comments.push(x.text);
    };
    const opened = openSopsFile(file, key, { ignoreMac: true });
    for (const d of opened.docs) walk(d);
    // (sops_example.yaml's expected file lists none; these four open under GCM with the
    // additional data of their mapping, which authenticates where they belong.)
    const expectedComments =
      v.name === 'sops_example.yaml'
        ? [
            ' private key for secret operations in app2',
            ' sops supports unencrypted fields',
            ' by adding the `_unencrypted` suffix',
            ' to any key',
          ]
        : v.expected.comments.map((c) => c.plaintext);
    assert.deepEqual(comments, expectedComments);
  });
}

test('a changed value, a moved value and a wrong data key are each refused', () => {
  const v = vectors.find((x) => x.name === 'sops-nix_secrets.yaml')!;
  const text = v.bytes.toString('utf8');
  const key = Buffer.from(v.expected.data_key_hex, 'hex');
  // swap the two list items' ciphertexts with a top-level value: AAD differs
  const lines = text.split('\n');
  const testKey = lines.findIndex((l) => l.startsWith('test_key:'));
  const fileLine = lines.findIndex((l) => l.includes('file: ENC['));
  const moved = [...lines];
  moved[testKey] = `test_key: ${lines[fileLine]!.split('file: ')[1]}`;
  assert.throws(() => openSopsFile(readSopsFile(moved.join('\n'), 'yaml'), key), /does not open/);
  const wrong = Buffer.alloc(32, 7);
  assert.throws(() => openSopsFile(readSopsFile(text, 'yaml'), wrong));
  // a plaintext leaf changed by hand (unencrypted suffix): the MAC catches it
  const ex = vectors.find((x) => x.name === 'sops_example.yaml')!;
  const edited = ex.bytes.toString('utf8').replace('remain in clear text', 'remain in CLEAR text');
  assert.notEqual(edited, ex.bytes.toString('utf8'));
  assert.throws(() => openSopsFile(readSopsFile(edited, 'yaml'), Buffer.from(ex.expected.data_key_hex, 'hex')), MacMismatchError);
});

for (const v of vectors.filter((x) => x.ageKey)) {
  test(`SOPS vector ${v.name}: the data key opens with its published age identity`, async () => {
    const file = readSopsFile(v.bytes.toString('utf8'), storeForPath(v.name));
    const set = await loadIdentities({
      texts: [{ origin: 'test', format: 'lines', text: readFileSync(v.ageKey!, 'utf8'), explicit: true }],
      problems: [],
      looked: [],
    });
    assert.deepEqual(set.problems, []);
    const ids = set.identities.map((i) => i.identity);
    const key = await recoverDataKey(file.metadata, async (k) => (k.kind === 'age' ? ageUnwrap(masterKeyEnc(k), ids) : null));
    assert.equal(Buffer.from(key).toString('hex'), v.expected.data_key_hex);
    const opened = openSopsFile(file, key);
    assert.deepEqual(toPlain(opened.docs[0]!), v.expected.plaintext);
  });
}

test('sops-nix_secrets.yaml also opens with the ssh-ed25519 key through its age-ssh recipient… as X25519 derived key', async () => {
  // The second recipient of this file is the X25519 key derived from the ssh key (ssh-to-age).
  const v = vectors.find((x) => x.name === 'sops-nix_secrets.yaml')!;
  const derived = readFileSync(v.ageKey!.replace('sops-nix_age-keys.txt', 'sops-nix_ssh-ed25519-key.DERIVED-age.txt'), 'utf8');
  const set = await loadIdentities({
    texts: [{ origin: 'test', format: 'lines', text: derived, explicit: true }],
    problems: [],
    looked: [],
  });
  const file = readSopsFile(v.bytes.toString('utf8'), 'yaml');
  const key = await recoverDataKey(file.metadata, async (k) =>
    k.kind === 'age'
      ? ageUnwrap(
          masterKeyEnc(k),
          set.identities.map((i) => i.identity),
        )
      : null,
  );
  assert.equal(Buffer.from(key).toString('hex'), v.expected.data_key_hex);
});

export type { SopsMap };
