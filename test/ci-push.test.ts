/**
 * Platform pushes through fake `gh` and `wrangler` executables on PATH that record argv and
 * stdin: no value ever in argv, every pushed value on stdin, --dry-run runs nothing, and
 * only what changed goes again (hako's record of keyed fingerprints, the platform's names
 * and GitHub's update times).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Project } from './helpers.js';
import { AWKWARD, FakeCli, pathWith, projectWithValues, type FakeCall } from './ci-helpers.js';
import { hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

function assertNoValueInArgv(calls: FakeCall[], values: Record<string, string>): void {
  for (const c of calls) {
    const argv = c.argv.join('\0');
    for (const [name, v] of Object.entries(values)) if (v.length >= 2) assert.ok(!argv.includes(v), `the value of ${name} in argv`);
  }
}

/**
 * hako's environment for a push: the key, and the other key-material variables a CI job may
 * have set, which the platform CLI must not see; FAKE_SEEN shows the names are recorded.
 */
function withFake(p: Project, fake: FakeCli): NodeJS.ProcessEnv {
  return {
    PATH: pathWith(fake.dir),
    HAKO_KEY: p.ok(['key', 'export']).stdout.trim(),
    RUNNER_SECRETS_KEY: 'runner-mirror-key-for-push-test',
    HAKO_PASSPHRASE: 'a passphrase the CLI must not see',
    HAKO_PASSPHRASE_STAGING: 'another passphrase the CLI must not see', // an environment this project lacks: _DEVELOPMENT would be refused
    FAKE_SEEN: '1',
  };
}

/** docs/CI.md: the CLIs get hako's environment without key material. */
function assertNoKeyMaterialSeen(calls: FakeCall[]): void {
  assert.ok(calls.length > 0);
  for (const c of calls) {
    assert.ok(c.envNames.includes('FAKE_SEEN'), `${c.argv.join(' ')}: the fake recorded its environment`);
    const leaked = c.envNames.filter((n) => n === 'HAKO_KEY' || n === 'RUNNER_SECRETS_KEY' || n.startsWith('HAKO_PASSPHRASE'));
    assert.deepEqual(leaked, [], `${c.argv.join(' ')} saw key material variables`);
  }
}

