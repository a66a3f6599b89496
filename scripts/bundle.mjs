// Bundles the CLI into build/cli/hako.mjs so start-up loads one file, not a module graph.
// Heavy dependencies stay in lazily loaded chunks (age-encryption, yaml); argon2 is a native
// addon and stays external.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

await build({
  entryPoints: { hako: 'src/cli/bin.ts' },
  outdir: 'build/cli',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['argon2'],
  banner: { js: '#!/usr/bin/env node' },
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'none',
  logLevel: 'warning',
});
chmodSync('build/cli/hako.mjs', 0o755);
