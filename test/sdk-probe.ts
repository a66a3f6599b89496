/**
 * Test helpers for the app side (hako-secrets/runtime, typegen, generated code): a probe program that
 * loads secrets the way an app does and then tries every way a value could slip out, and
 * ways to start it with a real fd 3: a socket (Node's `stdio: 'pipe'`), a pipe(2) FIFO made
 * by a shell pipeline, a regular file, or nothing.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeSecretsFile, parseSecretsFile } from '../src/core/formats/secrets-file.js';
import { assertNoSecretIn, baseEnv, finished, Project, REPO_ROOT, tempDir, type RunResult } from './helpers.js';

export const RUNTIME_URL = pathToFileURL(join(REPO_ROOT, 'build', 'src', 'sdk', 'runtime.js')).href;

export function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

export function envelope(secrets: Record<string, string>, env = 'production'): string {
  return JSON.stringify({ env, hako: 1, secrets });
}

/**
 * The probe, as an ES module. PROBE_MODULE is the module to import: hako-secrets/runtime (then
 * `loadSecrets(PROBE_OPTIONS)` is called) or a compiled generated module (its `secrets`).
 * PROBE_NAMES lists the names whose values it hashes. It prints one JSON report on stdout,
 * after printing the object itself with console.log/error/dir.
 */
const PROBE =
  String.raw`
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fstatSync } from 'node:fs';
import util from 'node:util';

const kind = (fd) => {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : st.isFile() ? 'file' : 'other';
  } catch {
    return 'closed';
  }
};
const identity = (fd) => {
  try {
    const st = fstatSync(fd);
    return st.dev + ':' + st.ino;
  } catch {
    return 'closed';
  }
};
const attempt = (f) => {
  try {
    return { ok: f() };
  } catch (err) {
    return { threw: { name: err?.name, code: err?.code, message: String(err?.message) } };
  }
};
const grandchild = () =>
  spawnSync('sh', ['-c', 'if [ -e /proc/self/fd/3 ]; then echo open; else echo closed; fi; echo "\${HAKO_SECRETS_FD:-unset}"'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .stdout.trim().split('\n').join(' ');

const report = { fd3Before: kind(3) };
const fd3Identity = identity(3);
const fd3StillOpen = () => fd3Identity !== 'closed' && identity(3) === fd3Identity;
if (process.env.PROBE_SKIP_LOAD === '1') {
  report.fd3StillOpen = fd3StillOpen();
  report.grandchild = grandchild();
  process.stdout.write(JSON.stringify(report) + '\n');
  process.exit(0);
}
let secrets;
try {
  const mod = await import(process.env.PROBE_MODULE);
  secrets = mod.secrets ?? mod.loadSecrets(JSON.parse(process.env.PROBE_OPTIONS || '{}'));
  report.info = (mod.secretsInfo)(secrets);
} catch (err) {
  report.loadError = { name: err?.name, code: err?.code, message: String(err?.message) };
  process.stdout.write(JSON.stringify(report) + '\n');
  process.exit(0);
}
report.fd3StillOpen = fd3StillOpen();
report.envVar = process.env.HAKO_SECRETS_FD ?? null;
report.grandchild = grandchild();

const names = JSON.parse(process.env.PROBE_NAMES || '[]');
report.hashes = {};
for (const name of names) {
  const r = attempt(() => secrets[name]);
  report.hashes[name] = 'ok' in r ? (r.ok === undefined ? null : createHash('sha256').update(r.ok, 'utf8').digest('hex')) : r.threw;
}
report.has = Object.fromEntries(names.map((n) => [n, n in secrets]));

console.log(secrets);
console.log('%s|%o|%O|%j', secrets, secrets, secrets, secrets);
console.error(secrets);
console.dir(secrets, { showHidden: true, depth: null });
console.log({ nested: { deeper: { secrets } } });

const forms = {
  string: () => String(secrets),
  template: () => ` +
  '`${secrets}`' +
  String.raw`,
  concat: () => 'x' + secrets,
  inspect: () => util.inspect(secrets),
  inspectRaw: () => util.inspect(secrets, { showHidden: true, showProxy: true, customInspect: false, depth: Infinity, getters: true }),
  inspectNested: () => util.inspect({ config: { secrets } }, { depth: Infinity }),
  format: () => util.format('%s %o %O %j %d', secrets, secrets, secrets, secrets, secrets),
  json: () => JSON.stringify(secrets),
  jsonNested: () => JSON.stringify({ config: { secrets } }),
  keys: () => JSON.stringify(Object.keys(secrets)),
  values: () => JSON.stringify(Object.values(secrets)),
  entries: () => JSON.stringify(Object.entries(secrets)),
  spread: () => util.inspect({ ...secrets }, { showHidden: true }),
  assign: () => util.inspect(Object.assign({}, secrets), { showHidden: true }),
  descriptors: () => util.inspect(Object.getOwnPropertyDescriptors(secrets), { showHidden: true, getters: true }),
  ownKeys: () => util.inspect(Reflect.ownKeys(secrets)),
  forIn: () => {
    const seen = [];
    for (const k in secrets) seen.push(k, secrets[k]);
    return JSON.stringify(seen);
  },
  structuredClone: () => util.inspect(structuredClone(secrets), { showHidden: true }),
  prototype: () => util.inspect(Object.getPrototypeOf(secrets), { showHidden: true }),
  localeString: () => secrets.toLocaleString(),
};
report.forms = Object.fromEntries(Object.entries(forms).map(([k, f]) => [k, attempt(f)]));
report.unknown = attempt(() => secrets.NOT_DELIVERED_NAME);
report.lowercase = attempt(() => secrets.then === undefined && secrets.constructor === Object);
report.writes = {
  set: attempt(() => { secrets.NEW_NAME = 'x'; }),
  overwrite: attempt(() => { secrets[names[0] ?? 'A'] = 'x'; }),
  delete: attempt(() => { delete secrets[names[0] ?? 'A']; }),
  define: attempt(() => Object.defineProperty(secrets, 'B', { value: 'x' })),
  freeze: attempt(() => Object.freeze(secrets)),
  setPrototype: attempt(() => Object.setPrototypeOf(secrets, null)),
};
report.awaitable = (await Promise.resolve(secrets)) === secrets;
process.stdout.write(JSON.stringify(report) + '\n');
`;