test('push github: one gh secret set per value, the value on stdin only; then only what changed', () => {
  const p = projectWithValues(AWKWARD);
  const gh = new FakeCli('gh');
  try {
    const env = withFake(p, gh);
    const r = p.run(['push', 'github', '--repo', 'acme/shop'], { env });
    assert.equal(r.code, 0, r.stderr);
    const calls = gh.calls();
    assertNoValueInArgv(calls, AWKWARD);
    assertNoKeyMaterialSeen(calls);
    assert.deepEqual(calls[0]!.argv, ['secret', 'list', '--json', 'name,updatedAt', '--repo', 'acme/shop']);
    const sets = calls.filter((c) => c.argv[1] === 'set');
    assert.deepEqual(
      sets.map((c) => c.argv),
      Object.keys(AWKWARD)
        .sort()
        .map((n) => ['secret', 'set', n, '--repo', 'acme/shop']),
    );
    for (const c of sets) assert.equal(c.stdin, AWKWARD[c.argv[2]!], `stdin of gh secret set ${c.argv[2]}`);
    assert.match(r.stderr, /8 pushed, 0 unchanged/);
    assert.match(r.stderr, /gh drops trailing line breaks from what it reads: GitHub stores CRLF, MULTI_LINE without them/);
    for (const v of Object.values(AWKWARD)) assert.ok(!r.stdout.includes(v) && !r.stderr.includes(v));

    // The record: 0600 under $HAKO_HOME/push, fingerprints and no value.
    const dir = join(p.home, 'push');
    const [file] = readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.equal(statSync(join(dir, file!)).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const text = readFileSync(join(dir, file!), 'utf8');
    for (const v of Object.values(AWKWARD)) assert.ok(!text.includes(v), 'a value in the push record');

    // GitHub now has them all, with the times it reports: nothing goes again.
    assert.deepEqual(
      gh
        .list()
        .map((e) => e.name)
        .sort(),
      Object.keys(AWKWARD).sort(),
    );
    gh.reset();
    const again = p.ok(['push', 'github', '--repo', 'acme/shop'], { env });
    assert.deepEqual(
      gh.calls().map((c) => c.argv[1]),
      ['list'],
    );
    assert.match(again.stderr, /0 pushed, 8 unchanged/);

    // One value changes in hako, one is deleted on GitHub, one is updated there by someone else.
    p.set('API_TOKEN', 'tok_live_rotated_0001');
    gh.setList(
      gh
        .list()
        .filter((e) => e.name !== 'UNICODE')
        .map((e) => (e.name === 'DB_URL' ? { name: e.name, updatedAt: '2040-05-05T00:00:00.000Z' } : e)),
    );
    gh.reset();
    const changed = p.ok(['push', 'github', '--repo', 'acme/shop'], { env });
    const pushed = gh.calls().filter((c) => c.argv[1] === 'set');
    assert.deepEqual(
      pushed.map((c) => c.argv[2]),
      ['API_TOKEN', 'DB_URL', 'UNICODE'],
    );
    assert.equal(pushed[0]!.stdin, 'tok_live_rotated_0001');
    assert.match(changed.stdout, /API_TOKEN\s+pushed\s+changed/);
    assert.match(changed.stdout, /DB_URL\s+pushed\s+changed on the platform/);
    assert.match(changed.stdout, /UNICODE\s+pushed\s+not on the platform/);
    assert.match(changed.stdout, /QUOTES\s+skipped\s+unchanged/);
    assertNoValueInArgv(gh.calls(), { ...AWKWARD, API_TOKEN: 'tok_live_rotated_0001' });
  } finally {
    p.cleanup();
  }
});

test('push --dry-run runs no CLI and plans from the record; --force pushes all; --environment and --only', () => {
  const p = projectWithValues({ A_KEY: 'value-aaaa', B_KEY: 'value-bbbb' });
  const gh = new FakeCli('gh');
  try {
    const env = withFake(p, gh);
    const dry = p.ok(['push', 'github', '--dry-run'], { env });
    assert.deepEqual(gh.calls(), []);
    assert.match(dry.stdout, /A_KEY\s+would push\s+not pushed by hako yet/);
    assert.match(dry.stderr, /github was not asked/);

    p.ok(['push', 'github', '--environment', 'production', '--only', 'A_KEY'], { env });
    assert.deepEqual(
      gh.calls().map((c) => c.argv),
      [
        ['secret', 'list', '--json', 'name,updatedAt', '--env', 'production'],
        ['secret', 'set', 'A_KEY', '--env', 'production'],
        ['secret', 'list', '--json', 'name,updatedAt', '--env', 'production'],
      ],
    );
    gh.reset();
    const dry2 = p.ok(['push', 'github', '--environment', 'production', '--dry-run', '--json'], { env });
    assert.deepEqual(gh.calls(), []);
    const plan = JSON.parse(dry2.stdout) as { items: { name: string; push: boolean; reason: string }[]; platform_asked: boolean };
    assert.equal(plan.platform_asked, false);
    assert.deepEqual(
      plan.items.map((i) => [i.name, i.push, i.reason]),
      [
        ['A_KEY', false, 'unchanged'],
        ['B_KEY', true, 'not pushed by hako yet'],
      ],
    );
    // Another target (the repository's own secrets) has its own record.
    assert.match(p.ok(['push', 'github', '--dry-run'], { env }).stdout, /A_KEY\s+would push/);

    gh.setList([...gh.list(), { name: 'LEGACY', updatedAt: '2030-01-01T00:00:00Z' }]);
    gh.reset();
    const forced = p.ok(['push', 'github', '--force'], { env });
    assert.deepEqual(
      gh
        .calls()
        .filter((c) => c.argv[1] === 'set')
        .map((c) => [c.argv[2], c.stdin]),
      [
        ['A_KEY', 'value-aaaa'],
        ['B_KEY', 'value-bbbb'],
      ],
    );
    assert.match(forced.stderr, /on github but not in 'development' \(left alone\): LEGACY/);
  } finally {
    p.cleanup();
  }
});

test('push github refuses GITHUB_ names, process-control names, bad --repo; a gh failure keeps what was pushed', () => {
  const p = projectWithValues({
    GITHUB_TOKEN: 'ghp_xxxxxxxxxxxx',
    LD_PRELOAD: '/tmp/evil.so',
    OK_ONE: 'ok-one-value',
    OK_TWO: 'ok-two-value',
  });
  const gh = new FakeCli('gh');
  try {
    const env = withFake(p, gh);
    const ctl = p.run(['push', 'github'], { env });
    assert.equal(ctl.code, 1);
    assert.match(ctl.stderr, /hako push github would set LD_PRELOAD/);
    const reserved = p.run(['push', 'github', '--allow', 'LD_PRELOAD'], { env });
    assert.equal(reserved.code, 2);
    assert.match(reserved.stderr, /github does not accept GITHUB_TOKEN \(names starting with GITHUB_ are reserved\)/);
    const badRepo = p.run(['push', 'github', '--repo', '--body=x', '--only', 'OK_ONE'], { env });
    assert.equal(badRepo.code, 2);
    assert.deepEqual(gh.calls(), []);

    const fail = p.run(['push', 'github', '--only', 'OK_ONE,OK_TWO'], { env: { ...env, FAKE_FAIL: 'set OK_TWO' } });
    assert.equal(fail.code, 1);
    assert.match(fail.stderr, /gh secret set OK_TWO for this repository failed \(exit 1\): fake failure/);
    assert.ok(!fail.stderr.includes('ok-two-value'));
    gh.reset();
    const dry = p.ok(['push', 'github', '--only', 'OK_ONE,OK_TWO', '--dry-run'], { env });
    assert.match(dry.stdout, /OK_ONE\s+skip\s+unchanged/);
    assert.match(dry.stdout, /OK_TWO\s+would push/);

    const missing = p.run(['push', 'github', '--only', 'OK_ONE'], { env: { ...env, PATH: '/nonexistent' } });
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /gh not found on PATH/);
  } finally {
    p.cleanup();
  }
});

