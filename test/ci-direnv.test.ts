/**
 * direnv: `hako init --direnv` writes an .envrc that a real direnv loads; the shell sees every
 * value exactly. Without the key it loads nothing and prints why; a process-control name is
 * refused unless the .envrc allows it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { needTools } from './tools.js';
import { AWKWARD, binWithHako, ciScratch, pathWith, projectWithValues } from './ci-helpers.js';
import type { Project } from './helpers.js';
import { hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

/** Enters the project the way an interactive shell with direnv's hook does, then prints the values. */
function enter(p: Project, bin: string, names: string[]): { values: Record<string, string | null>; stderr: string; code: number | null } {
  // `env -0` prints the environment the shell now has, NUL-separated (no program that reads
  // NODE_OPTIONS or the like runs in between).
  const r = spawnSync('bash', ['--noprofile', '--norc', '-c', 'eval "$(direnv export bash)" && exec env -0'], {
    cwd: p.dir,
    env: direnvEnv(p, bin),
    encoding: 'utf8',
  });
  const seen = new Map<string, string>();
  for (const entry of r.stdout.split('\0').filter(Boolean)) {
    const eq = entry.indexOf('=');
    seen.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return { values: Object.fromEntries(names.map((n) => [n, seen.get(n) ?? null])), stderr: r.stderr, code: r.status };
}

function direnvEnv(p: Project, bin: string): NodeJS.ProcessEnv {
  return {
    ...p.env,
    PATH: pathWith(bin),
    XDG_CONFIG_HOME: join(p.home, '.config'),
    XDG_DATA_HOME: join(p.home, '.local', 'share'),
    XDG_CACHE_HOME: join(p.home, '.cache'),
  };
}

function allow(p: Project, bin: string): void {
  const r = spawnSync('direnv', ['allow', '.'], { cwd: p.dir, env: direnvEnv(p, bin), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

test('direnv loads the environment through the .envrc hako writes, every value exact', (t) => {
  if (!needTools(t, 'direnv', 'bash')) return;
  const p = projectWithValues(AWKWARD);
  try {
    const bin = binWithHako();
    const w = p.run(['init', '--direnv'], { env: { PATH: pathWith(bin) } });
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stderr, /direnv allow/);
    const envrc = readFileSync(join(p.dir, '.envrc'), 'utf8');
    for (const v of Object.values(AWKWARD)) assert.ok(!envrc.includes(v), 'a value in .envrc');
    allow(p, bin);
    const r = enter(p, bin, Object.keys(AWKWARD));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.values, AWKWARD);
    assert.match(r.stderr, /direnv: export \+API_TOKEN/);

    // A second run leaves an .envrc that already loads hako alone; another .envrc is never touched.
    assert.match(p.ok(['init', '--direnv']).stderr, /left as it is/);
    writeFileSync(join(p.dir, '.envrc'), 'export OTHER=1\n');
    const refused = p.run(['init', '--direnv']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already exists and has no hako block/);
    assert.match(refused.stderr, /--print >> \.envrc/);
    assert.equal(readFileSync(join(p.dir, '.envrc'), 'utf8'), 'export OTHER=1\n');
    assert.equal(p.ok(['init', '--direnv', '--print']).stdout, envrc);
  } finally {
    p.cleanup();
  }
});

test('without the key direnv loads nothing and prints the reason', (t) => {
  if (!needTools(t, 'direnv', 'bash')) return;
  const p = projectWithValues(AWKWARD);
  try {
    const bin = binWithHako();
    p.ok(['init', '--direnv']);
    allow(p, bin);
    assert.deepEqual(enter(p, bin, ['API_TOKEN']).values, { API_TOKEN: AWKWARD['API_TOKEN'] });
    const keys = join(p.home, 'keys');
    assert.equal(readdirSync(keys).length, 1);
    renameSync(keys, join(p.home, 'keys.away'));
    const r = enter(p, bin, Object.keys(AWKWARD));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.values, Object.fromEntries(Object.keys(AWKWARD).map((n) => [n, null])));
    assert.match(r.stderr, /hako: error: no key opens environment 'development'/);
    assert.match(r.stderr, /hako: no secrets loaded for environment development/);
    assert.doesNotMatch(r.stderr, /direnv: export/);
    for (const v of Object.values(AWKWARD)) assert.ok(!r.stderr.includes(v));

    // hako missing from PATH: the same, with its own reason.
    renameSync(join(p.home, 'keys.away'), keys);
    const none = ciScratch('empty-bin-');
    const direnvPath = spawnSync('bash', ['-c', 'command -v direnv'], { encoding: 'utf8' }).stdout.trim();
    const bashPath = spawnSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim();
    const script = `eval "$("${direnvPath}" export bash)"; echo "token=\${API_TOKEN-unset}"`;
    const missing = spawnSync(bashPath, ['--noprofile', '--norc', '-c', script], {
      cwd: p.dir,
      env: { ...direnvEnv(p, bin), PATH: `${none}:/usr/bin:/bin` },
      encoding: 'utf8',
    });
    if (spawnSync('bash', ['-c', 'PATH=/usr/bin:/bin command -v hako'], { encoding: 'utf8' }).status !== 0) {
      assert.match(missing.stdout, /token=unset/);
      assert.match(missing.stderr, /hako: not found on PATH; no secrets loaded/);
    }
  } finally {
    p.cleanup();
  }
});

test('a process-control name stops the load unless the .envrc allows it', (t) => {
  if (!needTools(t, 'direnv', 'bash')) return;
  const p = projectWithValues({ APP_SECRET: 'app-secret-value', NODE_OPTIONS: '--require ./evil.js' });
  try {
    const bin = binWithHako();
    p.ok(['init', '--direnv']);
    allow(p, bin);
    const r = enter(p, bin, ['APP_SECRET', 'NODE_OPTIONS']);
    assert.deepEqual(r.values, { APP_SECRET: null, NODE_OPTIONS: null });
    assert.match(r.stderr, /hako export --format shell would set NODE_OPTIONS/);
    assert.match(r.stderr, /--allow NODE_OPTIONS/);

    writeFileSync(join(p.dir, '.envrc'), p.ok(['init', '--direnv', '--print', '--allow', 'NODE_OPTIONS']).stdout);
    allow(p, bin);
    const ok = enter(p, bin, ['APP_SECRET', 'NODE_OPTIONS']);
    assert.deepEqual(ok.values, { APP_SECRET: 'app-secret-value', NODE_OPTIONS: '--require ./evil.js' });
  } finally {
    p.cleanup();
  }
});

test('hako export refuses process-control names in shell and dotenv output unless allowed', () => {
  const p = projectWithValues({ PATH: '/tmp/evil:/usr/bin', LD_PRELOAD: '/tmp/x.so', OK_NAME: 'fine-value' });
  try {
    for (const format of ['shell', 'dotenv']) {
      const r = p.run(['export', '--format', format]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        new RegExp(
          `hako export --format ${format} would set LD_PRELOAD \\(read by the dynamic loader or libc\\), PATH \\(read by a shell at start-up\\)`,
        ),
      );
      assert.match(r.stderr, /hint: .*--allow LD_PRELOAD --allow PATH/);
      assert.equal(p.run(['export', '--format', format, '--allow', 'PATH']).code, 1);
      const ok = p.ok(['export', '--format', format, '--allow', 'PATH', '--allow', 'LD_PRELOAD']);
      assert.match(ok.stdout, /OK_NAME/);
      assert.equal(p.ok(['export', '--format', format, '--allow', 'PATH,LD_PRELOAD']).stdout, ok.stdout);
    }
    assert.deepEqual(JSON.parse(p.ok(['export', '--format', 'json']).stdout), {
      LD_PRELOAD: '/tmp/x.so',
      OK_NAME: 'fine-value',
      PATH: '/tmp/evil:/usr/bin',
    });
  } finally {
    p.cleanup();
  }
});
