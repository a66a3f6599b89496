// Writes test/vectors/package/*.json: sealed-package vectors (docs/FORMAT.md, "Sealed packages").
// Run after `npm run build`. Salts and nonces are fixed, so the output is the same every time:
// the vector test also seals each ok vector again and compares the bytes.
import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { sealPackage } from '../build/src/core/crypto/sealed-package.js';

const dir = 'test/vectors/package';
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.json')) unlinkSync(`${dir}/${f}`);

const seq = (start, n) => Buffer.from(Array.from({ length: n }, (_, i) => (start + i) & 0xff));
const SMALL = { kdf: 'argon2id', m: 64, t: 1, p: 1 };
const DEFAULT = { kdf: 'argon2id', m: 65536, t: 3, p: 4 };
const PW = 'correct horse battery staple';
const VALUES = { API_TOKEN: 'tok-3f9a', DATABASE_URL: 'postgres://app:pw@db/app' };

// ASCII, so the argon2 CLI (which takes the salt as an argument) can check the derivation.
const SALT = Buffer.from('hako-vector-salt', 'latin1');

async function seal(password, env, values, kdf, salt = SALT, nonce = seq(0x10, 12)) {
  return sealPackage(password, { env, secrets: new Map(Object.entries(values)) }, { kdf, salt, nonce });
}

function write(name, description, bytes, password, expect, inputs) {
  const doc = { name, description, password, ...(inputs ? { inputs } : {}), expect, package: bytes.toString('base64') };
  writeFileSync(`${dir}/${name}.json`, JSON.stringify(doc, null, 2) + '\n');
}

const inputsOf = (kdf, salt = SALT, nonce = seq(0x10, 12)) => ({ kdf, salt: salt.toString('hex'), nonce: nonce.toString('hex') });
const ok = (env, values) => ({ ok: true, env, secrets: values });

const small = await seal(PW, 'production', VALUES, SMALL);
write(
  'ok-small-kdf',
  'two values, Argon2id m=64 KiB t=1 p=1 (fast; readers accept any parameters in range)',
  small,
  PW,
  ok('production', VALUES),
  inputsOf(SMALL),
);

const dflt = await seal(PW, 'production', VALUES, DEFAULT);
write('ok-default-kdf', 'what hako package seal writes: Argon2id m=64 MiB t=3 p=4', dflt, PW, ok('production', VALUES), inputsOf(DEFAULT));

const tricky = { EMPTY: '', MULTI_LINE: 'line 1\nline 2\n', UNICODE: 'Grüße, 東京 🔑' };
const nfc = 'Äpfel und Öl';
const uni = await seal(nfc, 'demo-1', tricky, SMALL, seq(0x40, 16), seq(0x60, 12));
write(
  'ok-unicode-nfd-password',
  'the password is normalized to NFC: sealed with the NFC spelling, opened with the NFD one; empty, multi-line and non-ASCII values',
  uni,
  nfc.normalize('NFD'),
  ok('demo-1', tricky),
  inputsOf(SMALL, seq(0x40, 16), seq(0x60, 12)),
);

const none = await seal(PW, 'empty', {}, SMALL, seq(0x80, 16), seq(0x90, 12));
write(
  'ok-no-values',
  'an environment with no values seals to a package that opens to {}',
  none,
  PW,
  ok('empty', {}),
  inputsOf(SMALL, seq(0x80, 16), seq(0x90, 12)),
);

const variant = (f) => {
  const b = Buffer.from(small);
  f(b);
  return b;
};
write('fail-wrong-password', 'a wrong password: the check differs', small, 'correct horse battery stapler', {
  ok: false,
  reason: 'wrong-password',
});
write(
  'fail-flipped-ciphertext',
  'one bit of the ciphertext flipped: the right password, a failed tag',
  variant((b) => (b[70] ^= 1)),
  PW,
  {
    ok: false,
    reason: 'tampered',
  },
);
write(
  'fail-flipped-nonce',
  'one bit of the nonce flipped (it is also additional data)',
  variant((b) => (b[55] ^= 1)),
  PW,
  {
    ok: false,
    reason: 'tampered',
  },
);
write(
  'fail-flipped-tag',
  'one bit of the tag flipped',
  variant((b) => (b[b.length - 1] ^= 0x80)),
  PW,
  { ok: false, reason: 'tampered' },
);
write(
  'fail-flipped-salt',
  'one bit of the salt flipped: another key, so the check says wrong password',
  variant((b) => (b[20] ^= 1)),
  PW,
  {
    ok: false,
    reason: 'wrong-password',
  },
);
write('fail-truncated', 'shorter than a header and a tag', small.subarray(0, 70), PW, { ok: false, code: 'E_FORMAT' });
write(
  'fail-bad-magic',
  'the magic is not "hakopkg"',
  variant((b) => b.write('HAKOPKG', 0, 'latin1')),
  PW,
  { ok: false, code: 'E_FORMAT' },
);
write(
  'fail-version-2',
  'a version this reader does not know',
  variant((b) => (b[7] = 2)),
  PW,
  { ok: false, code: 'E_VERSION' },
);
write(
  'fail-unknown-kdf',
  'a key derivation id other than 1',
  variant((b) => (b[8] = 2)),
  PW,
  { ok: false, code: 'E_FORMAT' },
);
write(
  'fail-kdf-memory-out-of-range',
  'm = 2^32-1 KiB: refused before any derivation',
  variant((b) => b.writeUInt32BE(0xffffffff, 9)),
  PW,
  {
    ok: false,
    code: 'E_FORMAT',
  },
);
write(
  'fail-kdf-lanes-zero',
  'p = 0',
  variant((b) => (b[17] = 0)),
  PW,
  { ok: false, code: 'E_FORMAT' },
);
