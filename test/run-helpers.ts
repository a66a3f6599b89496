/**
 * Helpers for `hako run` tests: a project with secrets, child programs written as small
 * Node scripts (started with this Node, found by absolute path), and waiting for a line.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after } from 'node:test';
import { Project, tempDir } from './helpers.js';

const scratch: string[] = [];
after(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder (markers, input files, an empty HAKO_HOME), removed after the tests. */
export function scratchDir(): string {
  const dir = tempDir('hako-run-test-');
  scratch.push(dir);
  return dir;
}

/** `-- node -e SCRIPT ARGS…`: the tail of a `hako run` command line. */
export function nodeChild(script: string, ...args: string[]): string[] {
  return ['--', process.execPath, '-e', script, ...args];
}

/** A project whose development environment holds `secrets`. */
export function projectWith(secrets: Record<string, string>, env?: string): Project {
  const p = new Project();
  for (const [name, value] of Object.entries(secrets)) p.set(name, value, env);
  return p;
}

/** Resolves with everything read so far once `stream` has printed `text`. */
export function waitForOutput(child: ChildProcess, text: string, stream: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const s = child[stream]!;
    const onData = (d: Buffer) => {
      seen += d.toString('utf8');
      if (seen.includes(text)) {
        s.removeListener('data', onData);
        resolve(seen);
      }
    };
    s.on('data', onData);
    child.once('exit', () => reject(new Error(`exited before printing ${JSON.stringify(text)}; saw ${JSON.stringify(seen.slice(-500))}`)));
  });
}

/** Key-material variables set to something recognisable, to check none reaches a child. */
export const KEY_VARS = [
  'HAKO_KEY',
  'HAKO_PASSPHRASE',
  'HAKO_PASSPHRASE_STAGING', // not DEVELOPMENT: a passphrase for the environment being run must be its key
  'HAKO_AGE_KEY',
  'SOPS_AGE_KEY',
  'SOPS_AGE_KEY_FILE',
  'SOPS_AGE_KEY_CMD',
];
