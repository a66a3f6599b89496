/**
 * One regression test per defect the reliability suite found, each beside the fix's commit.
 * The generated suites (fuzz, tamper, crash, leaks) find whole classes; these pin the exact
 * cases so a later change cannot bring one back unnoticed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HakoError } from '../../src/core/errors.js';
import { writeFileAtomic } from '../../src/core/fs/atomic-write.js';
import { parseJsonMap, parseYamlMap } from '../../src/core/formats/structured.js';
import { parseDotenv } from '../../src/core/formats/dotenv.js';
import { parseSecretsFile } from '../../src/core/formats/secrets-file.js';
import { parseKeyBundle } from '../../src/core/formats/key-bundle.js';
import { assertEnvName, assertSecretName } from '../../src/core/names.js';
import { parseImport } from '../../src/services/transfer.js';
import { assertStorable } from '../../src/services/secrets.js';
import { parseRecipient } from '../../src/core/keys/age-recipient.js';
import { parseRecipientsDoc } from '../../src/core/formats/recipients-doc.js';
import { hakoInProcess } from './in-process.js';

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<HakoError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    assert.ok(err instanceof HakoError, `expected a HakoError, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    return err;
  }
  assert.fail('expected a refusal');
}

test('YAML import: an unknown alias and an alias bomb are E_FORMAT, not a ReferenceError', async () => {
  assert.equal((await refusal(parseYamlMap('A: &x 1\nB: *nope\n', 'in.yaml'))).code, 'E_FORMAT');
  const bomb = [
    'a: &a [x, x, x, x, x, x, x, x, x]',
    ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`),
  ].join('\n');
  assert.equal((await refusal(parseYamlMap(bomb, 'in.yaml'))).code, 'E_FORMAT');
});

test('YAML import: an alias to a scalar gives its value; a collection key is refused, not stringified with a warning', async () => {
  assert.deepEqual(
    [...(await parseYamlMap('A: &x v\nB: *x\n', 'in.yaml'))],
    [
      ['A', 'v'],
      ['B', 'v'],
    ],
  );
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    assert.equal((await refusal(parseYamlMap('? [a, b]\n: c\n', 'in.yaml'))).code, 'E_FORMAT');
    await new Promise((r) => setImmediate(r));
  } finally {
    process.removeListener('warning', onWarning);
  }
  assert.deepEqual(warnings, []);
});

test('JSON and YAML import: a number is imported as the text written, never rounded or reformatted', async () => {
  const json = parseJsonMap('{"A": 1.10, "B": 12345678901234567890, "C": 1e2, "D": -0, "E": 8080, "F": true}', 'in.json');
  assert.deepEqual(
    [...json],
    [
      ['A', '1.10'],
      ['B', '12345678901234567890'],
      ['C', '1e2'],
      ['D', '-0'],
      ['E', '8080'],
      ['F', 'true'],
    ],
  );
  const yaml = await parseYamlMap('A: 1.10\nB: 0x1F\nC: 01234\nD: .inf\nE: 12345678901234567890\nF: 8080\nG: True\nH: "0x1F"\n', 'in.yaml');
  assert.deepEqual(
    [...yaml],
    [
      ['A', '1.10'],
      ['B', '0x1F'],
      ['C', '01234'],
      ['D', '.inf'],
      ['E', '12345678901234567890'],
      ['F', '8080'],
      ['G', 'True'],
      ['H', '0x1F'],
    ],
  );
});

// The old re-scan of a growing string took minutes on this input; the fuzz suite runs such inputs
// in a worker it can stop, this pins the case and the escape rules around line joins.
test('dotenv: an unterminated quote over 400,000 lines is refused (linear scan, no hang)', () => {
  assert.throws(
    () => parseDotenv(`A="\n${'x\n'.repeat(400_000)}`, 'in.env'),
    (err: unknown) => err instanceof HakoError && err.code === 'E_FORMAT',
  );
  // A backslash at the end of a line still escapes the line break it joins to (then refused: \<newline> is no escape).
  assert.throws(() => parseDotenv('A="x\\\ny"', 'in.env'), /bad escape/);
  assert.deepEqual(
    parseDotenv('A="x\ny"\nB=2', 'in.env').map((e) => [e.name, e.value]),
    [
      ['A', 'x\ny'],
      ['B', '2'],
    ],
  );
  assert.deepEqual(
    parseDotenv('A="x\\"\n\\"y"', 'in.env').map((e) => [e.name, e.value]),
    [['A', 'x"\n"y']],
  );
});

test('messages never show a non-name from a file or argv: no forged lines, no terminal escapes', async () => {
  const hostile = 'a\nhako: error: forged\u001b[2J\u202e\u009b';
  const unsafe = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/;
  const errors = [
    await refusal(() => parseSecretsFile(`{"environments":{${JSON.stringify(hostile)}:{}},"version":1}`)),
    await refusal(() => parseSecretsFile(`{"environments":{},"version":1,${JSON.stringify(hostile)}:1}`)),
    await refusal(() => parseJsonMap(`{${JSON.stringify(hostile)}:[1]}`, 'in.json')),
    await refusal(() => parseJsonMap(`{${JSON.stringify(hostile)}:1,${JSON.stringify(hostile)}:2}`, 'in.json')),
    await refusal(parseYamlMap(`${JSON.stringify(hostile)}: [1]\n`, 'in.yaml')),
    await refusal(parseImport(Buffer.from(`{${JSON.stringify(hostile)}: "v"}`), 'json', 'in.json')),
    await refusal(() => assertSecretName(hostile)),
    await refusal(() => assertEnvName(hostile)),
  ];
  for (const e of errors) {
    assert.doesNotMatch(e.message, unsafe, e.message);
    assert.doesNotMatch(e.message, /forged/, e.message);
    assert.match(e.message, /<\d+ characters that cannot be a name>/, e.message);
  }
});

test('atomic write: a temp file left by a killed writer is removed by the next write; a live writer’s is kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hako-atomic-'));
  try {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is free
    const target = join(dir, 'secrets.json');
    const stale = join(dir, `.secrets.json.${dead}.deadbeef.tmp`);
    const live = join(dir, `.secrets.json.${process.pid}.cafebabe.tmp`);
    const other = join(dir, `.other.json.${dead}.deadbeef.tmp`);
    for (const f of [stale, live, other]) writeFileSync(f, '{"torn":');
    writeFileAtomic(target, '{}\n');
    assert.equal(existsSync(stale), false, 'the dead writer’s temp file stays');
    assert.equal(existsSync(live), true, 'a live writer’s temp file was removed');
    assert.equal(existsSync(other), true, 'a temp file of another target was removed');
    assert.equal(readFileSync(target, 'utf8'), '{}\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('key bundle: a payload with a duplicate field or invalid UTF-8 is refused, not read last-one-wins', async () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const bundle = (json: string | Buffer) => `hako-key:1:${Buffer.from(json).toString('base64url')}`;
  assert.equal(parseKeyBundle(bundle(`{"env":"staging","id":"0123456789abcdef","key":"${key}"}`)).env, 'staging');
  assert.equal(
    (await refusal(() => parseKeyBundle(bundle(`{"env":"production","env":"staging","id":"0123456789abcdef","key":"${key}"}`)))).code,
    'E_BUNDLE',
  );
  const badUtf8 = Buffer.concat([Buffer.from('{"env":"a'), Buffer.from([0xff]), Buffer.from(`","id":"0123456789abcdef","key":"${key}"}`)]);
  assert.equal((await refusal(() => parseKeyBundle(bundle(badUtf8)))).code, 'E_BUNDLE');
});

test('a value with a lone surrogate (JSON/YAML "\\ud800") is refused, not stored as U+FFFD', async () => {
  assert.equal((await refusal(() => assertStorable('x\ud800y', 'A'))).code, 'E_INVALID_VALUE');
  assert.equal((await refusal(() => assertStorable('\udc00', 'A'))).code, 'E_INVALID_VALUE');
  assert.doesNotThrow(() => assertStorable('emoji \ud83d\ude00 and \ufffd', 'A'));
  const values = parseJsonMap('{"A": "x\\ud800y"}', 'in.json');
  assert.equal(values.get('A'), 'x\ud800y', 'the JSON reader keeps the escape; the store refuses it');
});

test('a value typed or pasted where a name belongs is described, not shown', async () => {
  const value = 'postgres://app:pw-3a9@db/app';
  const messages = [
    (await refusal(() => assertSecretName(`DATABASE_URL=${value}`))).message,
    (await refusal(() => assertEnvName(value))).message,
    (await refusal(parseImport(Buffer.from(JSON.stringify({ [value]: 'DATABASE_URL' })), 'json', 'in.json'))).message,
    (await refusal(() => parseSecretsFile(`{"environments":{"dev":{"password=${value}":1}},"version":1}`))).message,
  ];
  for (const m of messages) assert.ok(!m.includes(value) && !m.includes('pw-3a9'), m);
  assert.match(messages[0]!, /invalid secret name "DATABASE_URL=…"/);
  assert.match(
    (await refusal(() => assertSecretName('database-url'))).message,
    /invalid secret name "database-url"/,
    'a name-like typo is still shown',
  );
});

test('recipients: messages escape pasted control characters; recipients.md refuses them in Name and Role', async () => {
  const pasted = 'x\u009b31mforged\u202e';
  const e = await refusal(() => parseRecipient(pasted));
  assert.doesNotMatch(e.message, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/, e.message);
  const doc = (name: string) =>
    [
      '| Recipient | Name | Role | Environments | Added |',
      '| --- | --- | --- | --- | --- |',
      `| \`age1abc\` | ${name} | dev | production | |`,
      '',
    ].join('\n');
  assert.equal(parseRecipientsDoc(doc('Alice')).get('age1abc')?.name, 'Alice');
  assert.equal((await refusal(() => parseRecipientsDoc(doc('Mallory\u001b]0;pwned\u0007')))).code, 'E_FORMAT');
  assert.equal((await refusal(() => parseRecipientsDoc(doc('Eve\u202eved')))).code, 'E_FORMAT');
});

test('an unknown command or option is shown without its control characters', async () => {
  const r = await hakoInProcess(['x\nhako: error: forged\u001b[2J', 'y'], { cwd: tmpdir(), env: {} });
  assert.equal(r.code, 2);
  assert.equal(r.stderr.split('\n').filter(Boolean).length, 2, r.stderr);
  assert.doesNotMatch(r.stderr, /forged|\u001b/);
  const o = await hakoInProcess(['ls', '--x\u001b[31m'], { cwd: tmpdir(), env: {} });
  assert.equal(o.code, 2);
  assert.doesNotMatch(o.stderr, /\u001b/);
  assert.equal(
    (await hakoInProcess(['frobnicate'], { cwd: tmpdir(), env: {} })).stderr.split('\n')[0],
    "hako: error: unknown command 'frobnicate'",
  );
});
