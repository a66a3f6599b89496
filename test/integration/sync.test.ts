/**
 * `hako sync` end to end against three "servers" on 127.0.0.1, each a real sshd (own port,
 * own host key, authorized key forced to `hako agent rpc`) and a real hako agent (own state
 * directory) running examples/agent-app. The client runs the system ssh through a wrapper
 * (HAKO_SSH) that logs every byte it carries.
 *
 * 1. servers add ×3; `hako set --sync` changes all three (the apps serve the new value); a
 *    second sync skips all three without sending the environment (table, wire, agent log).
 * 2. one sshd down: the other two update, the table names the failure, exit code 1; after it
 *    comes back, sync updates only that one.
 * 3. the bytes over the ssh connections hold no value, only the repository's ciphertext.
 * 4. servers rm rotates the environment; the removed server cannot open the next entry, and a
 *    server that is not a recipient is refused before anything is sent.
 * 5. a server showing another host key than the pinned one is refused.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT_APP } from '../agent-helpers.js';
import { Project, runHako, type RunResult } from '../helpers.js';
import { SSHD, SshClient, SshServer } from '../sync-helpers.js';
import { freePort } from '../../src/agent/instance.js';
import { skipUnless } from '../tools.js';

const greetingOf = (v: string) => createHash('sha256').update(v).digest('hex').slice(0, 16);
const NAMES = ['web-1', 'web-2', 'web-3'];

/** The hash of GREETING the app behind the agent's port serves (a fresh connection each time). */
function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET / answered ${res.statusCode}`));
        else resolve((JSON.parse(body) as { greeting: string }).greeting);
      });
    }).on('error', reject);
  });
}

function results(r: RunResult): Record<string, string> {
  const j = JSON.parse(r.stdout) as { servers: { server: string; result: string }[] };
  return Object.fromEntries(j.servers.map((s) => [s.server, s.result]));
}

function receivedCount(s: SshServer): number {
  return (s.running!.log().match(/environment 'production': received version/g) ?? []).length;
}

describe('hako sync to three sshd + agent pairs', { skip: skipUnless(SSHD, 'ssh', 'ssh-keygen') }, () => {
  let client: SshClient;
  let servers: SshServer[];
  let project: Project;
  const appPorts: number[] = [];
  const values: string[] = [];
  const marker = `mark-${randomBytes(6).toString('hex')}`;

  const hako = (args: string[], input?: string) => project.run(args, input === undefined ? {} : { input });
  const setGreeting = (v: string, sync: boolean) => {
    values.push(v);
    return hako(['set', 'GREETING', '--env', 'production', ...(sync ? ['--sync', '--json'] : [])], `${v}\n`);
  };

  before(async () => {
    client = new SshClient();
    servers = NAMES.map(() => new SshServer(client));
    await Promise.all(servers.map((s) => s.start()));
    project = new Project();
    project.env = { ...project.env, HAKO_SSH: client.ssh };
    const first = `first-${randomBytes(8).toString('hex')}`;
    values.push(first);
    project.set('GREETING', first, 'production');
    for (const s of servers) {
      const port = await freePort();
      appPorts.push(port);
      const r = runHako(
        [
          'agent',
          'app',
          'add',
          'demo',
          '--env',
          'production',
          '--port',
          String(port),
          '--instances',
          '1',
          '--health-timeout',
          '10',
          '--grace',
          '1',
          '--',
          process.execPath,
          AGENT_APP,
          marker,
        ],
        { env: s.agent.env() },
      );
      assert.equal(r.code, 0, r.stderr);
    }
  });

  after(async () => {
    await Promise.all((servers ?? []).map((s) => s.stop()));
    for (const s of servers ?? []) s.cleanup();
    project?.cleanup();
    client?.cleanup();
  });

  test('servers add learns each host key and recipient; the first sync delivers to all three', async () => {
    for (const [i, s] of servers.entries()) {
      const r = hako(['servers', 'add', NAMES[i]!, s.target, '--env', 'production', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.recipient, s.agent.recipient);
      assert.equal(j.host_keys[0], readFileSync(join(s.dir, 'host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' '));
      assert.deepEqual(j.apps, ['demo'], 'the agent reported its app using the environment');
    }
    const file = JSON.parse(readFileSync(join(project.dir, '.hako', 'servers.json'), 'utf8'));
    assert.deepEqual(Object.keys(file.servers), NAMES);
    assert.match(readFileSync(join(project.dir, '.hako', 'recipients.md'), 'utf8'), /server web-2/);
    const ls = hako(['servers', 'ls']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /web-3\s+\S+\s+production\s+never/);

    const r = hako(['sync', '--env', 'production', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(results(r), { 'web-1': 'updated', 'web-2': 'updated', 'web-3': 'updated' });
    for (const port of appPorts) assert.equal(await greeting(port), greetingOf(values[0]!));
  });

  test('set --sync changes all three; a second sync skips all three and sends no environment', async () => {
    const v = `second-${randomBytes(8).toString('hex')}`;
    const r = setGreeting(v, true);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(results(r), { 'web-1': 'updated', 'web-2': 'updated', 'web-3': 'updated' });
    for (const port of appPorts) assert.equal(await greeting(port), greetingOf(v));
    const counts = servers.map(receivedCount);
    assert.deepEqual(counts, [2, 2, 2]);

    client.clearLogs();
    const again = hako(['sync', '--env', 'production']);
    assert.equal(again.code, 0, again.stderr);
    for (const name of NAMES) assert.match(again.stdout, new RegExp(`^${name}\\s+unchanged\\s`, 'm'));
    assert.doesNotMatch(client.sent(), /push-environment/, 'only the fingerprint was asked for');
    assert.equal(client.argv().length, 3);
    await sleep(300); // agent log lines arrive through this process's event loop
    assert.deepEqual(servers.map(receivedCount), counts, 'no agent received a version');
    const ls = hako(['servers', 'ls', '--json']);
    assert.deepEqual(
      JSON.parse(ls.stdout).map((s: any) => s.last.production.result),
      ['unchanged', 'unchanged', 'unchanged'],
    );
  });

  test('one sshd down: the others update, the failure is named, exit 1; back up, only it updates', async () => {
    await servers[1]!.stopSshd();
    const v = `third-${randomBytes(8).toString('hex')}`;
    const r = setGreeting(v, true);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(results(r), { 'web-1': 'updated', 'web-2': 'failed', 'web-3': 'updated' });
    const failed = JSON.parse(r.stdout).servers[1];
    assert.equal(failed.error.code, 'E_SSH');
    assert.match(failed.error.message, /web-2/);
    assert.equal(await greeting(appPorts[0]!), greetingOf(v));
    assert.equal(await greeting(appPorts[1]!), greetingOf(values.at(-2)!), 'web-2 still serves the previous value');

    const table = hako(['sync', '--env', 'production']);
    assert.equal(table.code, 1);
    assert.match(table.stdout, /^web-2\s+failed\s/m);
    assert.match(table.stderr, /web-2 failed: server 'web-2'/);

    await servers[1]!.startSshd();
    const back = hako(['sync', '--env', 'production', '--json']);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(results(back), { 'web-1': 'unchanged', 'web-2': 'updated', 'web-3': 'unchanged' });
    assert.equal(await greeting(appPorts[1]!), greetingOf(v));
  });

  test('the bytes over ssh hold no value, only the repository ciphertext', () => {
    const sent = client.sent();
    const received = client.received();
    assert.ok(sent.length > 0 && received.length > 0);
    for (const v of values) {
      assert.ok(!sent.includes(v), 'a value was sent');
      assert.ok(!received.includes(v), 'a value came back');
      assert.ok(!sent.includes(Buffer.from(v).toString('base64').slice(0, 12)), 'a value was sent in base64');
    }
    const token = project.json().environments.production.secrets.GREETING as string;
    assert.ok(sent.includes(token), 'the committed ciphertext of GREETING travelled');
  });

  test('servers rm rotates; the removed server cannot open the new entry; a non-recipient is refused before sending', async () => {
    const keyBefore = project.json().environments.production.key_id;
    const rm = hako(['servers', 'rm', 'web-3', '--json']);
    assert.equal(rm.code, 0, rm.stderr);
    const j = JSON.parse(rm.stdout);
    assert.equal(j.rotated[0].old_key_id, keyBefore);
    const entry = project.json().environments.production;
    assert.notEqual(entry.key_id, keyBefore);
    assert.ok(!Object.keys(entry.recipients).includes(servers[2]!.agent.recipient));

    client.clearLogs();
    const dry = hako(['sync', '--env', 'production', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(results(dry), { 'web-1': 'would-update', 'web-2': 'would-update' });
    assert.doesNotMatch(client.sent(), /push-environment/, '--dry-run sends no environment');

    const r = hako(['sync', '--env', 'production', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(results(r), { 'web-1': 'updated', 'web-2': 'updated' }, 'the remaining servers accept the rotation');

    // The removed server, handed the new entry over its own rpc, cannot open it.
    const hash = JSON.parse(r.stdout).hash;
    const line = JSON.stringify({ v: 1, id: 1, method: 'push-environment', params: { env: 'production', entry, hash } });
    const direct = spawnSync(
      client.ssh,
      [
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-p',
        String(servers[2]!.port),
        '--',
        servers[2]!.target.replace(/:\d+$/, ''),
        'hako agent rpc',
      ],
      { input: `${line}\n`, encoding: 'utf8', timeout: 60_000 },
    );
    const reply = JSON.parse(direct.stdout.trim());
    assert.equal(reply.ok, false);
    assert.equal(reply.error.code, 'E_NO_KEY');

    // A servers.json that still lists it (a stale branch): refused here, nothing sent to it.
    const path = join(project.dir, '.hako', 'servers.json');
    const file = JSON.parse(readFileSync(path, 'utf8'));
    file.servers['web-3'] = {
      ...file.servers['web-1'],
      target: servers[2]!.target,
      recipient: servers[2]!.agent.recipient,
      host_keys: [readFileSync(join(servers[2]!.dir, 'host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ')],
    };
    writeFileSync(path, JSON.stringify(file));
    client.clearLogs();
    const stale = hako(['sync', '--env', 'production', '--server', 'web-3']);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /web-3' is not a recipient of 'production'/);
    assert.match(stale.stderr, /hint: make it one: hako servers add web-3 /);
    assert.equal(client.argv().length, 0, 'no connection was made');
    delete file.servers['web-3'];
    writeFileSync(path, JSON.stringify(file));
  });

  test('a server that shows another host key is refused', async () => {
    const s = servers[0]!;
    await s.stopSshd();
    rmSync(join(s.dir, 'host_ed25519'));
    rmSync(join(s.dir, 'host_ed25519.pub'));
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(s.dir, 'host_ed25519')]);
    await s.startSshd();
    const r = hako(['sync', '--env', 'production', '--server', 'web-1', '--json']);
    assert.equal(r.code, 1);
    const o = JSON.parse(r.stdout).servers[0];
    assert.equal(o.error.code, 'E_SSH');
    assert.match(o.error.message, /did not show the host key pinned/);
  });
});