export interface Probe {
  dir: string;
  path: string;
}

export function writeProbe(dir = tempDir('hako-probe-')): Probe {
  const path = join(dir, 'probe.mjs');
  writeFileSync(path, PROBE);
  return { dir, path };
}

export interface ProbeRun extends RunResult {
  report: any;
}

export type Fd3 =
  | { kind: 'socket'; data: string | Buffer } // Node's stdio 'pipe': a Unix socket
  | { kind: 'fifo'; data: string | Buffer } // a pipe(2) made by `cat | …`
  | { kind: 'file'; path: string } // a regular file on fd 3
  | { kind: 'silent-socket' } // a socket nobody writes to or closes while the probe runs
  | { kind: 'none' };

export interface ProbeOptions {
  module?: string;
  options?: object;
  names?: string[];
  env?: NodeJS.ProcessEnv;
  skipLoad?: boolean;
}

/** Starts `node <program>` with the given fd 3 and environment, and collects its output. */
export async function runWithFd3(program: string[], fd3: Fd3, env: NodeJS.ProcessEnv, cwd?: string): Promise<RunResult> {
  if (fd3.kind === 'fifo') {
    // A shell pipeline makes a real pipe(2); `3<&0` moves it to fd 3.
    const child = spawn('sh', ['-c', 'cat | exec "$@" 3<&0 0</dev/null', 'sh', ...program], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const done = finished(child);
    child.stdin!.end(fd3.data);
    return done;
  }
  const stdio: ('pipe' | 'ignore' | number)[] = ['ignore', 'pipe', 'pipe'];
  let fileFd: number | undefined;
  if (fd3.kind === 'socket' || fd3.kind === 'silent-socket') stdio.push('pipe');
  if (fd3.kind === 'file') stdio.push((fileFd = openSync(fd3.path, 'r')));
  const child = spawn(program[0]!, program.slice(1), { env, cwd, stdio });
  if (fileFd !== undefined) closeSync(fileFd);
  const done = finished(child);
  const pipe = child.stdio[3] as NodeJS.WritableStream | null;
  if (fd3.kind === 'socket') pipe!.end(fd3.data);
  const result = await done;
  if (fd3.kind === 'silent-socket') (pipe as unknown as { destroy(): void }).destroy();
  return result;
}

export async function runProbe(probe: Probe, fd3: Fd3, opts: ProbeOptions = {}): Promise<ProbeRun> {
  const env = baseEnv({
    PROBE_MODULE: opts.module ?? RUNTIME_URL,
    PROBE_OPTIONS: JSON.stringify(opts.options ?? {}),
    PROBE_NAMES: JSON.stringify(opts.names ?? []),
    ...(opts.skipLoad ? { PROBE_SKIP_LOAD: '1' } : {}),
    ...opts.env,
  });
  const r = await runWithFd3([process.execPath, probe.path], fd3, env);
  const last = r.stdout.trimEnd().split('\n').pop() ?? '';
  let report: any;
  try {
    report = JSON.parse(last);
  } catch {
    throw new Error(`the probe printed no report (exit ${r.code}); stderr: ${r.stderr.slice(0, 2000)}`);
  }
  return { ...r, report };
}

/** What every successful probe must show: the right values by name, and none printed. */
export function assertRedacted(r: ProbeRun, secrets: Record<string, string>): void {
  const rep = r.report;
  assert.equal(rep.loadError, undefined, `load failed: ${JSON.stringify(rep.loadError)}`);
  for (const [name, value] of Object.entries(secrets)) assert.equal(rep.hashes[name], sha256(value), `value of ${name}`);
  assertNoSecretIn([r.stdout, r.stderr], Object.values(secrets));
  const f = rep.forms;
  const ok = (k: string): string => {
    assert.ok('ok' in f[k], `${k} threw: ${JSON.stringify(f[k])}`);
    return f[k].ok;
  };
  assert.equal(ok('keys'), '[]');
  assert.equal(ok('values'), '[]');
  assert.equal(ok('entries'), '[]');
  assert.equal(ok('forIn'), '[]');
  assert.equal(ok('spread'), '{}');
  assert.equal(ok('assign'), '{}');
  assert.equal(ok('descriptors'), '{}');
  assert.equal(ok('ownKeys'), '[]');
  const label = `[hako secrets: ${Object.keys(secrets).sort().join(', ')}]`;
  for (const k of ['string', 'template', 'inspect', 'localeString']) assert.equal(ok(k), label, k);
  assert.equal(ok('concat'), `x${label}`);
  assert.match(ok('inspectNested'), /\[hako secrets: /);
  assert.equal(
    ok('json'),
    JSON.stringify(
      Object.fromEntries(
        Object.keys(secrets)
          .sort()
          .map((n) => [n, '[REDACTED]']),
      ),
    ),
  );
  // structuredClone refuses a proxy; either way no value comes out.
  assert.ok('threw' in f.structuredClone || !/REDACTED|[a-z]{8}/.test(f.structuredClone.ok));
  assert.equal(rep.unknown.threw?.code, 'E_NO_SECRET');
  assert.match(rep.unknown.threw.message, /NOT_DELIVERED_NAME/);
  assert.deepEqual(rep.lowercase, { ok: true }, 'then/constructor stay ordinary (await, libraries probing)');
  for (const [k, w] of Object.entries(rep.writes)) assert.ok('threw' in (w as object), `${k} must throw`);
  assert.equal(rep.awaitable, true);
  if (rep.info.via === 'fd3') assert.equal(rep.fd3StillOpen, false, 'the runtime closed the pipe on fd 3');
  assert.equal(rep.grandchild, 'closed unset', 'a grandchild inherits neither fd 3 nor HAKO_SECRETS_FD');
}

export const HOSTILE_DESCRIPTION = 'ends */ export const pwned = 1; /*\nnew line\r\u2028sep\u2029 bidi\u202e \ufeff bom\u0000 nul';

/** Adds `schema` entries to the project's file, as `hako declare` would. */
export function declare(p: Project, entries: Record<string, { required: boolean; description?: string }>): void {
  const path = join(p.dir, '.hako', 'secrets.json');
  const file = parseSecretsFile(readFileSync(path, 'utf8'));
  for (const [name, e] of Object.entries(entries)) file.schema.set(name, e);
  writeFileSync(path, encodeSecretsFile(file));
}

/** A project with names in two environments and a schema, plus an empty HAKO_HOME to run typegen with. */
export function typegenProject(): { p: Project; noKeyEnv: NodeJS.ProcessEnv; values: string[] } {
  const p = new Project();
  p.ok(['env', 'rm', 'development', '--yes']); // only production and staging: the typing rules below depend on it
  const values = ['postgres://u:pw-Xy7@db/app', 'tok-Abc123-prod', 'tok-Abc123-stag', 'stg-only-Qq9'];
  p.set('DATABASE_URL', values[0]!, 'production');
  p.set('API_TOKEN', values[1]!, 'production');
  p.set('API_TOKEN', values[2]!, 'staging');
  p.set('STAGING_ONLY', values[3]!, 'staging');
  declare(p, {
    DATABASE_URL: { required: true, description: 'Postgres URL of the app' },
    SENTRY_DSN: { required: false, description: HOSTILE_DESCRIPTION },
    DECLARED_ONLY: { required: true },
  });
  // Another, empty key store (removed with the project): typegen must not need a key.
  const other = join(p.home, 'other-machine');
  return { p, noKeyEnv: baseEnv({ HAKO_HOME: other, HOME: other }), values };
}
