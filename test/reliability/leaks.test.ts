/**
 * Leak checks on every error path (issue 5; issue 2 acceptance 6): a project with known
 * values, a passphrase environment, key files and exported bundles; then each way hako can
 * fail, run through the real binary (in npm test a third of them; the rest in process). Every run must fail the documented way (exit code,
 * `hako: error:` and `hako: hint:` lines, nothing else on stderr, nothing on stdout) and no
 * output may contain a value, a passphrase, a key (base64, base64url or hex, or any 16
 * characters of one), an age identity or a bundle. The same runs with HAKO_DEBUG=1 must not
 * print more. Children hako starts for keys (SOPS_AGE_KEY_CMD) get no key material either.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { assertNoSecretIn, git, hakoInProcessByDefault, Project, tempDir, type RunResult } from '../helpers.js';
import { DEEP, recordArea } from './depth.js';
import { onlyHakoLines } from './in-process.js';

// Set-up and the HAKO_DEBUG=1 runs in process. The first run of a scenario goes through the
// binary in the deep run, and for every third scenario in npm test (the rest in process: the
// same main, the same stderr; the binary adds only what node itself might print).
hakoInProcessByDefault();

const VALUES: Record<string, Record<string, string>> = {
  development: { DATABASE_URL: 'postgres://app:leak-dev-pw-3a9@db/app', API_TOKEN: 'tok-leak-dev-77c1' },
  production: { DATABASE_URL: 'postgres://app:leak-prod-pw-b52@db/app', STRIPE_KEY: 'sk_live_leak_9d0e' },
  staging: { SMTP_PASSWORD: 'smtp-leak-stg-41f' },
};
const PASSPHRASE = 'leak test passphrase seven words long';
const ALL_VALUES = Object.values(VALUES).flatMap((v) => Object.values(v));

interface Scenario {
  label: string;
  args: string[];
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** Changes files before the run; the project is restored afterwards. */
  setup?: (s: Setup) => void;
  exit: number;
}

interface Setup {
  p: Project;
  secrets: string;
  keyFile: (env: string) => string;
  json: () => any;
  write: (obj: unknown) => void;
}

/** Fails when any output holds a secret, or any 16 characters of a key or bundle. */
function assertNothingLeaks(outputs: string[], keyMaterial: string[]): void {
  assertNoSecretIn(outputs, [...ALL_VALUES, PASSPHRASE, ...keyMaterial]);
  for (const k of keyMaterial) {
    for (let i = 0; i + 16 <= k.length; i += 4) {
      const part = k.slice(i, i + 16);
      for (const o of outputs)
        if (o.includes(part))
          throw new Error(`16 characters of key material (from ${i} of a ${k.length}-character key or bundle) appeared in output`);
    }
  }
}

