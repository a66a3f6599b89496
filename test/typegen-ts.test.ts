/**
 * Acceptance 5 (TypeScript): a module from `hako typegen` type-checks under `tsc --strict`
 * (plus the stricter flags apps turn on), its types reject misuse, and the compiled module
 * runs in a test app that receives its secrets on fd 3, redacting like hako-secrets/runtime.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { assertNoSecretIn, baseEnv, REPO_ROOT, tempDir, type Project, hakoInProcessByDefault } from './helpers.js';
import { assertRedacted, envelope, runProbe, runWithFd3, sha256, typegenProject, writeProbe } from './sdk-probe.js';

hakoInProcessByDefault();

const TSC = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');

const APP = `import { secrets, secretsInfo, SECRET_NAMES, OPTIONAL_SECRET_NAMES } from './hako-secrets.js';
import { createHash } from 'node:crypto';

const hash = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const url: string = secrets.DATABASE_URL;
const token: string = secrets.API_TOKEN;
const dsn: string | undefined = secrets.SENTRY_DSN;
const staging: string | undefined = secrets.STAGING_ONLY;
const names: readonly string[] = SECRET_NAMES;
console.log(JSON.stringify({
  url: hash(url),
  token: hash(token),
  dsn: dsn === undefined ? null : hash(dsn),
  staging: staging === undefined ? null : hash(staging),
  names,
  optional: OPTIONAL_SECRET_NAMES,
  info: secretsInfo(secrets),
  printed: \`\${secrets}\`,
}));
`;

/** Misuse the types must catch, each on its own line: [code, line]. */
const MISUSE: [string, string][] = [
  ['TS2322', 'const a: string = secrets.SENTRY_DSN;'],
  ['TS2339', 'const b = secrets.NOT_A_NAME;'],
  ['TS2540', "secrets.API_TOKEN = 'x';"],
  ['TS2322', 'const c: string = secrets.STAGING_ONLY;'],
];

function tsconfig(files: string[]): string {
  return JSON.stringify({
    compilerOptions: {
      strict: true,
      target: 'es2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      lib: ['es2022'],
      types: ['node'],
      typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      noImplicitOverride: true,
      noImplicitReturns: true,
      noUnusedLocals: true,
      noUnusedParameters: true,
      noPropertyAccessFromIndexSignature: true,
      noFallthroughCasesInSwitch: true,
      verbatimModuleSyntax: true,
      isolatedModules: true,
      erasableSyntaxOnly: true,
      outDir: 'out',
      rootDir: '.',
    },
    files,
  });
}

