/**
 * The redaction filter in process: the streaming matcher against a plain reference
 * (leftmost-longest over the whole text), for every way of cutting the text into chunks,
 * and the spellings it looks for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Matcher, type Pattern } from '../src/launcher/matcher.js';
import { matcherFor, StreamRedactor } from '../src/launcher/redactor.js';
import { isRedactable, redactionForms } from '../src/launcher/redaction-forms.js';
import { cases, fcParams } from './reliability/depth.js';

/**
 * Leftmost-longest replacement over the whole input, each match grown by the values that
 * overlap it and run past its end (one replacement each, in order): obviously right, slow.
 */
function reference(input: Buffer, patterns: Pattern[]): Buffer {
  const longestAt = (i: number): Pattern | null => {
    let best: Pattern | null = null;
    for (const p of patterns) {
      if (i + p.bytes.length <= input.length && input.subarray(i, i + p.bytes.length).equals(p.bytes)) {
        if (!best || p.bytes.length > best.bytes.length) best = p;
      }
    }
    return best;
  };
  const out: Buffer[] = [];
  let last = 0;
  for (let i = 0; i < input.length;) {
    const best = longestAt(i);
    if (best) {
      out.push(input.subarray(last, i), best.replacement);
      let end = i + best.bytes.length;
      let shown = best.replacement;
      for (let j = i + 1; j < end; j++) {
        const q = longestAt(j);
        if (q && j + q.bytes.length > end) {
          end = j + q.bytes.length;
          if (!q.replacement.equals(shown)) out.push((shown = q.replacement));
        }
      }
      i = end;
      last = i;
    } else {
      i++;
    }
  }
  out.push(input.subarray(last));
  return Buffer.concat(out);
}

function streamed(input: Buffer, matcher: Matcher, cuts: number[]): Buffer {
  const r = new StreamRedactor(matcher);
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts.map((c) => c % (input.length + 1))].sort((a, b) => a - b)) {
    out.push(r.push(input.subarray(at, Math.max(at, cut))));
    at = Math.max(at, cut);
  }
  out.push(r.push(input.subarray(at)), r.end());
  return Buffer.concat(out);
}

test('streaming redaction equals leftmost-longest on the whole text, however it is cut', () => {
  // A tiny alphabet makes overlaps, shared prefixes and near misses common.
  const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\n'), minLength: 4, maxLength: 9 });
  fc.assert(
    fc.property(
      fc.uniqueArray(word, { minLength: 1, maxLength: 6 }),
      fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'x', '\n'), maxLength: 120 }),
      fc.array(fc.nat(200), { maxLength: 12 }),
      (words, text, cuts) => {
        const patterns = words.map((w, i) => ({ bytes: Buffer.from(w), replacement: Buffer.from(`<${i}>`) }));
        const input = Buffer.from(text);
        assert.deepEqual(streamed(input, new Matcher(patterns), cuts), reference(input, patterns));
      },
    ),
    fcParams(cases(1000, 20_000)),
  );
});

test('the same with longer patterns, where the skip loop jumps many bytes at a time', () => {
  const letters = fc.constantFrom(...'abcdefghij'.split(''));
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.string({ unit: letters, minLength: 8, maxLength: 40 }), { minLength: 1, maxLength: 8 }), // windows of 8+: the skip loop
      fc.array(fc.oneof(fc.string({ unit: letters, maxLength: 30 }), fc.nat(7)), { maxLength: 30 }),
      fc.array(fc.nat(2000), { maxLength: 8 }),
      (words, parts, cuts) => {
        // The text mixes noise with whole and partial patterns.
        const text = parts
          .map((x) =>
            typeof x === 'number'
              ? words[x % words.length]!.slice(0, 1 + ((x * 7) % words[x % words.length]!.length)) + words[x % words.length]
              : x,
          )
          .join('');
        const patterns = words.map((w, i) => ({ bytes: Buffer.from(w), replacement: Buffer.from(`<${i}>`) }));
        const input = Buffer.from(text);
        assert.deepEqual(streamed(input, new Matcher(patterns), cuts), reference(input, patterns));
      },
    ),
    fcParams(cases(1000, 20_000)),
  );
});