describe('no error path prints a value or a key', () => {
  let p: Project;
  let other: Project;
  let secretsPath: string;
  let snapshot: string;
  let keysSnapshot: Map<string, string>;
  const keyMaterial: string[] = [];
  const bundles: Record<string, string> = {};
  let otherBundle = '';
  let identity = ''; // a recipient of production
  let stranger = ''; // an identity no environment knows
  let tried = 0;
  let failures = 0;

  before(async () => {
    p = new Project();
    p.ok(['env', 'add', 'staging', '--passphrase'], { env: { HAKO_PASSPHRASE: PASSPHRASE } });
    for (const [env, values] of Object.entries(VALUES)) for (const [k, v] of Object.entries(values)) p.set(k, v, env);
    for (const env of Object.keys(VALUES)) bundles[env] = p.ok(['key', 'export', '--env', env]).stdout.trim();
    identity = await generateX25519Identity();
    stranger = await generateX25519Identity();
    p.ok(['recipients', 'add', await identityToRecipient(identity), '--env', 'production', '--name', 'Leak Test']);
    other = new Project();
    other.set('DATABASE_URL', 'postgres://other:project@db/x', 'production');
    otherBundle = other.ok(['key', 'export', '--env', 'production']).stdout.trim();
    secretsPath = join(p.dir, '.hako', 'secrets.json');
    emptyHomeDir = tempDir('hako-empty-home-');
    snapshot = readFileSync(secretsPath, 'utf8');
    keysSnapshot = new Map(readdirSync(join(p.home, 'keys')).map((f) => [f, readFileSync(join(p.home, 'keys', f), 'utf8')]));
    for (const b64 of keysSnapshot.values()) {
      const key = Buffer.from(b64.trim(), 'base64');
      keyMaterial.push(b64.trim(), key.toString('base64url'), key.toString('hex'));
    }
    for (const b of [...Object.values(bundles), otherBundle]) keyMaterial.push(b, b.slice('hako-key:1:'.length));
    for (const id of [identity, stranger]) keyMaterial.push(id.slice('AGE-SECRET-KEY-1'.length)); // the prefix itself is in hints
  });
  after(() => {
    recordArea({ area: 'leaks:error-paths', tried, failures });
    p.cleanup();
    other.cleanup();
    rmSync(emptyHomeDir, { recursive: true, force: true });
  });

  const id = (env: string) => JSON.parse(snapshot).environments[env].key_id as string;
  const setup = (): Setup => ({
    p,
    secrets: secretsPath,
    keyFile: (env) => join(p.home, 'keys', id(env)),
    json: () => JSON.parse(readFileSync(secretsPath, 'utf8')),
    write: (obj) => writeFileSync(secretsPath, `${JSON.stringify(obj, null, 2)}\n`),
  });
  const restore = () => {
    writeFileSync(secretsPath, snapshot);
    for (const [f, text] of keysSnapshot) {
      writeFileSync(join(p.home, 'keys', f), text, { mode: 0o600 });
      chmodSync(join(p.home, 'keys', f), 0o600);
    }
    rmSync(`${secretsPath}.lock`, { force: true });
  };
  const flip = (token: string) => {
    const raw = Buffer.from(token.slice(3), 'base64');
    raw[raw.length - 1]! ^= 1;
    return `v1:${raw.toString('base64')}`;
  };
  const craftedBundle = (env: string) => {
    // The right key id, a wrong key: a forged or mixed-up bundle.
    return `hako-key:1:${Buffer.from(JSON.stringify({ env, id: id(env), key: Buffer.alloc(32, 9).toString('base64') })).toString('base64url')}`;
  };
  const bundleFlipped = (env: string) => {
    const b = bundles[env]!;
    const i = b.length - 10;
    return b.slice(0, i) + (b[i] === 'A' ? 'B' : 'A') + b.slice(i + 1);
  };
  let emptyHomeDir = '';
  const emptyHome = () => ({ HAKO_HOME: emptyHomeDir });
  const dev = VALUES['development']!;

  const scenarios = (): Scenario[] => [
    { label: 'get a missing secret', args: ['get', 'NOPE'], exit: 1 },
    { label: 'get from a missing environment', args: ['get', 'DATABASE_URL', '--env', 'qa'], exit: 1 },
    { label: 'get with no key on the machine', args: ['get', 'DATABASE_URL'], env: emptyHome(), exit: 3 },
    {
      // A bundle labelled 'production' with another key id is a key supplied for production
      // that is not production's: an error, never a fall-through (E_KEY_MISMATCH).
      label: 'HAKO_KEY of another project',
      args: ['get', 'DATABASE_URL', '--env', 'production'],
      env: { ...emptyHome(), HAKO_KEY: otherBundle },
      exit: 4,
    },
    {
      label: 'HAKO_KEY damaged',
      args: ['get', 'DATABASE_URL', '--env', 'production'],
      env: { ...emptyHome(), HAKO_KEY: bundleFlipped('production') },
      exit: 4,
    },
    {
      label: 'HAKO_KEY holding a value (paste mistake)',
      args: ['get', 'DATABASE_URL'],
      env: { ...emptyHome(), HAKO_KEY: dev['DATABASE_URL']! },
      exit: 4,
    },
    {
      label: 'HAKO_KEY with the right id and a wrong key',
      args: ['get', 'DATABASE_URL', '--env', 'production'],
      env: { ...emptyHome(), HAKO_KEY: craftedBundle('production') },
      exit: 4,
    },
    {
      label: 'HAKO_KEY of a newer version',
      args: ['get', 'DATABASE_URL'],
      env: { ...emptyHome(), HAKO_KEY: bundles['development']!.replace('hako-key:1:', 'hako-key:2:') },
      exit: 5,
    },
    {
      label: 'a key file holding a value instead of a key',
      args: ['get', 'DATABASE_URL'],
      setup: (s) => writeFileSync(s.keyFile('development'), `${dev['API_TOKEN']}\n`),
      exit: 5,
    },
    {
      label: 'a key file readable by others',
      args: ['get', 'DATABASE_URL'],
      setup: (s) => chmodSync(s.keyFile('development'), 0o644),
      exit: 4,
    },
    {
      label: 'a key file holding another environment’s key',
      args: ['get', 'DATABASE_URL'],
      setup: (s) => writeFileSync(s.keyFile('development'), readFileSync(s.keyFile('production'))),
      exit: 4,
    },
    {
      label: 'a wrong passphrase',
      args: ['get', 'SMTP_PASSWORD', '--env', 'staging'],
      setup: (s) => rmSync(s.keyFile('staging')),
      env: { HAKO_PASSPHRASE: 'not the passphrase at all' },
      exit: 4,
    },
    {
      label: 'a value given as the passphrase',
      args: ['get', 'SMTP_PASSWORD', '--env', 'staging'],
      setup: (s) => rmSync(s.keyFile('staging')),
      env: { HAKO_PASSPHRASE_STAGING: dev['DATABASE_URL']! },
      exit: 4,
    },
    {
      label: 'a flipped byte in a value',
      args: ['get', 'DATABASE_URL'],
      setup: (s) => {
        const j = s.json();
        j.environments.development.secrets.DATABASE_URL = flip(j.environments.development.secrets.DATABASE_URL);
        s.write(j);
      },
      exit: 4,
    },
    {
      label: 'two values swapped (export)',
      args: ['export', '--format', 'json'],
      setup: (s) => {
        const j = s.json();
        const sec = j.environments.development.secrets;
        [sec.DATABASE_URL, sec.API_TOKEN] = [sec.API_TOKEN, sec.DATABASE_URL];
        s.write(j);
      },
      exit: 4,
    },
    {
      label: 'a value moved from production',
      args: ['export', '--format', 'shell'],
      setup: (s) => {
        const j = s.json();
        j.environments.development.secrets.DATABASE_URL = j.environments.production.secrets.DATABASE_URL;
        s.write(j);
      },
      exit: 4,
    },
    {
      label: 'key_id of another environment',
      args: ['get', 'DATABASE_URL'],
      setup: (s) => {
        const j = s.json();
        j.environments.development.key_id = j.environments.production.key_id;
        s.write(j);
      },
      exit: 5, // the chain's last link no longer names the entry's key id
    },
    {
      label: 'a plaintext value written where a token belongs',
      args: ['ls'],
      setup: (s) => {
        const j = s.json();
        j.environments.development.secrets.API_TOKEN = dev['API_TOKEN'];
        s.write(j);
      },
      exit: 5,
    },
    {
      label: 'NAME=value written as a secret name by hand',
      args: ['get', 'API_TOKEN'],
      setup: (s) => {
        const j = s.json();
        j.environments.development.secrets[`DATABASE_URL=${dev['DATABASE_URL']}`] = j.environments.development.secrets.DATABASE_URL;
        s.write(j);
      },
      exit: 5,
    },
    {
      label: 'a value as an unknown field',
      args: ['ls'],
      setup: (s) => {
        const j = s.json();
        j.environments.development[`password=${dev['API_TOKEN']}`] = true;
        s.write(j);
      },
      exit: 5,
    },
    { label: 'a newer file version', args: ['get', 'DATABASE_URL'], setup: (s) => s.write({ ...s.json(), version: 3 }), exit: 5 },
    {
      label: 'the file is not JSON',
      args: ['get', 'DATABASE_URL'],
      setup: (s) => writeFileSync(s.secrets, `DATABASE_URL=${dev['DATABASE_URL']}\n`),
      exit: 5,
    },
    { label: 'key import: damaged bundle', args: ['key', 'import'], input: bundleFlipped('production'), env: emptyHome(), exit: 4 },
    { label: 'key import: bundle of another project', args: ['key', 'import'], input: otherBundle, env: emptyHome(), exit: 4 },
    { label: 'key import: a value pasted instead', args: ['key', 'import'], input: dev['DATABASE_URL']!, env: emptyHome(), exit: 4 },
    { label: 'key import: right id, wrong key', args: ['key', 'import'], input: craftedBundle('production'), env: emptyHome(), exit: 4 },
    {
      label: 'key import --passphrase: wrong passphrase',
      args: ['key', 'import', '--passphrase', '--env', 'staging'],
      input: dev['API_TOKEN']!,
      env: emptyHome(),
      exit: 4,
    },
    { label: 'set NAME=value on the command line', args: ['set', `DATABASE_URL=${dev['DATABASE_URL']}`], exit: 2 },
    { label: 'get NAME=value on the command line', args: ['get', `API_TOKEN=${dev['API_TOKEN']}`], exit: 2 },
    { label: 'ls --env NAME=value', args: ['ls', '--env', `development=${dev['API_TOKEN']}`], exit: 2 },
    {
      label: 'set a value that is not UTF-8',
      args: ['set', 'BINARY'],
      input: Buffer.concat([Buffer.from(dev['API_TOKEN']!), Buffer.from([0xff, 0xfe])]),
      exit: 2,
    },
    { label: 'set a value with a NUL byte', args: ['set', 'BINARY'], input: `${dev['API_TOKEN']}\0tail`, exit: 2 },
    { label: 'set --from-file of a missing file', args: ['set', 'X', '--from-file', '/nonexistent/secret.txt'], exit: 1 },
    ...importScenarios(),
    { label: 'export in an unknown format', args: ['export', '--format', 'xml'], exit: 2 },
    { label: 'edit: the editor fails', args: ['edit'], env: { EDITOR: 'false' }, exit: 1 },
    {
      label: 'edit: a syntax error written by the editor (no terminal: abort)',
      args: ['edit'],
      env: {
        EDITOR: `sh -c 'printf "%s\\n" "DATABASE_URL=\\"${dev['DATABASE_URL']} unterminated" "API_TOKEN ${dev['API_TOKEN']}" > "$1"' sh`,
      },
      exit: 5,
    },
    {
      label: 'the file is locked by a live hako',
      args: ['set', 'LOCKED'],
      input: dev['API_TOKEN']!,
      env: { HAKO_LOCK_TIMEOUT_MS: '100' },
      setup: (s) => writeFileSync(`${s.secrets}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), token: 't' })),
      exit: 6,
    },
    { label: 'rm a missing secret', args: ['rm', 'NOPE'], exit: 1 },
    {
      label: 'HAKO_AGE_KEY: an identity no environment knows',
      args: ['get', 'DATABASE_URL', '--env', 'production'],
      env: { ...emptyHome(), HAKO_AGE_KEY: stranger },
      exit: 3,
    },
    {
      label: 'HAKO_AGE_KEY: the right identity, truncated',
      args: ['get', 'DATABASE_URL', '--env', 'production'],
      env: { ...emptyHome(), HAKO_AGE_KEY: identity.slice(0, -6) },
      exit: 1,
    },
    {
      label: 'HAKO_AGE_KEY: a value instead of an identity',
      args: ['get', 'DATABASE_URL', '--env', 'production'],
      env: { ...emptyHome(), HAKO_AGE_KEY: dev['DATABASE_URL']! },
      exit: 1,
    },
    {
      label: 'SOPS_AGE_KEY_FILE: a file of values and a broken identity',
      args: ['get', 'DATABASE_URL', '--env', 'production'],
      setup: () => writeFileSync(join(emptyHomeDir, 'not-ids.txt'), `${dev['DATABASE_URL']}\n${identity.slice(0, 40)}\n`, { mode: 0o600 }),
      env: { ...emptyHome(), SOPS_AGE_KEY_FILE: join(emptyHomeDir, 'not-ids.txt') },
      exit: 1,
    },
    { label: 'recipients add: a private key pasted', args: ['recipients', 'add', identity, '--env', 'production'], exit: 1 },
    { label: 'env rm without --yes', args: ['env', 'rm', 'production'], exit: 2 },
    { label: 'key rotate of a passphrase environment without a choice', args: ['key', 'rotate', '--env', 'staging'], exit: 2 },
  ];

  function importScenarios(): Scenario[] {
    const v = dev['DATABASE_URL']!;
    const w = dev['API_TOKEN']!;
    const files: [string, string, string][] = [
      ['dotenv: unterminated quote', 'bad.env', `A="${v}\nB=${w}\n`],
      ['dotenv: text after the closing quote', 'bad.env', `A="${v}" ${w}\n`],
      ['dotenv: bad escape', 'bad.env', `A="${v}\\q${w}"\n`],
      ['dotenv: a name given twice', 'bad.env', `A=${v}\nA=${w}\n`],
      ['dotenv: a line without =', 'bad.env', `${v}\n`],
      ['dotenv: an invalid name', 'bad.env', `lower=${v}\n`],
      ['dotenv: a value split into the name', 'bad.env', `${v.replace(/:/g, '')}=${w}\n`],
      ['JSON: trailing comma', 'bad.json', `{"A": "${v}",}`],
      ['JSON: a name given twice', 'bad.json', `{"A": "${v}", "A": "${w}"}`],
      ['JSON: a nested value', 'bad.json', `{"A": {"inner": "${v}"}}`],
      ['JSON: a value as a key', 'bad.json', `{"${v}": "${w}"}`],
      ['JSON: a lone surrogate', 'bad.json', `{"A": "${v}\\ud800"}`],
      ['JSON: not JSON', 'bad.json', `A=${v}`],
      ['YAML: bad indentation', 'bad.yaml', `A: ${v}\n  B: ${w}\n`],
      ['YAML: an alias to nothing', 'bad.yaml', `A: ${v}\nB: *nope\n`],
      ['YAML: a nested value', 'bad.yaml', `A:\n  inner: ${v}\n`],
      ['YAML: a list', 'bad.yaml', `- ${v}\n- ${w}\n`],
      ['not UTF-8', 'bad.env', `A=${v}\xff`],
    ];
    return files.map(([label, name, text]) => ({
      label: `import: ${label}`,
      args: ['import', name],
      setup: (s: Setup) => writeFileSync(join(s.p.dir, name), label === 'not UTF-8' ? Buffer.from(text, 'latin1') : text),
      exit:
        label.includes('invalid name') || label.includes('value as a key') || label.includes('surrogate') || label === 'not UTF-8' ? 2 : 5,
    }));
  }

  test('every scenario fails the documented way and prints no value, key or passphrase', () => {
    const problems: string[] = [];
    for (const [i, s] of scenarios().entries()) {
      const throughBinary = DEEP || i % 3 === 0;
      for (const debug of [false, true]) {
        tried++;
        restore();
        s.setup?.(setup());
        let r: RunResult;
        try {
          r = p.run(s.args, {
            input: s.input ?? '',
            env: { ...s.env, ...(debug ? { HAKO_DEBUG: '1' } : {}) },
            process: !debug && throughBinary,
          });
        } finally {
          restore();
        }
        const where = `${s.label}${debug ? ' (HAKO_DEBUG=1)' : ''}`;
        try {
          assertNothingLeaks([r.stdout, r.stderr], keyMaterial);
        } catch (err) {
          failures++;
          problems.push(`${where}: ${(err as Error).message}`);
          continue;
        }
        const ok =
          r.code === s.exit &&
          r.stdout === '' &&
          onlyHakoLines(r.stderr) &&
          /^hako: error: /m.test(r.stderr) &&
          /^hako: hint: /m.test(r.stderr);
        if (!ok) {
          failures++;
          problems.push(
            `${where}: exit ${r.code} (want ${s.exit}), stdout ${r.stdout.length} bytes, stderr: ${r.stderr.trim().split('\n').join(' | ')}`,
          );
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test('the SOPS_AGE_KEY_CMD child gets no key material in its environment or argv', () => {
    const ctl = tempDir('hako-keycmd-');
    try {
      const script = join(ctl, 'keycmd.sh');
      writeFileSync(
        script,
        `#!/bin/sh\ntr '\\0' '\\n' < /proc/$$/environ > "${ctl}/environ"\ntr '\\0' ' ' < /proc/$$/cmdline > "${ctl}/cmdline"\nprintf '%s\\n' "${identity}"\n`,
        { mode: 0o700 },
      );
      const r = p.run(['get', 'DATABASE_URL', '--env', 'production', '-n'], {
        env: {
          ...emptyHome(),
          HAKO_KEY: bundles['development']!,
          HAKO_PASSPHRASE: PASSPHRASE,
          HAKO_PASSPHRASE_STAGING: PASSPHRASE,
          SOPS_AGE_KEY_CMD: script,
        },
        process: true,
      });
      tried++;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, VALUES['production']!['DATABASE_URL'], 'the identity from the command opened production');
      const environ = readFileSync(join(ctl, 'environ'), 'utf8');
      const cmdline = readFileSync(join(ctl, 'cmdline'), 'utf8');
      assert.doesNotMatch(environ, /^(HAKO_KEY|HAKO_PASSPHRASE[A-Z_]*|HAKO_AGE_KEY|SOPS_AGE_KEY[A-Z_]*)=/m);
      assertNothingLeaks([environ, cmdline], keyMaterial);
    } catch (err) {
      failures++;
      throw err;
    } finally {
      rmSync(ctl, { recursive: true, force: true });
    }
  });

  test('commands that succeed without being asked for a value print none (and no key)', () => {
    restore();
    const quiet: string[][] = [
      ['ls'],
      ['ls', '--json'],
      ['env', 'ls'],
      ['env', 'ls', '--json'],
      ['key', 'ls'],
      ['key', 'ls', '--json'],
      ['recipients', 'ls'],
      ['recipients', 'ls', '--json'],
      ['whoami'],
      ['pubkey'],
      ['typegen', '--lang', 'ts'],
      ['--help'],
    ];
    const problems: string[] = [];
    for (const args of quiet) {
      tried++;
      const r = p.run(args, { env: { HAKO_AGE_KEY: identity } });
      try {
        assertNothingLeaks([r.stdout, r.stderr], keyMaterial);
        if (r.code !== 0 && r.code !== 1) problems.push(`${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
      } catch (err) {
        failures++;
        problems.push(`${args.join(' ')}: ${(err as Error).message}`);
      }
    }
    // Writes report what changed by name only.
    for (const [args, input] of [
      [['set', 'NEW_ONE'], VALUES['development']!['API_TOKEN']!],
      [['rm', 'NEW_ONE'], ''],
    ] as const) {
      tried++;
      const r = p.run([...args], { input });
      try {
        assert.equal(r.code, 0, r.stderr);
        assertNothingLeaks([r.stdout, r.stderr], keyMaterial);
      } catch (err) {
        failures++;
        problems.push(`${args.join(' ')}: ${(err as Error).message}`);
      }
    }
    restore();
    assert.deepEqual(problems, []);
  });

  test('a reader of the repository finds no value and no key: working tree, every git object', () => {
    restore();
    git(p.dir, 'add', '.hako'); // what hako writes (the import scenarios leave plaintext test files beside it)
    git(p.dir, 'commit', '-q', '-m', 'secrets');
    tried++;
    const objects = git(p.dir, 'cat-file', '--batch-all-objects', '--batch');
    const tree = readdirSync(join(p.dir, '.hako')).map((f) => readFileSync(join(p.dir, '.hako', f), 'utf8'));
    try {
      assert.match(objects, /"key_id": "[0-9a-f]{16}"/, 'the commit holds the secrets file (control)');
      assertNothingLeaks([objects, ...tree], keyMaterial);
    } catch (err) {
      failures++;
      throw err;
    }
  });
});