test('push cloudflare: one wrangler secret bulk with the changed values as JSON on stdin', () => {
  const p = projectWithValues(AWKWARD);
  const wrangler = new FakeCli('wrangler');
  try {
    const env = withFake(p, wrangler);
    const r = p.run(['push', 'cloudflare', '--wrangler-env', 'production'], { env });
    assert.equal(r.code, 0, r.stderr);
    const calls = wrangler.calls();
    assertNoValueInArgv(calls, AWKWARD);
    assertNoKeyMaterialSeen(calls);
    assert.deepEqual(
      calls.map((c) => c.argv),
      [
        ['secret', 'list', '--format', 'json', '--env', 'production'],
        ['secret', 'bulk', '--env', 'production'],
      ],
    );
    assert.deepEqual(JSON.parse(calls[1]!.stdin), AWKWARD);
    for (const v of Object.values(AWKWARD)) assert.ok(!r.stdout.includes(v) && !r.stderr.includes(v));

    // Wrangler now lists them (names only): nothing is sent again until a value changes.
    assert.deepEqual(
      wrangler
        .list()
        .map((e) => e.name)
        .sort(),
      Object.keys(AWKWARD).sort(),
    );
    wrangler.reset();
    assert.match(p.ok(['push', 'cloudflare', '--wrangler-env', 'production'], { env }).stderr, /0 pushed, 8 unchanged/);
    assert.deepEqual(
      wrangler.calls().map((c) => c.argv[1]),
      ['list'],
    );
    p.set('QUOTES', 'new "quoted" value');
    wrangler.reset();
    p.ok(['push', 'cloudflare', '--wrangler-env', 'production', '--worker', 'shop-api'], { env });
    // --worker is another target: everything goes there once.
    assert.equal(Object.keys(JSON.parse(wrangler.calls()[1]!.stdin)).length, 8);
    wrangler.reset();
    p.ok(['push', 'cloudflare', '--wrangler-env', 'production'], { env });
    assert.deepEqual(JSON.parse(wrangler.calls()[1]!.stdin), { QUOTES: 'new "quoted" value' });
    wrangler.reset();
    p.ok(['push', 'cloudflare', '--wrangler-env', 'production', '--dry-run'], { env });
    assert.deepEqual(wrangler.calls(), []);
  } finally {
    p.cleanup();
  }
});
