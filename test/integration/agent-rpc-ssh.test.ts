/**
 * `hako agent rpc` over a real ssh to a real sshd on 127.0.0.1, started here with its own
 * host key and an authorized key whose forced command is `hako agent rpc` (the restricted
 * set-up docs/AGENT.md recommends for sync clients). The client speaks JSON lines: status
 * answers with the agent's recipient, an environment pushed as the repository's ciphertext
 * is stored (and a second push of the same entry is skipped by its hash), and what the rpc
 * channel must refuse (app management, an unknown protocol version) is refused.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { AgentDir, projectFor, startAgent, type RunningAgent } from '../agent-helpers.js';
import { HAKO_BIN, tempDir, type Project } from '../helpers.js';
import { freePort } from '../../src/agent/instance.js';
import { entryHash } from '../../src/core/formats/entry-hash.js';
import { skipUnless } from '../tools.js';

const SSHD = '/usr/sbin/sshd';

describe('hako agent rpc over ssh', { skip: skipUnless(SSHD, 'ssh', 'ssh-keygen') }, () => {
  let agent: AgentDir;
  let running: RunningAgent;
  let project: Project;
  let sshd: ChildProcess;
  let dir: string;
  let port: number;

  before(async () => {
    agent = new AgentDir();
    project = projectFor(agent, 'production', { GREETING: 'value-sent-as-ciphertext-only' });
    running = await startAgent(agent);
    dir = tempDir('hako-sshd-');
    port = await freePort();
    for (const k of ['host', 'user']) {
      const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, `${k}_ed25519`)]);
      assert.equal(r.status, 0, r.stderr?.toString());
    }
    const rpc = `HAKO_AGENT_DIR=${agent.dir} ${process.execPath} ${HAKO_BIN} agent rpc`;
    const pub = readFileSync(join(dir, 'user_ed25519.pub'), 'utf8').trim();
    writeFileSync(join(dir, 'authorized_keys'), `command="${rpc}",restrict ${pub}\n`);
    chmodSync(join(dir, 'authorized_keys'), 0o600);
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_ed25519')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        'StrictModes no',
        'AllowTcpForwarding no',
        'X11Forwarding no',
        'PrintMotd no',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const check = spawnSync(SSHD, ['-t', '-f', join(dir, 'sshd_config')]);
    assert.equal(check.status, 0, check.stderr?.toString());
    sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const deadline = Date.now() + 10_000;
    while (!(await accepting(port))) {
      if (Date.now() > deadline || sshd.exitCode !== null) throw new Error('sshd did not start');
      await sleep(25);
    }
  });

  after(async () => {
    sshd?.kill('SIGTERM');
    await running?.stop();
    project?.cleanup();
    agent?.cleanup();
  });

  /** Sends request lines through `ssh host` (the forced command runs hako agent rpc); returns the reply lines. */
  function ssh(lines: object[]): any[] {
    const r = spawnSync(
      'ssh',
      [
        '-p',
        String(port),
        '-i',
        join(dir, 'user_ed25519'),
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
        '-o',
        'LogLevel=ERROR',
        '--',
        `${userInfo().username}@127.0.0.1`,
        'hako agent rpc',
      ],
      { input: lines.map((l) => JSON.stringify(l)).join('\n') + '\n', encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 0, `ssh exited ${r.status}: ${r.stderr}`);
    return r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  }

  test('status answers with the agent recipient', () => {
    const [hello, status] = ssh([
      { v: 1, id: 1, method: 'hello' },
      { v: 1, id: 2, method: 'status', params: {} },
    ]);
    assert.equal(hello.ok, true);
    assert.equal(hello.result.protocol, 1);
    assert.equal(status.id, 2);
    assert.equal(status.ok, true);
    assert.equal(status.result.agent.recipient, agent.recipient);
    assert.ok(status.result.agent.rssBytes > 0);
  });

  test('push-environment stores the repository ciphertext; the same entry again is skipped by hash', async () => {
    const entry = project.json().environments.production;
    const hash = entryHash('production', entry);
    const [before, first, second, after] = ssh([
      { v: 1, id: 1, method: 'environment-hash', params: { env: 'production' } },
      { v: 1, id: 2, method: 'push-environment', params: { env: 'production', entry, hash } },
      { v: 1, id: 3, method: 'push-environment', params: { env: 'production', entry, hash } },
      { v: 1, id: 4, method: 'environment-hash', params: { env: 'production' } },
    ]);
    assert.equal(before.result.hash, null);
    assert.equal(first.result.changed, true);
    assert.equal(second.result.changed, false);
    assert.equal(after.result.hash, hash);
    const deadline = Date.now() + 5000; // the agent's stderr arrives through this process's event loop
    while (!/environment 'production': unchanged/.test(running.log()) && Date.now() < deadline) await sleep(20);
    assert.match(running.log(), /environment 'production': unchanged/);
  });

  test('app management, unknown versions and unknown fields are refused over rpc', () => {
    const replies = ssh([
      { v: 1, id: 1, method: 'app-add', params: { config: { name: 'x', env: 'production', cmd: ['/bin/sh'], port: 1 } } },
      { v: 2, id: 2, method: 'status' },
      { v: 1, id: 3, method: 'status', params: { all: true } },
      { v: 1, id: 4, method: 'status' },
    ]);
    assert.deepEqual(
      replies.map((r) => [r.id, r.ok, r.error?.code]),
      [
        [1, false, 'E_PROTOCOL'],
        [2, false, 'E_PROTOCOL'],
        [3, false, 'E_PROTOCOL'],
        [4, true, undefined],
      ],
    );
    assert.match(replies[0].error.message, /not available over hako agent rpc/);
    assert.deepEqual(replies[1].error.supported, [1]);
  });
});

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
