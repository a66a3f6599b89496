/**
 * Helpers for `hako sync` tests and the sync bench: "servers" that are a real sshd and a
 * real hako agent each, on 127.0.0.1, and a client-side ssh wrapper.
 *
 * - SshServer: an agent state directory (`hako agent init`), the agent running, and an sshd
 *   on its own port with its own host key whose authorized key forces
 *   `HAKO_AGENT_DIR=… hako agent rpc` (the restricted set-up docs/AGENT.md recommends).
 *   `stopSshd()` / `startSshd()` take the server off and on the network (same port, same key).
 * - SshClient: one user key for all servers and a wrapper `ssh` program (HAKO_SSH) that runs
 *   the real ssh with that key and appends every byte it passes either way to sent.log and
 *   received.log, so a test can read exactly what travelled over the connections.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentDir, startAgent, type RunningAgent } from './agent-helpers.js';
import { HAKO_BIN, tempDir } from './helpers.js';
import { freePort } from '../src/agent/instance.js';

export const SSHD = '/usr/sbin/sshd';

function keygen(path: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr?.toString()}`);
}

export function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class SshClient {
  readonly dir: string;
  readonly key: string;
  readonly ssh: string;
  /** The same ssh and key without logging (for the bench). */
  readonly plainSsh: string;

  constructor() {
    this.dir = tempDir('hako-sshc-');
    this.key = join(this.dir, 'user_ed25519');
    keygen(this.key);
    chmodSync(this.key, 0o600);
    this.ssh = join(this.dir, 'ssh');
    // A transparent wrapper: the real ssh with the test key; every byte both ways is logged.
    writeFileSync(
      this.ssh,
      `#!${process.execPath}
const { spawn } = require('node:child_process');
const { appendFileSync } = require('node:fs');
const dir = ${JSON.stringify(this.dir)};
const args = ['-i', ${JSON.stringify(this.key)}, '-o', 'IdentitiesOnly=yes', '-F', '/dev/null', ...process.argv.slice(2)];
appendFileSync(dir + '/argv.log', JSON.stringify(process.argv.slice(2)) + '\\n');
const ssh = spawn('/usr/bin/ssh', args, { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.on('data', (d) => { appendFileSync(dir + '/sent.log', d); ssh.stdin.write(d); });
process.stdin.on('end', () => ssh.stdin.end());
ssh.stdin.on('error', () => {});
ssh.stdout.on('data', (d) => { appendFileSync(dir + '/received.log', d); process.stdout.write(d); });
ssh.on('close', (code) => process.exit(code === null ? 255 : code));
`,
    );
    chmodSync(this.ssh, 0o755);
    this.plainSsh = join(this.dir, 'ssh-plain');
    writeFileSync(this.plainSsh, `#!/bin/sh\nexec /usr/bin/ssh -i ${this.key} -o IdentitiesOnly=yes -F /dev/null "$@"\n`);
    chmodSync(this.plainSsh, 0o755);
  }

  publicKey(): string {
    return readFileSync(`${this.key}.pub`, 'utf8').trim();
  }

  sent(): string {
    const p = join(this.dir, 'sent.log');
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }

  received(): string {
    const p = join(this.dir, 'received.log');
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }

  argv(): string[][] {
    const p = join(this.dir, 'argv.log');
    return existsSync(p)
      ? readFileSync(p, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as string[])
      : [];
  }

  clearLogs(): void {
    for (const f of ['sent.log', 'received.log', 'argv.log']) rmSync(join(this.dir, f), { force: true });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class SshServer {
  readonly agent: AgentDir;
  readonly dir: string;
  port = 0;
  running: RunningAgent | null = null;
  private sshd: ChildProcess | null = null;

  /** `shellKey`: also authorize this public key without a forced command (the bench's `ssh host true`). */
  constructor(
    readonly client: SshClient,
    shellKey?: string,
  ) {
    this.agent = new AgentDir();
    this.dir = tempDir('hako-sshd-');
    keygen(join(this.dir, 'host_ed25519'));
    const rpc = `HAKO_AGENT_DIR=${this.agent.dir} ${process.execPath} ${HAKO_BIN} agent rpc`;
    writeFileSync(
      join(this.dir, 'authorized_keys'),
      `command="${rpc}",restrict ${client.publicKey()}\n${shellKey ? `restrict ${shellKey}\n` : ''}`,
    );
    chmodSync(join(this.dir, 'authorized_keys'), 0o600);
  }

  get target(): string {
    return `${userInfo().username}@127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.running = await startAgent(this.agent);
    this.port = await freePort();
    writeFileSync(
      join(this.dir, 'sshd_config'),
      [
        `Port ${this.port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(this.dir, 'host_ed25519')}`,
        `PidFile ${join(this.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        'StrictModes no',
        'AllowTcpForwarding no',
        'X11Forwarding no',
        'PrintMotd no',
        'LogLevel ERROR',
        'MaxStartups 100',
        '',
      ].join('\n'),
    );
    if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const check = spawnSync(SSHD, ['-t', '-f', join(this.dir, 'sshd_config')]);
    if (check.status !== 0) throw new Error(`sshd -t: ${check.stderr?.toString()}`);
    await this.startSshd();
  }

  async startSshd(): Promise<void> {
    this.sshd = spawn(SSHD, ['-D', '-e', '-f', join(this.dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'ignore'] });
    const deadline = Date.now() + 10_000;
    while (!(await accepting(this.port))) {
      if (Date.now() > deadline || this.sshd.exitCode !== null) throw new Error('sshd did not start');
      await sleep(25);
    }
  }

  /** Stops the listening sshd (open connections end with their sessions). */
  async stopSshd(): Promise<void> {
    const s = this.sshd;
    this.sshd = null;
    if (!s || s.exitCode !== null || s.signalCode !== null) return;
    const gone = new Promise((r) => s.once('exit', r));
    s.kill('SIGTERM');
    await gone;
  }

  async stop(): Promise<void> {
    await this.stopSshd();
    await this.running?.stop();
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
    this.agent.cleanup();
  }
}
