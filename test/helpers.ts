/**
 * Test helpers: real temporary git repositories, a private HAKO_HOME each, and the built
 * `hako` binary run as a child process, the way a user runs it.
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hakoSync } from './hako-sync.js';
import { inMemory } from '../src/launcher/private-dir.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HAKO_BIN = join(REPO_ROOT, 'build', 'cli', 'hako.cjs');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * true: run the built binary as a child process even in a file that runs hako in process.
   * false: run in process even in a file that runs the binary (set-up: `Project`'s init and set).
   */
  process?: boolean;
}

let inProcess = false;

/**
 * From now on, this test file runs hako in process (hako-sync.ts: the CLI's `main` in a
 * worker thread, called synchronously) unless a call passes `{ process: true }`. For files
 * whose behaviour does not depend on being a process: no signals, fd 3, launcher, editor,
 * crash or concurrency. The binary itself is exercised by the files that stay on processes.
 */
export function hakoInProcessByDefault(): void {
  inProcess = true;
}

/** A clean environment: no key material or hako settings leak in from the machine. */
export function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'LANG', 'TERM', 'TMPDIR', 'SYSTEMROOT']) if (process.env[k]) env[k] = process.env[k];
  return { ...env, ...extra };
}

export function tempDir(prefix = 'hako-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A temp folder in memory (/dev/shm on tmpfs), where hako puts plaintext files; why not, when there is none. */
export const MEMORY_TEMP_MISSING: string | false = inMemory('/dev/shm')
  ? false
  : 'needs /dev/shm on tmpfs (hako puts plaintext files only in memory)';
export function memoryTempDir(prefix = 'hako-test-'): string {
  return mkdtempSync(join('/dev/shm', prefix));
}

export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...baseEnv(),
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
      HOME: cwd,
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** A git repository with `hako init` run, and its own HAKO_HOME. */
export class Project {
  readonly dir: string;
  readonly home: string;
  env: NodeJS.ProcessEnv;

  constructor(opts: { init?: boolean; home?: string } = {}) {
    this.dir = tempDir('hako-proj-');
    this.home = opts.home ?? tempDir('hako-home-');
    this.env = baseEnv({ HAKO_HOME: this.home, HOME: this.home });
    git(this.dir, 'init', '-q');
    // Set-up runs in process in every file (the same main as the binary, without a process
    // start); what a test then runs goes where the file says.
    if (opts.init !== false) this.ok(['init'], { process: false });
  }

  run(args: string[], opts: RunOptions = {}): RunResult {
    return runHako(args, { cwd: this.dir, ...opts, env: { ...this.env, ...opts.env } });
  }

  /** Runs and fails the test on a non-zero exit, showing stderr (never values). */
  ok(args: string[], opts: RunOptions = {}): RunResult {
    const r = this.run(args, opts);
    if (r.code !== 0) throw new Error(`hako ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r;
  }

  /** Sets a value; an environment the project lacks is made first (hako env add), as a user would. */
  set(name: string, value: string, env?: string): void {
    if (env && !(env in (this.json().environments ?? {}))) this.ok(['env', 'add', env], { process: false });
    if (value === '') this.ok(['set', name, '--empty', ...(env ? ['--env', env] : [])], { process: false });
    else this.ok(['set', name, ...(env ? ['--env', env] : [])], { input: `${value}\n`, process: false });
  }

  get(name: string, env?: string): string {
    return this.ok(['get', name, '-n', ...(env ? ['--env', env] : [])]).stdout;
  }

  file(): string {
    return readFileSync(join(this.dir, '.hako', 'secrets.json'), 'utf8');
  }

  json(): any {
    return JSON.parse(this.file());
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.home, { recursive: true, force: true });
  }
}

/**
 * Calls that keep a real process even in an in-process file: a command that starts a program
 * (the launcher relays its output through hako's own streams), a call whose environment sets
 * NODE_OPTIONS (which only a starting node reads), and one that names a D-Bus session (the
 * keychain binding reads the process's real environment, which a worker's process.env is not).
 */
function needsProcess(args: string[], env: NodeJS.ProcessEnv | undefined): boolean {
  return (
    args[0] === 'run' ||
    (args[0] === 'sops' && (args[1] ?? '').startsWith('exec-')) ||
    env?.['NODE_OPTIONS'] !== undefined ||
    env?.['DBUS_SESSION_BUS_ADDRESS'] !== undefined
  );
}

export function runHako(args: string[], opts: RunOptions = {}): RunResult {
  if ((opts.process === false || (inProcess && opts.process !== true)) && !needsProcess(args, opts.env)) {
    const r = hakoSync({ args, cwd: opts.cwd ?? process.cwd(), env: opts.env ?? baseEnv(), input: opts.input ?? '' });
    return { code: r.code, signal: r.signal, stdout: r.stdout.toString('utf8'), stderr: r.stderr, stdoutBytes: r.stdout };
  }
  const r = spawnSync(process.execPath, [HAKO_BIN, ...args], {
    cwd: opts.cwd,
    env: opts.env ?? baseEnv(),
    input: opts.input ?? '',
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    code: r.status,
    signal: r.signal,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
    stdoutBytes: r.stdout,
  };
}

/** Starts hako without waiting, for signal and concurrency tests. */
export function spawnHako(args: string[], opts: RunOptions & SpawnOptions = {}) {
  return spawn(process.execPath, [HAKO_BIN, ...args], {
    cwd: opts.cwd,
    env: opts.env ?? baseEnv(),
    stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'],
    detached: opts.detached,
  });
}

/** Collects a spawned child's output and exit. */
export function finished(child: ReturnType<typeof spawn>): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('close', (code, signal) => {
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({ code, signal, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
  });
}

/** Fails when any of `texts` contains any of `secrets` (or a long-enough part of one). */
export function assertNoSecretIn(texts: string[], secrets: string[]): void {
  for (const s of secrets) {
    if (s.length < 4) continue;
    for (const t of texts) {
      if (t.includes(s)) throw new Error(`a secret value (length ${s.length}) appeared in output`);
    }
  }
}
