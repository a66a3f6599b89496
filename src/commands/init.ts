/** hako init */
import { initProject } from '../services/init.js';
import type { CommandSpec } from './command.js';

export const initCommands: CommandSpec[] = [
  {
    words: ['init'],
    summary: 'create .hako/secrets.json in the current git repository',
    usage: 'hako init',
    description:
      'Creates an empty secrets file at the root of the git work tree. Safe to run again.\nAfter that, hako finds the project from any subfolder.',
    options: {},
    examples: ['hako init', 'printf %s "$DATABASE_URL" | hako set DATABASE_URL   # creates "development"'],
    async run(ctx) {
      const r = initProject(ctx);
      ctx.io.stderr(r.created ? `hako: created ${r.file}\n` : `hako: already initialised: ${r.file}\n`);
    },
  },
];
