/**
 * Real keyrings for tests: a private D-Bus session with GNOME Keyring's Secret Service
 * (unlocked with an empty password, which creates its login keyring in a scratch HOME, and
 * locked again on request, as after a screen lock), and
 * the kernel keyring, reached by running each command in a fresh session keyring
 * (`keyctl session -`; the binding links entries into the user's persistent keyring, so they
 * outlive one command, like a login session).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HAKO_BIN, tempDir, type RunResult } from '../helpers.js';
import { toolPath } from '../tools.js';

export const SECRET_SERVICE_TOOLS = ['dbus-run-session', 'dbus-send', 'gnome-keyring-daemon', 'secret-tool'] as const;

export class SecretServiceSession {
  private constructor(
    private readonly child: ChildProcess,
    private readonly home: string,
    readonly bus: string,
  ) {}

  /**
   * Starts dbus-run-session with an unlocked gnome-keyring; resolves once the bus answers.
   * `locked`: then locks its login keyring again (the collection exists, locked).
   */
  static async start(opts: { locked?: boolean } = {}): Promise<SecretServiceSession> {
    const session = await SecretServiceSession.spawn();
    if (opts.locked) {
      try {
        session.lock();
      } catch (err) {
        await session.stop();
        throw err;
      }
    }
    return session;
  }

  private static spawn(): Promise<SecretServiceSession> {
    const home = tempDir('hako-dbus-home-');
    const data = join(home, '.local', 'share');
    const cache = join(home, '.cache');
    mkdirSync(data, { recursive: true });
    mkdirSync(cache, { recursive: true });
    const script =
      'echo | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || exit 3; ' +
      'printf "BUS=%s\\n" "$DBUS_SESSION_BUS_ADDRESS"; exec cat >/dev/null';
    // No DISPLAY or WAYLAND_DISPLAY: an unlock prompt (gcr-prompter, started over D-Bus) cannot
    // open a window, so the keyring dismisses it at once instead of waiting for a person.
    const child = spawn(toolPath('dbus-run-session')!, ['--', 'sh', '-c', script], {
      env: { PATH: process.env['PATH'], HOME: home, XDG_DATA_HOME: data, XDG_CACHE_HOME: cache, XDG_RUNTIME_DIR: home },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group, so stop() can end the daemon with it
    });
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`no Secret Service after 30 s: ${err}`)), 30_000);
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /BUS=(\S+)\n/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(new SecretServiceSession(child, home, m[1]!));
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`dbus-run-session exited ${code}: ${err}`));
      });
    });
  }

  /**
   * Locks the login keyring through the Secret Service API (`secret-tool lock` crashes on
   * some versions). Afterwards secret-tool can no longer store an item in it.
   */
  lock(): void {
    const r = spawnSync(
      toolPath('dbus-send')!,
      [
        '--session',
        '--print-reply',
        '--reply-timeout=10000',
        '--dest=org.freedesktop.secrets',
        '/org/freedesktop/secrets',
        'org.freedesktop.Secret.Service.Lock',
        'array:objpath:/org/freedesktop/secrets/collection/login',
      ],
      { env: { PATH: process.env['PATH'], HOME: this.home, DBUS_SESSION_BUS_ADDRESS: this.bus }, encoding: 'utf8', timeout: 15_000 },
    );
    if (r.status !== 0 || !r.stdout.includes('/org/freedesktop/secrets/collection/login'))
      throw new Error(`could not lock the login keyring: ${r.stderr}${r.stdout}`);
  }

  get env(): NodeJS.ProcessEnv {
    return { DBUS_SESSION_BUS_ADDRESS: this.bus };
  }

  /** secret-tool in this session; returns stdout (and fails the test on a tool error). */
  secretTool(...args: string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(toolPath('secret-tool')!, args, {
      env: { PATH: process.env['PATH'], HOME: this.home, DBUS_SESSION_BUS_ADDRESS: this.bus },
      encoding: 'utf8',
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Every item of `service` as secret-tool sees it: the `username` attribute of each. */
  accounts(service: string): string[] {
    const r = this.secretTool('search', '--all', 'service', service);
    return [...`${r.stdout}\n${r.stderr}`.matchAll(/^attribute\.username = (.*)$/gm)].map((m) => m[1]!.trim()).sort();
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    this.child.stdin!.end();
    const kill = setTimeout(() => {
      try {
        process.kill(-this.child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }, 5_000);
    await exited;
    clearTimeout(kill);
    try {
      process.kill(-this.child.pid!, 'SIGTERM'); // the keyring daemon, if it outlived the bus
    } catch {
      /* the group is gone: nothing left running */
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** Runs the built hako inside a fresh kernel session keyring (`keyctl session -`). */
export function hakoInKernelSession(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): RunResult {
  const r = spawnSync(toolPath('keyctl')!, ['session', '-', process.execPath, HAKO_BIN, ...args], {
    cwd: opts.cwd,
    env: opts.env,
    input: opts.input ?? '',
  });
  return {
    code: r.status,
    signal: r.signal,
    stdout: r.stdout.toString('utf8'),
    // keyctl says which keyring it joined; that line is not hako's.
    stderr: r.stderr.toString('utf8').replace(/^Joined session keyring: \d+\n/m, ''),
    stdoutBytes: r.stdout,
  };
}
