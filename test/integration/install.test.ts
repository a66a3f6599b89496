/**
 * The install path a user takes: `npm pack`, a global install of that tarball into an empty
 * prefix, then `hako` from an unrelated git repository (version, init, set, run) and the app
 * side (`hako-secrets/runtime`) resolved through the installed package's exports.
 *
 * Offline: the install must not fetch from the registry what this checkout already has. So the
 * test repacks the real tarball with its production dependencies bundled (copied from this
 * checkout's node_modules, the tree `npm ls --omit=dev` reports) and installs with --offline.
 * The files of hako itself are those of the real tarball, checked first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { baseEnv, git, REPO_ROOT, tempDir } from '../helpers.js';

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync('npm', args, { cwd, env, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test('npm pack → npm install -g (offline, empty prefix) → hako works from an unrelated git repository', (t) => {
  const work = tempDir('hako-install-');
  t.after(() => rmSync(work, { recursive: true, force: true }));

  // 1. The real tarball: what it holds, and nothing of this machine's paths.
  // --ignore-scripts: npm test:integration built the tree already; prepare would rebuild it under running tests.
  const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], REPO_ROOT))[0];
  assert.equal(packed.name, 'hako-secrets');
  const listed = packed.files.map((f: { path: string }) => f.path);
  for (const must of [
    'LICENSE',
    'README.md',
    'package.json',
    'build/cli/hako.cjs',
    'build/cli/hako-main.cjs',
    'build/src/sdk/runtime.js',
  ]) {
    assert.ok(listed.includes(must), `the tarball has ${must}`);
  }
  assert.ok(
    !listed.some((f: string) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('build/test/')),
    'no tests or sources',
  );
  const unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  const tar = spawnSync('tar', ['-xzf', join(work, packed.filename), '-C', unpacked]);
  assert.equal(tar.status, 0);
  const pkgDir = join(unpacked, 'package');
  for (const f of files(pkgDir)) {
    assert.ok(!readFileSync(f).includes(REPO_ROOT), `${relative(pkgDir, f)} holds the build machine's path ${REPO_ROOT}`);
  }
  assert.match(readFileSync(join(pkgDir, 'LICENSE'), 'utf8'), /^MIT License/);

  // 2. The same files with the production dependencies bundled from this checkout.
  const tree = npm(['ls', '--omit=dev', '--all', '--parseable'], REPO_ROOT)
    .split('\n')
    .filter((l) => l.startsWith(join(REPO_ROOT, 'node_modules')));
  for (const dep of tree) {
    const to = join(pkgDir, relative(REPO_ROOT, dep));
    mkdirSync(dirname(to), { recursive: true });
    cpSync(dep, to, { recursive: true, dereference: false });
  }
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  manifest.bundleDependencies = Object.keys(manifest.dependencies);
  delete manifest.scripts; // a tarball never runs prepare; nothing else to run
  writeFileSync(join(pkgDir, 'package.json'), JSON.stringify(manifest, null, 2));
  const bundled = JSON.parse(npm(['pack', '--json', '--pack-destination', work], pkgDir))[0].filename;

  // 3. Install into an empty prefix, offline, with an empty npm cache: nothing may be fetched.
  const prefix = join(work, 'prefix');
  mkdirSync(prefix);
  const npmEnv = { ...process.env, npm_config_cache: join(work, 'npm-cache'), npm_config_update_notifier: 'false' };
  npm(['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(work, bundled)], work, npmEnv);
  const bin = join(prefix, 'bin');
  assert.deepEqual(readdirSync(bin), ['hako']);

  // 4. hako from an unrelated git repository, with only the installed bin added to PATH.
  const home = join(work, 'home');
  const app = join(work, 'some-app');
  mkdirSync(home);
  mkdirSync(app);
  git(app, 'init', '-q');
  const env = baseEnv({ HOME: home, HAKO_HOME: join(home, 'hako'), PATH: `${bin}:${baseEnv()['PATH']}` });
  const hako = (args: string[], input = '') => spawnSync('hako', args, { cwd: app, env, input, encoding: 'utf8' });
  const version = hako(['--version']);
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout, `hako ${manifest.version}\n`);
  const init = hako(['init']);
  assert.equal(init.status, 0, init.stderr);
  assert.match(init.stderr, /created environment 'development'/);
  assert.equal(hako(['set', 'GREETING'], 'hello from the tarball').status, 0);
  const run = hako(['run', '--', 'sh', '-c', 'test "$GREETING" = "hello from the tarball" && echo delivered; echo "$GREETING"']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, 'delivered\n[REDACTED:GREETING]\n');
  const doctor = hako(['doctor']);
  assert.equal(doctor.status, 0, doctor.stdout);

  // 5. The app side, through the installed package's exports.
  const probe = join(prefix, 'lib', 'probe.mjs');
  writeFileSync(probe, "import { loadSecrets } from 'hako-secrets/runtime';\nconsole.log(typeof loadSecrets);\n");
  const sdk = spawnSync(process.execPath, [probe], { cwd: app, env, encoding: 'utf8' });
  assert.equal(sdk.stdout, 'function\n', sdk.stderr);
});
