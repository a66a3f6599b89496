/**
 * The parts of sync that need no server:
 * - SSH targets from `.hako/servers.json` (written by whoever can push to the repository) can
 *   never become an ssh option or carry shell characters; the ssh command line ends options
 *   with `--` before the target and pins host keys; a hostile servers.json stops `hako sync`
 *   before ssh runs; failed servers make exit 1, however many.
 * - `hako servers rm` checks every environment it will rotate before changing any: a
 *   passphrase environment needs --passphrase or --random.
 * - `hako export --format k8s-secret` writes a Secret manifest as a SOPS file that two readers
 *   which are not hako's (the npm `sops-age` package and the spec reading in test/sops/) open
 *   with the cluster's age identity, with the values in `data`.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { decryptSops } from 'sops-age';
import { parse as parseYaml } from 'yaml';
import { Project, tempDir, hakoInProcessByDefault } from './helpers.js';
import { specDataKey, specDecrypt } from './sops/spec-reader.js';
import { parseServersFile, parseTarget } from '../src/core/formats/servers-file.js';
import { sshArgs } from '../src/services/ssh-rpc.js';

hakoInProcessByDefault();

describe('SSH targets from servers.json', () => {
  test('user@host[:port] parses; IPv6 in brackets', () => {
    assert.deepEqual(parseTarget('deploy@web-1.example.com'), { user: 'deploy', host: 'web-1.example.com', port: null });
    assert.deepEqual(parseTarget('deploy@10.0.0.5:2222'), { user: 'deploy', host: '10.0.0.5', port: 2222 });
    assert.deepEqual(parseTarget('web-1'), { user: null, host: 'web-1', port: null });
    assert.deepEqual(parseTarget('root@[::1]:22'), { user: 'root', host: '::1', port: 22 });
  });

  test('anything ssh could read as an option, or a shell could split, is refused', () => {
    for (const bad of [
      '-oProxyCommand=touch /tmp/pwned',
      '-p22',
      'deploy@-oProxyCommand=x',
      '-deploy@host',
      'deploy@host -oProxyCommand=x',
      'deploy@host\t-o',
      'deploy@host\nx',
      'deploy@ho$t',
      'deploy@host;id',
      'de ploy@host',
      'deploy@host:0',
      'deploy@host:65536',
      'deploy@host:22:23',
      'deploy@',
      '@host',
      'deploy@host/x',
      'deploy@[::1',
      'deploy@host`id`',
      '',
    ]) {
      assert.throws(() => parseTarget(bad), { code: 'E_USAGE' }, JSON.stringify(bad));
    }
  });

  test('the ssh command line pins host keys and puts -- before the target', () => {
    const args = sshArgs({}, { name: 'web-1', target: 'deploy@10.0.0.5:2222', knownHosts: '/k/known_hosts' });
    const dash = args.indexOf('--');
    assert.deepEqual(args.slice(dash), ['--', 'deploy@10.0.0.5', 'hako agent rpc']);
    assert.ok(args.includes('StrictHostKeyChecking=yes'));
    assert.ok(args.includes('UserKnownHostsFile=/k/known_hosts'));
    assert.ok(args.includes('HostKeyAlias=hako-server-web-1'));
    assert.ok(args.includes('BatchMode=yes'));
    assert.deepEqual(args.slice(dash - 2, dash), ['-p', '2222']);
    const learn = sshArgs({}, { name: 'web-1', target: 'deploy@h', knownHosts: '/k/learn', learn: true });
    assert.ok(learn.includes('StrictHostKeyChecking=accept-new'));
  });

  const good = {
    apps: ['web'],
    environments: ['production'],
    host_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHrzJpkXhp0pEGfGqxm1cZVrG+A6wYbC0y8o7F0K6b0z'],
    recipient: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
    target: 'deploy@web-1.example.com',
  };

  test('servers.json: a good file parses; hostile fields are refused', () => {
    const ok = parseServersFile(JSON.stringify({ servers: { 'web-1': good }, version: 1 }));
    assert.equal(ok.servers.get('web-1')!.target, 'deploy@web-1.example.com');
    const bad = (s: object) => JSON.stringify({ servers: { 'web-1': { ...good, ...s } }, version: 1 });
    assert.throws(() => parseServersFile(bad({ target: '-oProxyCommand=sh -c id' })), { code: 'E_FORMAT' });
    assert.throws(() => parseServersFile(bad({ host_keys: ['ssh-ed25519 AAAA\nhako-server-x ssh-ed25519 BBBB'] })), { code: 'E_FORMAT' });
    assert.throws(() => parseServersFile(bad({ host_keys: [] })), { code: 'E_FORMAT' });
    assert.throws(() => parseServersFile(bad({ recipient: 'ssh-ed25519 AAAA' })), { code: 'E_FORMAT' });
    assert.throws(() => parseServersFile(bad({ environments: ['Prod;x'] })), { code: 'E_FORMAT' });
    assert.throws(() => parseServersFile(bad({ command: 'rm -rf /' })), { code: 'E_FORMAT' });
    assert.throws(() => parseServersFile(JSON.stringify({ servers: { '-x': good }, version: 1 })), { code: 'E_FORMAT' });
  });

  test('hako sync with a hostile servers.json fails before ssh runs', () => {
    const p = new Project();
    p.set('A', 'value-a-1234', 'production');
    const dir = tempDir('hako-fake-ssh-');
    const marker = join(dir, 'ran');
    const fake = join(dir, 'ssh');
    writeFileSync(fake, `#!/bin/sh\ntouch ${marker}\nexit 255\n`);
    chmodSync(fake, 0o755);
    writeFileSync(
      join(p.dir, '.hako', 'servers.json'),
      JSON.stringify({ servers: { 'web-1': { ...good, target: '-oProxyCommand=touch /tmp/x' } }, version: 1 }),
    );
    const r = p.run(['sync', '--env', 'production'], { env: { HAKO_SSH: fake } });
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /starts with "-"/);
    assert.ok(!existsSync(marker), 'ssh was never started');
    p.cleanup();
  });

  test('two servers that fail: exit 1 (not 2, a usage error), both named, failed: 2 in --json', () => {
    const p = new Project();
    p.set('A', 'value-a-1234', 'production');
    const dir = tempDir('hako-fake-ssh-');
    const fake = join(dir, 'ssh');
    writeFileSync(fake, '#!/bin/sh\necho "ssh: connect to host: Connection refused" >&2\nexit 255\n');
    chmodSync(fake, 0o755);
    const servers = { 'web-1': good, 'web-2': { ...good, target: 'deploy@web-2.example.com' } };
    writeFileSync(join(p.dir, '.hako', 'servers.json'), JSON.stringify({ servers, version: 1 }));
    const r = p.run(['sync', '--env', 'production'], { env: { HAKO_SSH: fake } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /web-1 failed/);
    assert.match(r.stderr, /web-2 failed/);
    const j = p.run(['sync', '--env', 'production', '--json'], { env: { HAKO_SSH: fake } });
    assert.equal(j.code, 1);
    assert.equal(JSON.parse(j.stdout).failed, 2);
    p.cleanup();
  });
});

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHrzJpkXhp0pEGfGqxm1cZVrG+A6wYbC0y8o7F0K6b0z';

describe('hako servers rm', () => {
  test('a passphrase environment needs --passphrase or --random, checked before anything changes', async () => {
    const p = new Project();
    try {
      const pass = { HAKO_PASSPHRASE: 'correct horse battery staple servers' };
      p.set('A', 'value-prod-1234', 'production');
      p.ok(['env', 'add', 'staging', '--passphrase'], { env: pass });
      p.ok(['set', 'B', '--env', 'staging'], { input: 'value-staging-5678\n', env: pass });
      const server = await identityToRecipient(await generateIdentity());
      for (const env of ['production', 'staging']) p.ok(['recipients', 'add', server, '--env', env, '--name', 'web-1', '--role', 'server']);
      const entry = {
        apps: ['web'],
        environments: ['production', 'staging'],
        host_keys: [HOST_KEY],
        recipient: server,
        target: 'deploy@web-1.example.com',
      };
      writeFileSync(join(p.dir, '.hako', 'servers.json'), JSON.stringify({ servers: { 'web-1': entry }, version: 1 }));
      const before = { secrets: p.file(), servers: readFileSync(join(p.dir, '.hako', 'servers.json'), 'utf8') };

      const refused = p.run(['servers', 'rm', 'web-1'], { env: pass });
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /replaces the key of 'staging', which uses a passphrase; nothing was changed/);
      assert.match(refused.stderr, /^hako: hint: .*--passphrase.*--random/m);
      assert.equal(p.file(), before.secrets, 'production was not rotated on the way');
      assert.equal(readFileSync(join(p.dir, '.hako', 'servers.json'), 'utf8'), before.servers);

      const newPass = 'a new passphrase for staging only';
      const r = p.run(['servers', 'rm', 'web-1', '--passphrase', '--force', '--json'], { env: { ...pass, HAKO_NEW_PASSPHRASE: newPass } });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        JSON.parse(r.stdout).rotated.map((x: { env: string }) => x.env),
        ['production', 'staging'],
      );
      const after = p.json().environments;
      assert.ok(after.staging.passphrase, 'staging still derives its key from a passphrase');
      assert.equal(after.production.passphrase, undefined, 'production keeps a random key');
      assert.equal(JSON.parse(readFileSync(join(p.dir, '.hako', 'servers.json'), 'utf8')).servers['web-1'], undefined);
      // Another machine with only the new passphrase opens staging.
      const other = tempDir('hako-other-home-');
      const got = p.run(['get', 'B', '--env', 'staging', '-n'], { env: { HAKO_HOME: other, HOME: other, HAKO_PASSPHRASE: newPass } });
      assert.equal(got.code, 0, got.stderr);
      assert.equal(got.stdout, 'value-staging-5678');
    } finally {
      p.cleanup();
    }
  });
});

describe('hako export --format k8s-secret', () => {
  test('a SOPS-encrypted Secret manifest that sops-age and the spec reading open, values in data', async () => {
    const p = new Project();
    const values: Record<string, string> = {
      DATABASE_URL: 'postgres://app:pa55-word@db/app',
      MULTI_LINE: 'line one\nline two: "quoted"\n',
      API_TOKEN: 'tok_0123456789abcdef',
    };
    for (const [k, v] of Object.entries(values)) p.set(k, v, 'production');
    // set strips one trailing newline: store MULTI_LINE exactly from a file
    const f = join(p.dir, 'multi.txt');
    writeFileSync(f, values['MULTI_LINE']!);
    p.ok(['set', 'MULTI_LINE', '--env', 'production', '--from-file', f]);
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    mkdirSync(join(p.dir, 'deploy'));
    const r = p.ok([
      'export',
      '--env',
      'production',
      '--format',
      'k8s-secret',
      '--age',
      recipient,
      '--name',
      'web',
      '--namespace',
      'prod',
      '-o',
      'deploy/web.secret.yaml',
    ]);
    assert.match(r.stderr, /wrote deploy\/web.secret.yaml/);
    const text = readFileSync(join(p.dir, 'deploy', 'web.secret.yaml'), 'utf8');
    for (const v of Object.values(values)) {
      assert.ok(!text.includes(v), 'no value in the clear');
      assert.ok(!text.includes(Buffer.from(v).toString('base64')), 'no value in base64 in the clear');
    }
    const doc = parseYaml(text);
    assert.equal(doc.apiVersion, 'v1');
    assert.equal(doc.kind, 'Secret');
    assert.deepEqual(doc.metadata.name, 'web');
    assert.deepEqual(doc.metadata.namespace, 'prod');
    assert.equal(doc.sops.encrypted_regex, '^(data|stringData)$');
    assert.match(doc.data.DATABASE_URL, /^ENC\[AES256_GCM,/);
    // reader 1: sops-age
    const out = (await decryptSops(text, { fileType: 'yaml', secretKey: identity })) as { data: Record<string, string> };
    for (const [k, v] of Object.entries(values)) assert.equal(Buffer.from(out.data[k]!, 'base64').toString('utf8'), v, k);
    // reader 2: the spec reading (checks the MAC too)
    const key = await specDataKey(text, 'yaml', identity);
    const read = new Map(specDecrypt(text, 'yaml', key).values);
    for (const [k, v] of Object.entries(values)) assert.equal(Buffer.from(read.get(`data.${k}`)!, 'base64').toString('utf8'), v, k);
    assert.equal(read.get('metadata.name'), 'web');

    // names that change what a process does need --allow (pods may take them as variables)
    p.set('LD_PRELOAD', '/x.so', 'production');
    const refused = p.run(['export', '--env', 'production', '--format', 'k8s-secret', '--age', recipient]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /LD_PRELOAD/);
    assert.equal(refused.stdout, '');
    const allowed = p.ok(['export', '--env', 'production', '--format', 'k8s-secret', '--age', recipient, '--allow', 'LD_PRELOAD']);
    assert.match(allowed.stdout, /name: production-secrets/);
    p.cleanup();
  });
});