test('the held tail is only a possible beginning of a secret, and is released when disproved', () => {
  const m = matcherFor(new Map([['TOKEN', 'hunter2-hunter2']]));
  const r = new StreamRedactor(m);
  assert.equal(r.push(Buffer.from('log line\nuser=hunt')).toString(), 'log line\nuser=');
  assert.equal(r.push(Buffer.from('er2-hun')).toString(), '');
  assert.equal(r.push(Buffer.from('ter2 done\n')).toString(), '[REDACTED:TOKEN] done\n');
  assert.equal(r.push(Buffer.from('prompt> hunter')).toString(), 'prompt> ');
  assert.equal(r.push(Buffer.from('!\n')).toString(), 'hunter!\n');
  assert.equal(r.push(Buffer.from('bye hun')).toString(), 'bye ');
  assert.equal(r.end().toString(), 'hun');
});

test('every spelling of a value is found, and a longer value wins over one it contains', () => {
  const value = 'pä$$ w/rd+"x"&1';
  const secrets = new Map([
    ['LONG', `${value}-and-more`],
    ['PASS', value],
  ]);
  const m = matcherFor(secrets);
  for (const form of redactionForms(value)) {
    const r = new StreamRedactor(m);
    const out = Buffer.concat([r.push(Buffer.concat([Buffer.from('<'), form, Buffer.from('>')])), r.end()]);
    assert.equal(out.toString(), '<[REDACTED:PASS]>', `spelling ${form.toString()}`);
  }
  const r = new StreamRedactor(m);
  assert.equal(Buffer.concat([r.push(Buffer.from(`${value}-and-more ${value}`)), r.end()]).toString(), '[REDACTED:LONG] [REDACTED:PASS]');
});

test('the spellings: base64 (padded, unpadded, url), hex both cases, URL and JSON encodings', () => {
  const v = 'a b/é"\\~';
  const forms = redactionForms(v).map((b) => b.toString('utf8'));
  const raw = Buffer.from(v);
  for (const expected of [
    v,
    raw.toString('base64'),
    raw.toString('base64').replace(/=+$/, ''),
    raw.toString('base64url'),
    raw.toString('hex'),
    raw.toString('hex').toUpperCase(),
    encodeURIComponent(v),
    'a+b%2F%C3%A9%22%5C%7E',
    'a%20b%2F%C3%A9%22%5C~',
    JSON.stringify(v).slice(1, -1),
    'a b/\\u00e9\\"\\\\~',
    'a b\\/\\u00e9\\"\\\\~',
  ]) {
    assert.ok(forms.includes(expected), `missing ${expected}`);
  }
  assert.equal(new Set(forms).size, forms.length, 'no spelling twice');
});

test('the minimum length: fewer than 4 characters (whitespace aside) is not redacted', () => {
  assert.equal(isRedactable('abc'), false);
  assert.equal(isRedactable('  ab  '), false);
  assert.equal(isRedactable('    '), false);
  assert.equal(isRedactable('abcd'), true);
  assert.equal(isRedactable('äöüß'), true);
  const m = matcherFor(
    new Map([
      ['PORT', '80'],
      ['TOKEN', 'abcd'],
    ]),
  );
  const r = new StreamRedactor(m);
  assert.equal(Buffer.concat([r.push(Buffer.from('port 80 token abcd')), r.end()]).toString(), 'port 80 token [REDACTED:TOKEN]');
});

test('bytes that hold no secret pass through unchanged, binary included', () => {
  const m = matcherFor(new Map([['K', 'zzzz-not-in-the-data']]));
  const data = Buffer.alloc(256 * 64);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
  assert.deepEqual(streamed(data, m, [1, 2, 3, 1000, 4095, 9999]), data);
});
