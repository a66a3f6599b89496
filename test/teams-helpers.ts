/** Helpers for the teams tests: teammates' machines (a HOME and a HAKO_HOME of their own). */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { git, tempDir } from './helpers.js';

export interface Machine {
  home: string;
  env: NodeJS.ProcessEnv;
}

/** A machine with nothing on it yet (no key files, no identities), removed after the test. */
export function machine(t: TestContext, name: string): Machine {
  const home = tempDir(`hako-${name}-`);
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return { home, env: { HOME: home, HAKO_HOME: join(home, 'hako') } };
}

export function keyFilesOf(m: Machine): string[] {
  const dir = join(m.home, 'hako', 'keys');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** A real ed25519 key from ssh-keygen, unencrypted unless a passphrase is given. */
export function sshKeygen(path: string, passphrase = ''): string {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'test@hako', '-f', path]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed (Debian package openssh-client): ${r.stderr}`);
  return path;
}

/** A real X25519 identity from age-keygen; returns its recipient. */
export function ageKeygen(path: string): string {
  const r = spawnSync('age-keygen', ['-o', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`age-keygen failed (Debian package age): ${r.stderr}`);
  return /Public key: (age1\S+)/.exec(r.stderr)![1]!;
}

export function commitAll(dir: string, message: string): void {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', message);
}

/** `git diff --numstat` of one path: lines added and removed. */
export function numstat(dir: string, path: string): { added: number; removed: number } {
  const out = git(dir, 'diff', '--numstat', '--', path).trim();
  if (!out) return { added: 0, removed: 0 };
  const [a, r] = out.split('\t');
  return { added: Number(a), removed: Number(r) };
}

/** The added (+) and removed (-) lines of `git diff` for one path, without the headers. */
export function diffLines(dir: string, path: string): { plus: string[]; minus: string[] } {
  const out = git(dir, 'diff', '-U0', '--', path).split('\n');
  return {
    plus: out.filter((l) => l.startsWith('+') && !l.startsWith('+++')).map((l) => l.slice(1)),
    minus: out.filter((l) => l.startsWith('-') && !l.startsWith('---')).map((l) => l.slice(1)),
  };
}
