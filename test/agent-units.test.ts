/**
 * Agent pieces without processes: the store (sealing, binding, versions, rollback, WAL, no
 * plaintext on disk), receiving a real entry wrapped to the agent's recipient, key
 * continuity, the protocol's checks, line framing, and the roll logic and queue.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AgentStore } from '../src/agent/store.js';
import { reapLeftovers } from '../src/agent/reaper.js';
import { createPrivateDir } from '../src/launcher/private-dir.js';
import { readDeviceKey } from '../src/agent/device-key.js';
import { readServerIdentity } from '../src/agent/server-identity.js';
import { openReceivedEntry } from '../src/agent/receive.js';
import { acceptKeyChain } from '../src/agent/continuity.js';
import { parseRequest, errorLine, MAX_LINE_BYTES } from '../src/agent/protocol.js';
import { LineReader } from '../src/agent/lines.js';
import { rollSlots, RollQueue, type RollOps } from '../src/agent/roll.js';
import { parseAppConfig } from '../src/agent/app-config.js';
import { entryHash } from '../src/core/formats/entry-hash.js';
import { isHakoError } from '../src/core/errors.js';
import { AgentDir, projectFor } from './agent-helpers.js';
import { tempDir } from './helpers.js';
import { bech32Decode, x25519Recipient } from '../src/agent/x25519-identity.js';
import { openAgeX25519 } from '../src/agent/age-x25519.js';

const code = (c: string) => (err: unknown) => isHakoError(err) && err.code === c;

describe('agent store', () => {
  let agent: AgentDir;
  before(() => {
    agent = new AgentDir();
  });
  after(() => agent.cleanup());

  test('init: a 0700 directory with 0600 key, identity and store; a second init keeps them', async () => {
    const { statSync } = await import('node:fs');
    assert.equal(statSync(agent.dir).mode & 0o777, 0o700);
    for (const f of ['device.key', 'identity.txt', 'agent.db']) assert.equal(statSync(join(agent.dir, f)).mode & 0o777, 0o600, f);
    const again = await (await import('../src/agent/setup.js')).initAgentDir(agent.dir);
    assert.equal(again.recipient, agent.recipient);
    assert.equal(again.created, false);
  });

  test("a dead instance: the reaper removes its --via files folder, and leaves a folder not named like hako's", async (t) => {
    if (!existsSync('/dev/shm')) return t.skip('needs /dev/shm');
    const key = readDeviceKey(join(agent.dir, 'device.key'));
    const store = await AgentStore.open(join(tempDir('hako-store-'), 'a.db'), key, { create: true, keep: 3 });
    const base = mkdtempSync('/dev/shm/hako-reap-test-');
    t.after(() => rmSync(base, { recursive: true, force: true }));
    try {
      const files = createPrivateDir('hako-run', { XDG_RUNTIME_DIR: base }, { allowDisk: true });
      files.writeFile('API_TOKEN', 'tok-reaped-value');
      const foreign = join(base, 'not-hako');
      mkdirSync(foreign);
      writeFileSync(join(foreign, 'keep'), 'x');
      const dead = { app: 'web', slot: 0, version: 1, pgid: 999_999, startTime: '1', port: 1, startedAt: 0 };
      store.addInstance({ ...dead, pid: 999_998, filesDir: files.path });
      store.addInstance({ ...dead, pid: 999_997, filesDir: foreign });
      const report = await reapLeftovers(store, 10);
      assert.equal(report.gone, 2);
      assert.equal(existsSync(files.path), false, "the dead instance's plaintext folder is gone");
      assert.equal(readFileSync(join(foreign, 'keep'), 'utf8'), 'x', "a folder not named like hako's stays");
      assert.deepEqual(store.instances(), []);
    } finally {
      store.close();
    }
  });

  test('values are sealed, bound to env/version/name, kept N versions, restored after a failed roll', async () => {
    const key = readDeviceKey(join(agent.dir, 'device.key'));
    const db = join(tempDir('hako-store-'), 'a.db');
    const store = await AgentStore.open(db, key, { create: true, keep: 3 });
    try {
      const plain = 'plaintext-value-that-must-not-be-on-disk';
      const hashes: string[] = [];
      for (let i = 1; i <= 5; i++) {
        const h = `sha256:${String(i).repeat(64)}`;
        hashes.push(h);
        assert.equal(
          store.addVersion(
            'production',
            h,
            '0123456789abcdef',
            new Map([
              ['A', `${plain}-${i}`],
              ['B', 'b'],
            ]),
            ['0123456789abcdef'],
          ),
          i,
        );
      }
      assert.deepEqual(store.environments()[0]!.versions, [3, 4, 5]);
      assert.equal(store.values('production', 5).get('A'), `${plain}-5`);
      assert.equal(store.current('production')!.hash, hashes[4]);
      // A failed roll of 5: current goes back to 4 and 5 is dropped.
      store.restoreVersion('production', 5, 4);
      assert.equal(store.current('production')!.version, 4);
      assert.deepEqual(store.environments()[0]!.versions, [3, 4]);
      // A version number is never reused.
      assert.equal(store.addVersion('production', hashes[0]!, '0123456789abcdef', new Map([['A', 'x']]), ['0123456789abcdef']), 6);
      assert.equal(store.integrity(), 'ok');
      assert.equal(
        (store as unknown as { db: { pragma(s: string, o: object): unknown } }).db.pragma('journal_mode', { simple: true }),
        'wal',
      );
      // Moving a sealed value to another name fails to open.
      const raw = (store as unknown as { db: import('better-sqlite3').Database }).db;
      raw
        .prepare(
          "UPDATE secret_values SET sealed = (SELECT sealed FROM secret_values WHERE env='production' AND version=4 AND name='A') WHERE version=4 AND name='B'",
        )
        .run();
      assert.throws(() => store.values('production', 4), code('E_TAMPERED'));
      for (const f of [db, `${db}-wal`]) {
        const bytes = readFileSync(f);
        assert.equal(bytes.includes(Buffer.from(plain)), false, `${f} holds a value`);
      }
    } finally {
      store.close();
    }
    await assert.rejects(AgentStore.open(db, Buffer.alloc(32, 7)), code('E_WRONG_KEY'));
  });
});

describe('receiving an environment', () => {
  let agent: AgentDir;
  let project: ReturnType<typeof projectFor>;
  before(() => {
    agent = new AgentDir();
    project = projectFor(agent, 'production', { GREETING: 'hello-from-the-repo', DB_URL: 'postgres://u:p@h/db' });
  });
  after(() => {
    agent.cleanup();
    project.cleanup();
  });

  test('opens the repository entry with the agent identity, checks the hash, pins the key', async () => {
    const id = await readServerIdentity(join(agent.dir, 'identity.txt'));
    const entry = project.json().environments.production;
    const hash = entryHash('production', entry);
    const got = await openReceivedEntry('production', entry, hash, id, null);
    assert.equal(got.values.get('GREETING'), 'hello-from-the-repo');
    assert.deepEqual(got.pin, entry.chain, 'the key chain made by hako is what the agent pins');
    // The same key again is accepted; the hash must be the entry's own.
    await openReceivedEntry('production', entry, hash, id, got.pin);
    await assert.rejects(openReceivedEntry('production', entry, `sha256:${'0'.repeat(64)}`, id, null), code('E_PROTOCOL'));
    // Another environment's entry under this name: another key, refused by the pin.
    const other = projectFor(agent, 'production', { GREETING: 'forged' });
    try {
      const forged = other.json().environments.production;
      await assert.rejects(openReceivedEntry('production', forged, entryHash('production', forged), id, got.pin), code('E_KEY_CHANGE'));
    } finally {
      other.cleanup();
    }
    // An entry this server is not a recipient of.
    const stranger = new AgentDir();
    try {
      const sid = await readServerIdentity(join(stranger.dir, 'identity.txt'));
      await assert.rejects(openReceivedEntry('production', entry, hash, sid, null), code('E_NO_KEY'));
    } finally {
      stranger.cleanup();
    }
    // A changed value fails authentication, whatever the hash says.
    const tampered = structuredClone(entry);
    tampered.secrets.DB_URL = tampered.secrets.GREETING;
    await assert.rejects(openReceivedEntry('production', tampered, entryHash('production', tampered), id, null), code('E_TAMPERED'));
  });

  test('entry hash ignores key order and whitespace, not content or environment', () => {
    const a = { key_id: '0123456789abcdef', check: 'v1:x', secrets: { A: 'v1:y' } };
    const b = JSON.parse('{ "secrets": {"A":"v1:y"}, "check":"v1:x", "key_id":"0123456789abcdef" }');
    assert.equal(entryHash('p', a), entryHash('p', b));
    assert.notEqual(entryHash('p', a), entryHash('q', a));
    assert.notEqual(entryHash('p', a), entryHash('p', { ...a, check: 'v1:z' }));
  });
});

describe('systemd unit', () => {
  test('runs hako agent run as the user, with the state directory, killing leftovers with it', async () => {
    const { systemdUnit } = await import('../src/agent/setup.js');
    const u = systemdUnit({ user: 'hako', dir: '/var/lib/hako', exec: '/usr/bin/node /opt/hako/build/cli/hako.cjs' });
    assert.match(u, /^User=hako$/m);
    assert.match(u, /^Environment=HAKO_AGENT_DIR=\/var\/lib\/hako$/m);
    assert.match(u, /^ExecStart=\/usr\/bin\/node \/opt\/hako\/build\/cli\/hako.cjs agent run$/m);
    assert.match(u, /^KillMode=mixed$/m);
    assert.match(u, /^StateDirectory=hako$/m);
    assert.doesNotMatch(systemdUnit({ user: 'hako', dir: '/srv/hako', exec: 'hako' }), /StateDirectory/);
  });
});

describe('server identity', () => {
  test('the recipient computed without the age library is the one age computes', async () => {
    const age = await import('age-encryption');
    for (let i = 0; i < 5; i++) {
      const id = await age.generateX25519Identity();
      assert.equal(x25519Recipient(id), await age.identityToRecipient(id));
      assert.equal(x25519Recipient(id.toLowerCase()), await age.identityToRecipient(id));
    }
    const id = await age.generateX25519Identity();
    const flipped = id.slice(0, -1) + (id.endsWith('Q') ? 'P' : 'Q');
    assert.equal(x25519Recipient(flipped), null, 'a bad checksum is refused');
    assert.equal(x25519Recipient('AGE-SECRET-KEY-1'), null);
    assert.equal(bech32Decode('age1MixedCase', 'age'), null);
  });

  test('age files made by age-encryption open with node:crypto alone; any changed byte does not', async () => {
    const age = await import('age-encryption');
    const id = await age.generateX25519Identity();
    const other = await age.generateX25519Identity();
    for (const size of [32, 0, 70_000, 65_536]) {
      const plain = Buffer.alloc(size, 7);
      const e = new age.Encrypter();
      e.addRecipient(await age.identityToRecipient(other));
      e.addRecipient(await age.identityToRecipient(id));
      const file = Buffer.from(await e.encrypt(plain));
      assert.deepEqual(openAgeX25519(file, id), plain, `size ${size}`);
      assert.deepEqual(openAgeX25519(file, other), plain, `size ${size}, first stanza`);
      assert.equal(openAgeX25519(file, await age.generateX25519Identity()), null);
      if (size !== 32) continue;
      for (let i = 0; i < file.length; i += 7) {
        const bad = Buffer.from(file);
        bad[i]! ^= 0x01;
        assert.equal(openAgeX25519(bad, id), null, `byte ${i} changed`);
      }
      assert.equal(openAgeX25519(file.subarray(0, file.length - 1), id), null, 'truncated');
    }
  });
});

describe('key continuity', () => {
  const key = new Uint8Array(32);
  test('first push pins; same chain passes; rollback, fork and unverifiable extension are refused', () => {
    assert.deepEqual(acceptKeyChain(null, { env: 'p', keyId: 'aaaaaaaaaaaaaaaa', chain: null, key }), ['aaaaaaaaaaaaaaaa']);
    assert.deepEqual(acceptKeyChain(['aaaaaaaaaaaaaaaa'], { env: 'p', keyId: 'aaaaaaaaaaaaaaaa', chain: null, key }), ['aaaaaaaaaaaaaaaa']);
    assert.throws(
      () => acceptKeyChain(['aaaaaaaaaaaaaaaa'], { env: 'p', keyId: 'bbbbbbbbbbbbbbbb', chain: null, key }),
      code('E_KEY_CHANGE'),
    );
    assert.throws(() => acceptKeyChain(['l1', 'l2'], { env: 'p', keyId: 'k', chain: ['l1'], key }), /retired/);
    // An extension is accepted here; its signatures were checked before (verifyEntryChain in receive.ts).
    assert.deepEqual(acceptKeyChain(['l1'], { env: 'p', keyId: 'k', chain: ['l1', 'l2'], key }), ['l1', 'l2']);
    assert.throws(() => acceptKeyChain(['l1', 'l2'], { env: 'p', keyId: 'k', chain: ['l1', 'x2'], key }), /fork/);
  });
});

describe('control protocol', () => {
  const ok = (o: object, channel: 'socket' | 'rpc' = 'rpc') => parseRequest(JSON.stringify(o), channel);
  const refused = (o: unknown, pattern: RegExp, channel: 'socket' | 'rpc' = 'rpc') =>
    assert.throws(
      () => parseRequest(typeof o === 'string' ? o : JSON.stringify(o), channel),
      (e: unknown) => isHakoError(e) && e.code === 'E_PROTOCOL' && pattern.test(e.message),
    );

  test('accepts the known methods with their fields', () => {
    assert.deepEqual(ok({ v: 1, id: 1, method: 'status' }).request, { method: 'status', params: {} });
    const hash = `sha256:${'a'.repeat(64)}`;
    assert.equal(ok({ v: 1, id: 'x', method: 'push-environment', params: { env: 'production', entry: {}, hash } }).id, 'x');
    assert.deepEqual(ok({ v: 1, id: 2, method: 'logs-tail', params: { app: 'web' } }).request.params, { app: 'web', lines: 100 });
  });

  test('refuses other versions, methods, fields and malformed values', () => {
    refused('not json', /not JSON/);
    refused([1], /JSON object/);
    refused({ v: 2, id: 1, method: 'status' }, /unsupported protocol version 2/);
    refused({ id: 1, method: 'status' }, /unsupported protocol version/);
    refused({ v: 1, method: 'status' }, /"id"/);
    refused({ v: 1, id: -1, method: 'status' }, /"id"/);
    refused({ v: 1, id: 1, method: 'status', extra: 1 }, /unknown field "extra"/);
    refused({ v: 1, id: 1, method: 'shutdown' }, /unknown method/);
    refused({ v: 1, id: 1, method: 'status', params: { x: 1 } }, /unknown field params/);
    refused({ v: 1, id: 1, method: 'app-status', params: { app: '../etc' } }, /app name/);
    refused({ v: 1, id: 1, method: 'environment-hash', params: { env: 'Prod' } }, /environment name/);
    refused({ v: 1, id: 1, method: 'push-environment', params: { env: 'p', entry: [], hash: `sha256:${'a'.repeat(64)}` } }, /entry/);
    refused({ v: 1, id: 1, method: 'push-environment', params: { env: 'p', entry: {}, hash: 'md5:00' } }, /hash/);
    refused({ v: 1, id: 1, method: 'logs-tail', params: { app: 'web', lines: 1e9 } }, /lines/);
    refused({ v: 1, id: 1, method: '__proto__' }, /unknown method/);
  });

  test('app management is for the local socket only', () => {
    const add = { v: 1, id: 1, method: 'app-add', params: { config: {} } };
    refused(add, /not available over hako agent rpc/, 'rpc');
    assert.equal(ok(add, 'socket').request.method, 'app-add');
  });

  test('an error reply carries the id, the supported versions, and no internal detail', () => {
    let line = '';
    try {
      parseRequest('{"v":9,"id":4,"method":"status"}', 'rpc');
    } catch (e) {
      line = errorLine(4, e);
    }
    const r = JSON.parse(line);
    assert.equal(r.id, 4);
    assert.equal(r.ok, false);
    assert.deepEqual(r.error.supported, [1]);
    assert.deepEqual(JSON.parse(errorLine(1, new Error('secret detail'))).error, {
      code: 'E_INTERNAL',
      message: 'internal error in the agent (see its log)',
    });
  });

  test('line framing: split lines, drop an over-long one and carry on', () => {
    const lines: string[] = [];
    let overflow = 0;
    const r = new LineReader(
      10,
      (l) => lines.push(l),
      () => overflow++,
    );
    r.push(Buffer.from('ab\ncd'));
    r.push(Buffer.from('e\n0123456789ABC\nfg'));
    r.end();
    assert.deepEqual(lines, ['ab', 'cde', 'fg']);
    assert.equal(overflow, 1);
    assert.ok(MAX_LINE_BYTES >= 1 << 20);
  });

  test('app configs: defaults, and every field checked', () => {
    const c = parseAppConfig({ name: 'web', env: 'production', cmd: ['node', 'a.js'], port: 8080 });
    assert.equal(c.via, 'fd3');
    assert.equal(c.instances, 2);
    for (const bad of [
      { name: 'Web', env: 'p', cmd: ['x'], port: 1 },
      { name: 'web', env: 'p', cmd: [], port: 1 },
      { name: 'web', env: 'p', cmd: ['x'], port: 0 },
      { name: 'web', env: 'p', cmd: ['x'], port: 1, host: 'example.com' },
      { name: 'web', env: 'p', cmd: ['x'], port: 1, health: 'health' },
      { name: 'web', env: 'p', cmd: ['x'], port: 1, via: 'argv' },
      { name: 'web', env: 'p', cmd: ['x'], port: 1, allow: ['lower'] },
      { name: 'web', env: 'p', cmd: ['x'], port: 1, instances: 1000 },
      { name: 'web', env: 'p', cmd: ['x'], port: 1, cwd: 'relative' },
      { name: 'web', env: 'p', cmd: ['x'], port: 1, shell: true },
    ]) {
      assert.throws(() => parseAppConfig(bad), code('E_USAGE'), JSON.stringify(bad));
    }
  });
});

describe('rolling', () => {
  interface Fake {
    id: string;
    version: number;
  }
  function harness(failOn: (slot: number, version: number) => boolean, slots: number) {
    const events: string[] = [];
    const serving: (Fake | null)[] = Array.from({ length: slots }, (_, i) => ({ id: `old${i}`, version: 1 }));
    let n = 0;
    const ops: RollOps<Fake> = {
      serving: (s) => serving[s] ?? null,
      start: async (slot, version) => {
        if (failOn(slot, version)) {
          events.push(`fail ${slot}@${version}`);
          throw new Error('GET /health answered 500');
        }
        const f = { id: `n${++n}`, version };
        events.push(`start ${slot}@${version}`);
        return f;
      },
      route: (slot, f) => {
        serving[slot] = f;
        events.push(`route ${slot}:${f.id}`);
      },
      retire: async (f) => {
        events.push(`retire ${f.id}`);
      },
    };
    return { ops, events, serving };
  }

  test('each slot: start new, route it, then retire the old one', async () => {
    const h = harness(() => false, 2);
    assert.deepEqual(await rollSlots(h.ops, 2, 1, 2), { ok: true, swapped: 2 });
    assert.deepEqual(h.events, ['start 0@2', 'route 0:n1', 'retire old0', 'start 1@2', 'route 1:n2', 'retire old1']);
  });

  test('a failure stops the roll, leaves later slots alone and restores the swapped ones', async () => {
    const h = harness((slot, v) => slot === 1 && v === 2, 3);
    const r = await rollSlots(h.ops, 3, 1, 2);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.slot === 1 && /500/.test(r.reason) && r.restored[0] === 0);
    assert.deepEqual(h.events, ['start 0@2', 'route 0:n1', 'retire old0', 'fail 1@2', 'start 0@1', 'route 0:n2', 'retire n1']);
    assert.deepEqual(
      h.serving.map((f) => f!.version),
      [1, 1, 1],
    );
    assert.equal(h.serving[1]!.id, 'old1');
  });

  test('one roll at a time; changes meanwhile coalesce into one roll to the newest', async () => {
    const ran: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new RollQueue<number>(async (v) => {
      ran.push(v);
      if (v === 1) await gate;
      return v;
    });
    const first = q.request(1);
    const later = [q.request(2), q.request(4), q.request(3)];
    release();
    assert.equal(await first, 1);
    assert.deepEqual(await Promise.all(later), [4, 4, 4]);
    assert.deepEqual(ran, [1, 4]);
    assert.equal(q.busy, false);
  });
});
