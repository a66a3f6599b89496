// Measures the redaction filter alone: 100 secrets (every spelling) over 64 MiB of log-like
// text in 64 KiB chunks, the way a child's pipe delivers it. Prints MB/s. Run after
// `npm run build`: node scripts/redaction-throughput.mjs [secrets] [MiB] [shortest value length]
import { randomBytes } from 'node:crypto';
import { matcherFor, StreamRedactor } from '../build/src/launcher/redactor.js';

const count = Number(process.argv[2] ?? 100);
const mib = Number(process.argv[3] ?? 64);
const shortest = Number(process.argv[4] ?? 12);
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_/+=:@.!é';
const secrets = new Map();
for (let i = 0; i < count; i++) {
  const len = shortest + (i % 40);
  let v = '';
  for (const b of randomBytes(len)) v += alphabet[b % alphabet.length];
  secrets.set(`SECRET_${i}`, v);
}

// Log-like lines: words, numbers, a hex id, a base64 blob; one secret line in 1,000.
const words = 'GET POST request served user session cache miss hit ok error timeout retry upstream db query rows ms'.split(' ');
const lines = [];
for (let i = 0; i < 4096; i++) {
  const r = randomBytes(24);
  const parts = [
    `2024-05-0${(i % 9) + 1}T12:00:${String(i % 60).padStart(2, '0')}Z`,
    words[r[0] % words.length],
    words[r[1] % words.length],
    `id=${r.subarray(2, 10).toString('hex')}`,
    `blob=${r.subarray(10).toString('base64')}`,
    `${r[0] * 7}ms`,
  ];
  if (i % 1000 === 7) parts.push(`token=${[...secrets.values()][i % count]}`);
  lines.push(parts.join(' '));
}
const block = Buffer.from(lines.join('\n') + '\n');
const chunk = 64 * 1024;
const input = Buffer.alloc(mib * 1024 * 1024);
for (let off = 0; off < input.length; off += block.length) block.copy(input, off);

function run() {
  const t0 = process.hrtime.bigint();
  const r = new StreamRedactor(matcherFor(secrets));
  let out = 0;
  for (let off = 0; off < input.length; off += chunk) out += r.push(input.subarray(off, off + chunk)).length;
  out += r.end().length;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { s, out };
}
run(); // warm-up
const runs = [run(), run(), run()].sort((a, b) => a.s - b.s);
const med = runs[1];
console.log(
  `${count} secrets (${shortest}-${shortest + 39} characters), ${mib} MiB: ${(input.length / 1e6 / med.s).toFixed(0)} MB/s (median of 3; output ${med.out} bytes)`,
);
