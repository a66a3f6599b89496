// Bundles the CLI into build/cli/hako.mjs so start-up loads one file, not a module graph.
// Heavy dependencies are imported lazily: age-encryption goes into its own chunk; argon2 (a
// native addon) and yaml (CommonJS, whose named exports only Node's own loader maps) stay
// external and load from node_modules when a command needs them.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';

rmSync('build/cli', { recursive: true, force: true });

await build({
  entryPoints: { hako: 'src/cli/bin.ts' },
  outdir: 'build/cli',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['argon2', 'yaml'],
  banner: { js: '#!/usr/bin/env node' },
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'none',
  logLevel: 'warning',
});
chmodSync('build/cli/hako.mjs', 0o755);
