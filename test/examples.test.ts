/**
 * examples/demo-app: the committed accessors match `hako typegen`, the committed demo
 * environment opens with the passphrase the demo script (and README) print, and the app
 * gets its secrets on fd 3, answers over HTTP and prints no value. The whole `npm run demo`
 * path runs as soon as this build has `hako run`.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertNoSecretIn, baseEnv, finished, REPO_ROOT, runHako, tempDir, hakoInProcessByDefault } from './helpers.js';
import { envelope, runWithFd3 } from './sdk-probe.js';

hakoInProcessByDefault();

const APP_DIR = join(REPO_ROOT, 'examples', 'demo-app');
const BUILT = join(REPO_ROOT, 'build', 'examples', 'demo-app');
const DEMO_SH = readFileSync(join(REPO_ROOT, 'scripts', 'demo.sh'), 'utf8');
const PASSPHRASE = /^export HAKO_PASSPHRASE_DEMO='([^']+)'$/m.exec(DEMO_SH)?.[1];

describe('examples/demo-app', () => {
  let home: string;
  let values: Record<string, string>;
  before(() => {
    home = tempDir('hako-demo-home-');
    assert.ok(PASSPHRASE, 'scripts/demo.sh sets HAKO_PASSPHRASE_DEMO');
    // An empty key store: only the published passphrase opens the environment.
    const r = runHako(['export', '--env', 'demo', '--format', 'json'], {
      cwd: APP_DIR,
      env: baseEnv({ HAKO_HOME: home, HOME: home, HAKO_PASSPHRASE_DEMO: PASSPHRASE }),
    });
    assert.equal(r.code, 0, r.stderr);
    values = JSON.parse(r.stdout);
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('the committed hako-secrets.ts is what hako typegen makes now', () => {
    const env = baseEnv({ HAKO_HOME: home, HOME: home });
    const r = runHako(['typegen'], { cwd: APP_DIR, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      readFileSync(join(APP_DIR, 'hako-secrets.ts'), 'utf8'),
      r.stdout,
      'run: cd examples/demo-app && hako typegen --out hako-secrets.ts',
    );
    assert.equal(runHako(['typegen', '--check', '--out', 'hako-secrets.ts'], { cwd: APP_DIR, env }).code, 0);
  });

  test('the demo environment opens with the published passphrase and holds the required names', () => {
    assert.deepEqual(Object.keys(values).sort(), ['API_TOKEN', 'DATABASE_URL', 'SESSION_SECRET']);
  });

  for (const kind of ['socket', 'fifo'] as const) {
    test(`demo.js gets its secrets on a ${kind} on fd 3, answers, exits by itself, prints no value`, async () => {
      const r = await runWithFd3(
        [process.execPath, join(BUILT, 'demo.js')],
        { kind, data: envelope(values, 'demo') },
        baseEnv({ HAKO_SECRETS_FD: '3' }),
      );
      assert.equal(r.code, 0, r.stderr);
      assertDemoOutput(r.stdout, r.stderr, values);
    });
  }

  test('server.js serves until stopped', async () => {
    const child = spawn(process.execPath, [join(BUILT, 'server.js')], {
      env: baseEnv({ HAKO_SECRETS_FD: '3', PORT: '0' }),
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const done = finished(child);
    (child.stdio[3] as NodeJS.WritableStream).end(envelope(values, 'demo'));
    const line = await new Promise<string>((resolve, reject) => {
      let seen = '';
      child.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('\n')) resolve(seen);
      });
      child.on('exit', () => reject(new Error('server exited early')));
    });
    const port = /127\.0\.0\.1:(\d+)\//.exec(line)?.[1];
    assert.ok(port && port !== '0', line);
    const res = await fetch(`http://127.0.0.1:${port}/admin`, { headers: { authorization: `Bearer ${values['API_TOKEN']}` } });
    assert.equal(res.status, 200);
    child.kill('SIGTERM');
    const r = await done;
    assert.equal(r.signal, 'SIGTERM');
    assertNoSecretIn([r.stdout, r.stderr], Object.values(values));
  });

  test('npm run demo: scripts/demo.sh through hako run --via fd3', (t) => {
    if (runHako(['run', '--help']).code !== 0) {
      t.skip('this build has no `hako run` yet');
      return;
    }
    const r = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'demo.sh')], { env: baseEnv(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /hako-secrets\.ts is up to date/);
    assertDemoOutput(r.stdout, r.stderr, values);
  });
});

function assertDemoOutput(stdout: string, stderr: string, values: Record<string, string>): void {
  assert.match(stdout, /GET \/ → 200\n/);
  assert.match(stdout, /"environment": "demo",\n  "via": "fd3",/);
  assert.match(stdout, /"DATABASE_URL": "\d+ characters"/);
  assert.match(stdout, /"SENTRY_DSN": "missing \(optional\)"/);
  assert.match(stdout, /"database_host": "db\.demo\.internal"/);
  assert.match(stdout, /GET \/admin without a token → 401\n/);
  assert.match(stdout, /GET \/admin with API_TOKEN → 200\n/);
  assert.match(stdout, /\[hako secrets: API_TOKEN, DATABASE_URL, SESSION_SECRET\]\n$/);
  assertNoSecretIn([stdout, stderr], Object.values(values));
}
