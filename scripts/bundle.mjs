// Bundles the CLI so start-up reads one file and compiles nothing (bench/README.md has the
// measurements behind each choice):
// - build/cli/hako-main.cjs: src/cli/bin.ts and everything it imports, as CommonJS. Node
//   starts a CommonJS file about 4 ms sooner than an ES module (no module loader, no ES
//   facades for node: built-ins).
// - build/cli/hako-main.cjs.cache: V8's code cache for it, made here with the same Node.
// - build/cli/hako.cjs: the executable; runs the bundle with that cache (scripts/cli-launcher.cjs).
// - build/cli/hako.mjs: the same CLI for callers that still name the old file.
// Dependencies that only some commands need stay outside and load from node_modules when
// those commands run: hono and its Node server (hako ui), argon2, better-sqlite3 and @napi-rs/keyring (native addons; better-sqlite3
// for the agent's store, the keyring for --keychain), yaml, and age-encryption with the @noble
// libraries. Every import() becomes a require() (age-encryption is an ES module, which
// require() loads since Node 20.19): a script compiled from a code cache cannot use
// import(), whose loader callback V8 looks up through the cache's own, stale, origin.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import vm from 'node:vm';

const OUT = 'build/cli';
const MAIN = `${OUT}/hako-main.cjs`;

rmSync(OUT, { recursive: true, force: true });

await build({
  entryPoints: ['src/cli/bin.ts'],
  outfile: MAIN,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['argon2', 'yaml', 'age-encryption', '@noble/*', 'better-sqlite3', '@napi-rs/keyring', 'hono', 'hono/*', '@hono/node-server'],
  supported: { 'dynamic-import': false },
  // Modules that load a library on first use with createRequire(import.meta.url) (the yaml
  // library: src/core/sops/yaml-library.ts) resolve it from the bundle's own place.
  define: { 'import.meta.url': 'hakoBundleUrl' },
  banner: { js: 'var hakoBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  legalComments: 'none',
  logLevel: 'warning',
});

// The cache holds the bundle's compiled top level: what every command runs first. It must
// be made from exactly the text the launcher compiles, with the same options. The file name
// given here is a bare name: V8 does not check it when it accepts a cache, and an absolute
// path would put the build machine's folders into the published package.
const script = new vm.Script(Module.wrap(readFileSync(MAIN, 'utf8')), { filename: 'hako-main.cjs' });
writeFileSync(`${MAIN}.cache`, script.createCachedData());

copyFileSync('scripts/cli-launcher.cjs', `${OUT}/hako.cjs`);
chmodSync(`${OUT}/hako.cjs`, 0o755);
writeFileSync(
  `${OUT}/hako.mjs`,
  "#!/usr/bin/env node\n// Kept for callers that name this file; build/cli/hako.cjs starts faster.\nimport './hako.cjs';\n",
);
chmodSync(`${OUT}/hako.mjs`, 0o755);