function tsc(dir: string, project: string): { code: number | null; out: string } {
  const r = spawnSync(TSC, ['-p', project], { cwd: dir, encoding: 'utf8', env: baseEnv() });
  if (r.error) throw new Error(`could not start ${TSC}: ${r.error.message}`);
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('a generated TypeScript module', () => {
  let p: Project;
  let values: string[];
  let dir: string;
  let compiled: { code: number | null; out: string };
  before(() => {
    const made = typegenProject();
    p = made.p;
    values = made.values;
    dir = tempDir('hako-ts-app-');
    const gen = p.run(['typegen', '--out', join(dir, 'hako-secrets.ts')], { env: made.noKeyEnv });
    assert.equal(gen.code, 0, gen.stderr);
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'app.ts'), APP);
    writeFileSync(join(dir, 'misuse.ts'), `import { secrets } from './hako-secrets.js';\n${MISUSE.map(([, l]) => l).join('\n')}\n`);
    // One compiler run over the app, the misuse and the module (a tsc start is most of the
    // cost): errors are reported per file, and tsc emits the app even when misuse.ts fails.
    writeFileSync(join(dir, 'tsconfig.json'), tsconfig(['app.ts', 'misuse.ts', 'hako-secrets.ts']));
    compiled = tsc(dir, 'tsconfig.json');
  });
  after(() => {
    p.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('type-checks and compiles under tsc --strict and stricter flags', () => {
    const errors = compiled.out.split('\n').filter((l) => /: error TS\d+:/.test(l));
    assert.ok(errors.length > 0 && errors.every((l) => l.startsWith('misuse.ts(')), compiled.out);
    assert.ok(existsSync(join(dir, 'out', 'app.js')) && existsSync(join(dir, 'out', 'hako-secrets.js')));
  });

  test('its types reject misuse: optional as string, unknown names, writes', () => {
    const r = compiled;
    assert.notEqual(r.code, 0);
    MISUSE.forEach(([code], i) => assert.match(r.out, new RegExp(`misuse\\.ts\\(${i + 2},\\d+\\): error ${code}:`), MISUSE[i]![1]));
    // misuse.ts also declares unused locals; nothing in hako-secrets.ts may be reported.
    assert.ok(!r.out.includes('hako-secrets.ts('), r.out);
  });

  test('runs in an app that gets its secrets on fd 3 (socket and pipe)', async () => {
    assert.ok(existsSync(join(dir, 'out', 'app.js')));
    const delivered = { DATABASE_URL: values[0]!, API_TOKEN: values[1]!, DECLARED_ONLY: 'declared-value-77' };
    for (const kind of ['socket', 'fifo'] as const) {
      const r = await runWithFd3(
        [process.execPath, join(dir, 'out', 'app.js')],
        { kind, data: envelope(delivered, 'production') },
        baseEnv({ HAKO_SECRETS_FD: '3' }),
      );
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.url, sha256(values[0]!));
      assert.equal(out.token, sha256(values[1]!));
      assert.equal(out.dsn, null);
      assert.equal(out.staging, null);
      assert.deepEqual(out.names, ['API_TOKEN', 'DATABASE_URL', 'DECLARED_ONLY', 'SENTRY_DSN', 'STAGING_ONLY']);
      assert.deepEqual(out.optional, ['SENTRY_DSN', 'STAGING_ONLY']);
      assert.deepEqual(out.info, { via: 'fd3', env: 'production', names: ['API_TOKEN', 'DATABASE_URL', 'DECLARED_ONLY'] });
      assert.equal(out.printed, '[hako secrets: API_TOKEN, DATABASE_URL, DECLARED_ONLY]');
      assertNoSecretIn([r.stdout, r.stderr], [...values, 'declared-value-77']);
    }
  });

  test('a required name without a value stops the app at import, naming it', async () => {
    const r = await runWithFd3(
      [process.execPath, join(dir, 'out', 'app.js')],
      { kind: 'socket', data: envelope({ API_TOKEN: values[1]! }) },
      baseEnv({ HAKO_SECRETS_FD: '3' }),
    );
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /HakoSecretsError: required secrets were not delivered on the fd 3 pipe: DATABASE_URL, DECLARED_ONLY; set them in the environment 'production'/,
    );
    assertNoSecretIn([r.stdout, r.stderr], values);
  });

  test('the compiled module redacts like hako-secrets/runtime', async () => {
    const probe = writeProbe();
    try {
      const delivered = { DATABASE_URL: values[0]!, API_TOKEN: values[1]!, DECLARED_ONLY: 'declared-value-77', STAGING_ONLY: values[3]! };
      const r = await runProbe(
        probe,
        { kind: 'fifo', data: envelope(delivered) },
        {
          module: pathToFileURL(join(dir, 'out', 'hako-secrets.js')).href,
          names: Object.keys(delivered),
          env: { HAKO_SECRETS_FD: '3' },
        },
      );
      assertRedacted(r, delivered);
      const env = await runProbe(
        probe,
        { kind: 'none' },
        { module: pathToFileURL(join(dir, 'out', 'hako-secrets.js')).href, names: Object.keys(delivered), env: delivered },
      );
      assertRedacted(env, delivered);
      assert.equal(env.report.info.via, 'env');
    } finally {
      rmSync(probe.dir, { recursive: true, force: true });
    }
  });
});
