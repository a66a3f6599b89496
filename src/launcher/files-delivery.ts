/**
 * `--via files`: one file per value in a private folder in memory (0700, files 0400, exact
 * bytes, no newline added), and the variables that point at them: HAKO_SECRETS_DIR and
 * <NAME>_FILE. A failure part way removes what was written.
 */
import { join } from 'node:path';
import { createPrivateDir, type PrivateDir, type PrivateDirOptions } from './private-dir.js';

export const SECRETS_DIR_VAR = 'HAKO_SECRETS_DIR';

export function writeSecretFiles(
  secrets: ReadonlyMap<string, string>,
  processEnv: NodeJS.ProcessEnv,
  opts: PrivateDirOptions = {},
): { dir: PrivateDir; vars: Map<string, string> } {
  const dir = createPrivateDir('hako-run', processEnv, opts);
  try {
    const vars = new Map([[SECRETS_DIR_VAR, dir.path]]);
    for (const [name, value] of secrets) {
      dir.writeFile(name, value, 0o400);
      vars.set(`${name}_FILE`, join(dir.path, name));
    }
    return { dir, vars };
  } catch (err) {
    dir.remove();
    throw err;
  }
}
