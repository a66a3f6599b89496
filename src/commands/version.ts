/** hako version (also `hako --version` and `-v`). */
import type { CommandSpec } from './command.js';

import { VERSION } from '../core/version.js';

/** The package version (src/core/version.ts); test/cli-manners.test.ts checks it equals package.json's. */
export { VERSION };

export const versionCommands: CommandSpec[] = [
  {
    words: ['version'],
    summary: 'print the version of hako (also: hako --version, hako -v)',
    usage: 'hako version',
    options: {},
    examples: ['hako version', 'hako --version'],
    async run(ctx) {
      ctx.io.stdout(`hako ${VERSION}\n`);
    },
  },
];
