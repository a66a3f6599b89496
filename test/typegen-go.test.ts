/**
 * Acceptance 5 (Go): a file from `hako typegen --lang go` is gofmt-clean, passes go vet,
 * builds with `go build` (standard library only, offline, caches in a temp dir) and the
 * binary reads its secrets from a real pipe on fd 3, from files and from env, refuses bad
 * envelopes, closes fd 3 so a grandchild does not get it, and never prints a value.
 * Needs Go (Debian: golang-go).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertNoSecretIn, baseEnv, tempDir, type Project, type RunResult, hakoInProcessByDefault } from './helpers.js';
import { envelope, runWithFd3, sha256, typegenProject, type Fd3 } from './sdk-probe.js';
import { skipUnless } from './tools.js';

const MAIN_GO = `package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"example.com/app/config"
)

type hidden struct{ s config.Secrets }

type shown struct {
	P *config.Secrets
	V config.Secrets
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func optional(v string, ok bool) interface{} {
	if !ok {
		return nil
	}
	return hash(v)
}

func grandchild() string {
	out, _ := exec.Command("sh", "-c", "if [ -e /proc/self/fd/3 ]; then echo open; else echo closed; fi; echo \\"\${HAKO_SECRETS_FD:-unset}\\"").Output()
	return strings.Join(strings.Fields(string(out)), " ")
}

func main() {
	report := map[string]interface{}{}
	defer func() { _ = json.NewEncoder(os.Stdout).Encode(report) }()
	if os.Getenv("PROBE_SKIP_LOAD") == "1" {
		report["grandchild"] = grandchild()
		return
	}
	s, err := config.Load()
	if err != nil {
		code := ""
		if e, ok := err.(*config.Error); ok {
			code = e.Code
		}
		report["loadError"] = map[string]string{"code": code, "message": err.Error()}
		return
	}
	report["grandchild"] = grandchild()
	report["env"] = config.Environment()
	report["hashes"] = map[string]interface{}{
		"API_TOKEN":     hash(s.APIToken()),
		"DATABASE_URL":  hash(s.DatabaseURL()),
		"DECLARED_ONLY": hash(s.DeclaredOnly()),
		"SENTRY_DSN":    optional(s.SentryDSN()),
		"STAGING_ONLY":  optional(s.StagingOnly()),
	}
	j, _ := json.Marshal(map[string]interface{}{"p": s, "v": *s, "w": shown{s, *s}, "h": hidden{*s}})
	fmt.Println(s)
	fmt.Fprintf(os.Stderr, "%+v\\n", *s)
	report["forms"] = []string{
		fmt.Sprint(s),
		fmt.Sprintf("%v|%+v|%#v|%s|%q|%x|%d", s, s, s, s, s, s, s),
		fmt.Sprintf("%v|%+v|%#v", *s, *s, *s),
		fmt.Sprintf("%+v|%#v", hidden{*s}, hidden{*s}),
		fmt.Sprintf("%+v|%#v", shown{s, *s}, shown{s, *s}),
		fmt.Sprintf("%v", []interface{}{s, *s, map[string]config.Secrets{"k": *s}}),
		string(j),
	}
}
`;

hakoInProcessByDefault();

function go(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync('go', args, { cwd, env, encoding: 'utf8' });
  if (r.error) throw new Error(`could not start go (${r.error.message}); install Go (Debian: apt-get install golang-go)`);
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('a generated Go file', { skip: skipUnless('go') }, () => {
  let p: Project;
  let values: string[];
  let dir: string;
  let bin: string;
  let build: { code: number | null; out: string };
  let goEnv: NodeJS.ProcessEnv;
  const all = (extra: Record<string, string> = {}): Record<string, string> => ({
    DATABASE_URL: values[0]!,
    API_TOKEN: values[1]!,
    DECLARED_ONLY: 'declared-value-77',
    ...extra,
  });

  before(() => {
    const made = typegenProject();
    p = made.p;
    values = made.values;
    dir = tempDir('hako-go-app-');
    const home = join(dir, 'gohome');
    mkdirSync(home);
    // Offline, and nothing outside the temp dir: caches, module path, config, toolchain.
    goEnv = baseEnv({
      HOME: home,
      GOCACHE: join(home, 'cache'),
      GOPATH: join(home, 'path'),
      GOENV: 'off',
      GOFLAGS: '',
      GOPROXY: 'off',
      GOSUMDB: 'off',
      GOTOOLCHAIN: 'local',
      GOTELEMETRY: 'off',
      GOWORK: 'off',
      GO111MODULE: 'on',
      CGO_ENABLED: '0',
    });
    const gen = p.run(['typegen', '--lang', 'go', '--out', join(dir, 'config') + '/'], { env: made.noKeyEnv });
    assert.equal(gen.code, 0, gen.stderr);
    writeFileSync(join(dir, 'go.mod'), 'module example.com/app\n\ngo 1.19\n');
    writeFileSync(join(dir, 'main.go'), MAIN_GO);
    bin = join(dir, 'app');
    build = go(dir, goEnv, 'build', '-o', bin, '.');
  });
  after(() => {
    p.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (fd3: Fd3, env: Record<string, string> = {}): Promise<RunResult & { report: any }> =>
    runWithFd3([bin], fd3, baseEnv(env)).then((r) => {
      assert.equal(r.code, 0, r.stderr);
      return { ...r, report: JSON.parse(r.stdout.trimEnd().split('\n').pop()!) };
    });

  function assertGood(r: RunResult & { report: any }, delivered: Record<string, string>): void {
    assert.equal(r.report.loadError, undefined, JSON.stringify(r.report.loadError));
    for (const name of ['API_TOKEN', 'DATABASE_URL', 'DECLARED_ONLY', 'SENTRY_DSN', 'STAGING_ONLY']) {
      assert.equal(r.report.hashes[name], delivered[name] === undefined ? null : sha256(delivered[name]!), name);
    }
    const label = `[hako secrets: ${Object.keys(delivered).sort().join(', ')}]`;
    assert.equal(r.report.forms[0], label);
    assert.equal(r.report.forms[1], Array(7).fill(label).join('|'));
    assert.match(r.report.forms[3], /^\{s:\{v:0x[0-9a-f]+\}\}\|main\.hidden\{s:config\.Secrets\{v:\(\*config\.vault\)\(0x[0-9a-f]+\)\}\}$/);
    assert.equal(JSON.parse(r.report.forms[6]).v[Object.keys(delivered)[0]!], '[REDACTED]');
    assert.equal(r.stdout.split('\n')[0], label);
    assertNoSecretIn([r.stdout, r.stderr], Object.values(delivered));
  }

  test('is gofmt-clean, passes go vet and builds with the standard library only', () => {
    assert.equal(build.code, 0, build.out);
    const fmt = spawnSync('gofmt', ['-l', join(dir, 'config')], { encoding: 'utf8', env: goEnv });
    assert.equal(fmt.status, 0, fmt.stderr);
    assert.equal(fmt.stdout, '', 'gofmt would change the generated file');
    const vet = go(dir, goEnv, 'vet', './...');
    assert.equal(vet.code, 0, vet.out);
  });

  for (const kind of ['socket', 'fifo'] as const) {
    test(`reads a ${kind} on fd 3, closes it, and prints no value`, async () => {
      assert.equal(build.code, 0, build.out);
      const delivered = all({ STAGING_ONLY: values[3]! });
      const r = await run({ kind, data: envelope(delivered, 'staging') }, { HAKO_SECRETS_FD: '3' });
      assertGood(r, delivered);
      assert.equal(r.report.env, 'staging');
      assert.equal(r.report.grandchild, 'closed unset');
    });
  }

  test('control: a Go program passes fd 3 on when nothing closes it', async () => {
    assert.equal(build.code, 0, build.out);
    const r = await run({ kind: 'fifo', data: envelope(all()) }, { HAKO_SECRETS_FD: '3', PROBE_SKIP_LOAD: '1' });
    assert.equal(r.report.grandchild, 'open 3');
  });

  test('a 1 MiB envelope does not deadlock', async () => {
    assert.equal(build.code, 0, build.out);
    const delivered = all({ SENTRY_DSN: 'y'.repeat(1024 * 1024) + '-end-of-dsn' });
    assertGood(await run({ kind: 'socket', data: envelope(delivered) }, { HAKO_SECRETS_FD: '3' }), delivered);
  });

  test('env mode: an unannounced, silent socket on fd 3 is never read', async () => {
    assert.equal(build.code, 0, build.out);
    const delivered = all();
    const r = await run({ kind: 'silent-socket' }, delivered);
    assertGood(r, delivered);
    assert.equal(r.report.env, '');
  });

  test('files mode: <NAME>_FILE under HAKO_SECRETS_DIR', async () => {
    assert.equal(build.code, 0, build.out);
    const folder = join(dir, 'delivered');
    mkdirSync(folder, { mode: 0o700 });
    const delivered = all();
    const env: Record<string, string> = { HAKO_SECRETS_DIR: folder };
    for (const [name, value] of Object.entries(delivered)) {
      writeFileSync(join(folder, name), value, { mode: 0o400 });
      env[`${name}_FILE`] = join(folder, name);
    }
    assertGood(await run({ kind: 'none' }, env), delivered);
  });

  test('refusals name the problem and never a value', async () => {
    assert.equal(build.code, 0, build.out);
    const V = 'leaky-value-Zq81x';
    const file = join(dir, 'envelope.json');
    writeFileSync(file, envelope(all()));
    const cases: [Fd3, Record<string, string>, string, RegExp][] = [
      [
        { kind: 'socket', data: envelope({ API_TOKEN: V }) },
        { HAKO_SECRETS_FD: '3' },
        'E_MISSING_REQUIRED',
        /not delivered \(fd3\): DATABASE_URL, DECLARED_ONLY; set them/,
      ],
      [
        { kind: 'socket', data: `{"env":"production","hako":1,"secrets":{"A":"${V}"` },
        { HAKO_SECRETS_FD: '3' },
        'E_FORMAT',
        /not a UTF-8 JSON object/,
      ],
      [
        { kind: 'socket', data: JSON.stringify({ env: 'production', hako: 2, secrets: { A: V } }) },
        { HAKO_SECRETS_FD: '3' },
        'E_VERSION',
        /version 2; this file reads version 1/,
      ],
      [
        { kind: 'socket', data: JSON.stringify({ env: 'production', hako: 1, secrets: { A: V }, Extra: V }) },
        { HAKO_SECRETS_FD: '3' },
        'E_FORMAT',
        /unknown field/,
      ],
      [
        { kind: 'socket', data: JSON.stringify({ ENV: 'production', hako: 1, secrets: { A: V } }) },
        { HAKO_SECRETS_FD: '3' },
        'E_FORMAT',
        /unknown field|valid "env"/,
      ],
      [
        { kind: 'socket', data: JSON.stringify({ env: 'production', hako: 1, secrets: { 'a-b': V } }) },
        { HAKO_SECRETS_FD: '3' },
        'E_FORMAT',
        /invalid secret name/,
      ],
      [
        { kind: 'socket', data: JSON.stringify({ env: 'production', hako: 1, secrets: { A: 5 } }) },
        { HAKO_SECRETS_FD: '3' },
        'E_FORMAT',
        /"secrets" object of strings/,
      ],
      [{ kind: 'file', path: file }, { HAKO_SECRETS_FD: '3' }, 'E_DELIVERY', /not a pipe or socket/],
      [{ kind: 'none' }, { HAKO_SECRETS_FD: '3' }, 'E_DELIVERY', /descriptor is not (open|a pipe or socket)/],
      [{ kind: 'none' }, { HAKO_SECRETS_FD: 'x' }, 'E_DELIVERY', /must be a descriptor number/],
      [{ kind: 'none' }, { API_TOKEN: V }, 'E_MISSING_REQUIRED', /not delivered \(env\): DATABASE_URL, DECLARED_ONLY/],
    ];
    for (const [fd3, env, code, message] of cases) {
      const r = await run(fd3, env);
      assert.equal(r.report.loadError?.code, code, `${JSON.stringify(env)}: ${r.stdout}`);
      assert.match(r.report.loadError.message, message);
      assertNoSecretIn([r.stdout, r.stderr], [V, ...values]);
    }
  });
});
