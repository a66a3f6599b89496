/**
 * The `yaml` package, loaded on first use. Most commands never read YAML, and loading the
 * library costs every hako start about 60 ms of CPU; the SOPS stores and `.sops.yaml` parse
 * synchronously, so this is a synchronous require made on the first call, not at start-up.
 * (In the bundled CLI `import.meta.url` is the bundle's own URL: scripts/bundle.mjs.)
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let library: typeof Yaml | undefined;

export function yamlLibrary(): typeof Yaml {
  library ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return library;
}
