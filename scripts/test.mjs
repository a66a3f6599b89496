// Runs node's own test runner on the compiled *.test.js files only (helpers are not tests).
// Extra arguments are passed to `node --test` (e.g. --test-name-pattern).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? find(p) : name.endsWith('.test.js') ? [p] : [];
  });
}

const args = process.argv.slice(2);
const explicit = args.filter((a) => a.endsWith('.test.js'));
const files = explicit.length ? explicit : find('build/test').sort();
const options = args.filter((a) => !a.endsWith('.test.js'));
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...options, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
