// Runs node's own test runner on the compiled *.test.js files only (helpers are not tests).
//   node scripts/test.mjs                  the fast tier: build/test/**, except build/test/integration/
//   node scripts/test.mjs --integration    the integration tier: build/test/integration/** (real
//                                          servers: sshd, a browser, load generators, keyrings)
//   node scripts/test.mjs FILE.test.js…    just those files
// Other arguments are passed to `node --test` (e.g. --test-name-pattern).
// The runner's own summary (# tests, # pass, # fail, # skipped…) is followed by one closing
// block: the counts again, and every skip reason with how many tests it skipped (a missing
// tool names its Debian package), so the last lines of a CI log say what did not run.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { spawn } from 'node:child_process';

function find(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? find(p) : name.endsWith('.test.js') ? [p] : [];
  });
}

const args = process.argv.slice(2);
const integration = args.includes('--integration');
const explicit = args.filter((a) => a.endsWith('.test.js'));
const INTEGRATION_DIR = join('build', 'test', 'integration');
const files = explicit.length
  ? explicit
  : integration
    ? find(INTEGRATION_DIR).sort()
    : find(join('build', 'test'))
        .filter((f) => !f.startsWith(INTEGRATION_DIR + sep))
        .sort();
const options = args.filter((a) => !a.endsWith('.test.js') && a !== '--integration');
if (files.length === 0) {
  console.error('scripts/test.mjs: no test files found (run npm run build first)');
  process.exit(1);
}
const reporter = process.stdout.isTTY && !options.some((o) => o.startsWith('--test-reporter')) ? ['--test-reporter=spec'] : [];
const child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...reporter, ...options, ...files], {
  stdio: ['inherit', 'pipe', 'inherit'],
});
const skips = new Map();
const counts = {};
let pending = '';
function scan(line) {
  const skip = /# SKIP\b:?\s*(.*)$/.exec(line);
  if (skip) skips.set(skip[1] || '(no reason given)', (skips.get(skip[1] || '(no reason given)') ?? 0) + 1);
  const count = /^(?:# |ℹ )(tests|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/.exec(line);
  if (count) counts[count[1]] = Number(count[2]);
}
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const lines = (pending + chunk.toString('utf8')).split('\n');
  pending = lines.pop();
  lines.forEach(scan);
});
child.on('close', (code, signal) => {
  if (pending) scan(pending);
  const status = code ?? 1;
  const secs = counts.duration_ms !== undefined ? `, ${Math.round(counts.duration_ms / 1000)} s` : '';
  console.log(
    `\nhako tests: ${counts.pass ?? '?'} passed, ${counts.fail ?? '?'} failed, ${counts.cancelled ?? 0} cancelled, ${Math.max(
      counts.skipped ?? 0,
      [...skips.values()].reduce((a, b) => a + b, 0),
    )} skipped${secs}` + `${signal ? ` (runner killed by ${signal})` : ''}`,
  );
  for (const [why, n] of [...skips].sort()) console.log(`  skipped ${n} × ${why}`);
  if (skips.size && process.env.HAKO_REQUIRE_TOOLS !== '1')
    console.log('  (.ci/run installs every tool and sets HAKO_REQUIRE_TOOLS=1: there a missing tool fails)');
  process.exit(status);
});
