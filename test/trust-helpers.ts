/**
 * A team around one origin repository, for the trust tests: each person has a machine (a
 * HOME and HAKO_HOME of their own) and a clone; commits are pushed to and pulled from a bare
 * origin, the way a repository writer reaches everyone else.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { baseEnv, git, runHako, tempDir, type RunResult } from './helpers.js';

export interface Person {
  name: string;
  home: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  hako(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): RunResult;
  ok(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): RunResult;
  commit(message: string): void;
  pull(): void;
  push(): void;
  file(): any;
  writeFile(json: any): void;
}

export function gitAs(dir: string, name: string, ...args: string[]): string {
  return git(dir, '-c', `user.name=${name}`, '-c', `user.email=${name}@example.com`, ...args);
}

/** A bare origin with one commit holding `hako init`, made by `founder`. */
export function makeOrigin(t: TestContext): string {
  const origin = tempDir('hako-origin-');
  t.after(() => rmSync(origin, { recursive: true, force: true }));
  git(origin, 'init', '-q', '--bare', '-b', 'main');
  return origin;
}

/** A person with a fresh machine and a clone of `origin` (`depth` for a shallow one). */
export function person(t: TestContext, name: string, origin: string, opts: { depth?: number; home?: string } = {}): Person {
  const home = opts.home ?? tempDir(`hako-${name}-`);
  const dir = join(tempDir(`hako-${name}-clone-`), 'repo');
  t.after(() => {
    rmSync(join(dir, '..'), { recursive: true, force: true });
    if (!opts.home) rmSync(home, { recursive: true, force: true });
  });
  git(join(dir, '..'), 'clone', '-q', ...(opts.depth ? ['--depth', String(opts.depth)] : []), `file://${origin}`, dir);
  const env = baseEnv({ HOME: home, HAKO_HOME: join(home, 'hako') });
  const p: Person = {
    name,
    home,
    dir,
    env,
    hako: (args, o = {}) => runHako(args, { cwd: dir, input: o.input ?? '', env: { ...p.env, ...o.env } }),
    ok(args, o = {}) {
      const r = p.hako(args, o);
      if (r.code !== 0) throw new Error(`${name}: hako ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r;
    },
    commit(message) {
      gitAs(dir, name, 'add', '-A');
      gitAs(dir, name, 'commit', '-qm', message, `--author=${name} <${name}@example.com>`);
    },
    pull: () => void gitAs(dir, name, 'pull', '-q', '--no-rebase', 'origin', 'main'),
    push: () => void gitAs(dir, name, 'push', '-q', 'origin', 'HEAD:main'),
    file: () => JSON.parse(readFileSync(join(dir, '.hako', 'secrets.json'), 'utf8')),
    writeFile: (json) => writeFileSync(join(dir, '.hako', 'secrets.json'), `${JSON.stringify(json, null, 2)}\n`),
  };
  return p;
}

/** An age identity made by `hako keygen` for `who`: the recipient, and env vars that hold it. */
export function ageIdentity(who: Person): { recipient: string; env: NodeJS.ProcessEnv } {
  const path = join(who.home, 'age.txt');
  const recipient = who.ok(['keygen', '--out', path]).stdout.trim();
  const secret = readFileSync(path, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
  return { recipient, env: { HAKO_AGE_KEY: secret } };
}
