// Runs node's own test runner on the compiled *.test.js files only (helpers are not tests).
// Extra arguments are passed to `node --test` (e.g. --test-name-pattern).
// Tiers: by default everything except build/test/integration/ (tests that start servers:
// sshd, load generators); `--integration` runs only that folder (npm run test:integration).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, skip) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (p === skip) return [];
    return statSync(p).isDirectory() ? find(p, skip) : name.endsWith('.test.js') ? [p] : [];
  });
}

const INTEGRATION = join('build', 'test', 'integration');
const args = process.argv.slice(2);
const integration = args.includes('--integration');
const explicit = args.filter((a) => a.endsWith('.test.js'));
const files = explicit.length ? explicit : integration ? find(INTEGRATION).sort() : find(join('build', 'test'), INTEGRATION).sort();
const options = args.filter((a) => !a.endsWith('.test.js') && a !== '--integration');
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...options, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
