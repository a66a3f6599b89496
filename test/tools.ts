/**
 * Outside tools a test needs (age, argon2, go, ssh-keygen, sshd, chromium, …).
 *
 * On a machine with only Node, a test that needs a missing tool is skipped with the tool's
 * name and the line that installs it. CI (`.ci/run`) installs them and sets
 * HAKO_REQUIRE_TOOLS=1, and there a missing tool fails the test instead of hiding it.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { TestContext } from 'node:test';

const found = new Map<string, string | null>();

/** The absolute path of `tool` (a name on PATH, or an absolute path), or null. */
export function toolPath(tool: string): string | null {
  if (found.has(tool)) return found.get(tool)!;
  let hit: string | null = null;
  const candidates = isAbsolute(tool) ? [tool] : (process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, tool));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      hit = c;
      break;
    } catch {
      // not here
    }
  }
  found.set(tool, hit);
  return hit;
}

/** The Debian package that provides each tool, for the skip message. */
const PACKAGES: Record<string, string> = {
  age: 'age',
  'age-keygen': 'age',
  argon2: 'argon2',
  go: 'golang-go',
  'ssh-keygen': 'openssh-client',
  ssh: 'openssh-client',
  '/usr/sbin/sshd': 'openssh-server',
  script: 'bsdutils',
  chromium: 'chromium',
  direnv: 'direnv',
  gpg: 'gnupg',
  'secret-tool': 'libsecret-tools',
  'gnome-keyring-daemon': 'gnome-keyring',
  'dbus-run-session': 'dbus',
  'dbus-send': 'dbus',
  keyctl: 'keyutils',
  hyperfine: 'hyperfine',
  fish: 'fish',
  zsh: 'zsh',
};

export function requireToolsInCi(): boolean {
  return process.env['HAKO_REQUIRE_TOOLS'] === '1';
}

/**
 * True when every tool is there. Otherwise skips the test with the install line and returns
 * false (the caller returns), or, under HAKO_REQUIRE_TOOLS=1, throws so the test fails.
 */
export function needTools(t: TestContext, ...tools: string[]): boolean {
  const missing = tools.filter((tool) => toolPath(tool) === null);
  if (missing.length === 0) return true;
  const pkgs = [...new Set(missing.map((m) => PACKAGES[m] ?? m))].join(' ');
  const why = `needs ${missing.join(', ')} (apt-get install ${pkgs})`;
  if (requireToolsInCi()) throw new Error(`${why}: HAKO_REQUIRE_TOOLS=1 makes a missing tool a failure`);
  t.skip(why);
  return false;
}

/** For `describe`/`test` options: `{ skip: skipUnless('age') }` skips the whole suite. */
export function skipUnless(...tools: string[]): string | false {
  const missing = tools.filter((tool) => toolPath(tool) === null);
  if (missing.length === 0) return false;
  const pkgs = [...new Set(missing.map((m) => PACKAGES[m] ?? m))].join(' ');
  const why = `needs ${missing.join(', ')} (apt-get install ${pkgs})`;
  if (requireToolsInCi()) throw new Error(`${why}: HAKO_REQUIRE_TOOLS=1 makes a missing tool a failure`);
  return why;
}

/** Runs a tool and returns its stdout, failing loudly (for setup steps of a test). */
export function runTool(
  tool: string,
  args: string[],
  opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): string {
  const r = spawnSync(toolPath(tool) ?? tool, args, { input: opts.input, env: opts.env, cwd: opts.cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
