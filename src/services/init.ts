/** `hako init`: an empty `.hako/secrets.json` at the root of the current git work tree. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HakoError } from '../core/errors.js';
import { emptySecretsFile, encodeSecretsFile, parseSecretsFile, SECRETS_FILE_NAME } from '../core/formats/secrets-file.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { findGitRoot, readSecretsText } from './project.js';
import type { ServiceContext } from './context.js';

export function initProject(ctx: ServiceContext): { root: string; file: string; created: boolean } {
  const root = findGitRoot(ctx.cwd);
  if (!root)
    throw new HakoError(
      'E_NOT_GIT',
      `${ctx.cwd} is not inside a git repository`,
      'run `git init` first; hako keeps its file in your repository',
    );
  const file = join(root, SECRETS_FILE_NAME);
  if (existsSync(file)) {
    parseSecretsFile(readSecretsText({ root, file, gitRoot: root })); // an existing file must be valid
    return { root, file, created: false };
  }
  writeFileAtomic(file, encodeSecretsFile(emptySecretsFile()), { mode: 0o644, dirMode: 0o755 });
  return { root, file, created: true };
}
