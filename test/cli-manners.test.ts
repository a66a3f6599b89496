/**
 * How the CLI treats a newcomer: mistyped commands and options get hako's own words and the
 * nearest match, the version is where people look for it, global options may come before the
 * command, key files never land inside a repository, an unusable HAKO_HOME or a folder where a
 * key file should be is a clear error (never "internal error"), and git merge conflict markers
 * are named as such. Each case runs the CLI as a user would (in process; the binary itself is
 * covered by the transcripts and the leak suite).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, hakoInProcessByDefault, Project, REPO_ROOT, runHako, tempDir, type RunResult } from './helpers.js';
import { VERSION } from '../src/commands/version.js';

hakoInProcessByDefault();

/** An error the way hako reports one: exit code, `hako: error:` and `hako: hint:`, nothing else. */
function refused(r: RunResult, code: number, error: RegExp, hint?: RegExp): void {
  assert.equal(r.code, code, `exit ${r.code}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.ok(lines.length === 2 && lines[0]!.startsWith('hako: error: ') && lines[1]!.startsWith('hako: hint: '), r.stderr);
  assert.match(lines[0]!, error);
  if (hint) assert.match(lines[1]!, hint);
  assert.doesNotMatch(r.stderr, /internal error|ERR_PARSE_ARGS|TypeError/);
}

test('an unknown subcommand says so and suggests the nearest one', () => {
  refused(runHako(['key', 'exprot']), 2, /unknown subcommand 'exprot' of hako key/, /did you mean `hako key export`\?/);
  refused(runHako(['recipients', 'remove']), 2, /unknown subcommand 'remove' of hako recipients/, /hako recipients has: add, rm, ls/);
  refused(runHako(['key']), 2, /'hako key' needs a subcommand/, /hako key export, hako key import/);
  assert.match(runHako(['key', '--help']).stdout, /Subcommands:\n {2}key export/);
});

test('an unknown command suggests the nearest one, or points at --help', () => {
  refused(runHako(['exprot']), 2, /unknown command 'exprot'/, /did you mean `hako export`\?/);
  refused(runHako(['sett']), 2, /unknown command 'sett'/, /did you mean `hako set`\?/);
  refused(runHako(['frobnicate']), 2, /unknown command 'frobnicate'/, /hako --help/);
  refused(runHako(['help', 'exprot']), 2, /unknown command 'exprot'/);
  // A pasted value in the command's place is described, never echoed.
  const r = runHako(['postgres://u:hunter2@db/x']);
  assert.equal(r.code, 2);
  assert.doesNotMatch(r.stderr, /hunter2/);
});

test('--version, -v, -V and `hako version` print the package version', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  assert.equal(VERSION, pkg.version, 'src/commands/version.ts follows package.json');
  for (const argv of [['--version'], ['-v'], ['-V'], ['version']]) {
    const r = runHako(argv);
    assert.equal(r.code, 0, argv.join(' '));
    assert.equal(r.stdout, `hako ${pkg.version}\n`, argv.join(' '));
  }
  assert.match(runHako(['--help']).stdout, /\n {2}version +print the version/);
});

test('global options may come before the command', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('API_TOKEN', 'tok-prod-77', 'production');
  assert.equal(p.ok(['--env', 'production', 'get', 'API_TOKEN', '-n']).stdout, 'tok-prod-77');
  assert.equal(p.ok(['-e', 'production', 'get', 'API_TOKEN', '-n']).stdout, 'tok-prod-77');
  assert.equal(p.ok(['--env=production', 'get', 'API_TOKEN', '-n']).stdout, 'tok-prod-77');
  assert.deepEqual(
    JSON.parse(p.ok(['--json', 'env', 'ls']).stdout).map((e: { env: string }) => e.env),
    ['development', 'production'],
  );
  // hako run: the option moves before the program, not into it.
  assert.equal(p.ok(['--env', 'production', 'run', '--no-redact', '--', 'sh', '-c', 'printf %s "$API_TOKEN"']).stdout, '');
  refused(p.run(['--frob', 'get', 'X']), 2, /unknown option --frob for hako \(before the command\)/);
  refused(p.run(['--env']), 2, /option --env needs a value/);
  refused(p.run(['--env', 'production']), 2, /no command given/, /hako --help/);
});

test('unknown options and missing values are said in hako words, with balanced quotes', () => {
  refused(
    runHako(['get', 'X', '--frob']),
    2,
    /^hako: error: unknown option --frob for hako get$/,
    /its options: --env, --no-newline, --json/,
  );
  refused(runHako(['get', 'X', '--envv', 'prod']), 2, /unknown option --envv for hako get/, /did you mean --env\?/);
  refused(runHako(['get', 'X', '-z']), 2, /unknown option -z for hako get/);
  refused(runHako(['get', 'X', '--json=yes']), 2, /option --json takes no value/);
  refused(runHako(['get', 'X', '--env']), 2, /option --env needs a value \(E\)/, /--env=-…/);
  refused(runHako(['get', 'X', '--env', '--json']), 2, /option --env needs a value/);
  refused(runHako(['init', 'extra']), 2, /hako init takes no arguments; usage: hako init/);
  refused(runHako(['get']), 2, /hako get needs 1 argument; usage: hako get NAME/);
  // Whatever the token, the message never carries node's parser text or an odd number of quotes.
  for (const bad of ['--x=', "--it's", '-€', '--\u001b[31m', `--${'a'.repeat(300)}`, '-e']) {
    const r = runHako(['ls', bad]);
    assert.equal(r.code, 2, bad);
    for (const line of r.stderr.trimEnd().split('\n')) {
      assert.ok(line.startsWith('hako: '), line);
      assert.equal((line.match(/'/g) ?? []).length % 2, 0, `unbalanced quote: ${line}`);
      assert.ok(!/[\u0000-\u001f]/.test(line), 'no control characters');
      assert.ok(line.length < 400, 'one short line');
    }
  }
});

test('HAKO_HOME must be absolute and outside the repository: key files never land inside it', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  const before = p.file();
  refused(
    p.run(['env', 'add', 'staging'], { env: { HAKO_HOME: 'keys-here' } }),
    2,
    /HAKO_HOME must be an absolute path \(it is "keys-here"\)/,
    /absolute path outside any repository/,
  );
  refused(
    p.run(['env', 'add', 'staging'], { env: { HAKO_HOME: '~/.hako' } }),
    2,
    /HAKO_HOME must be an absolute path/,
    /does not expand ~/,
  );
  refused(
    p.run(['env', 'add', 'staging'], { env: { HAKO_HOME: join(p.dir, 'keys') } }),
    2,
    /inside the git repository .* where they could be committed/,
    /outside any repository/,
  );
  // Reading with a relative HAKO_HOME is refused too: the key would be looked for in the repository.
  refused(p.run(['export'], { env: { HAKO_HOME: 'keys-here' } }), 2, /HAKO_HOME must be an absolute path/);
  assert.equal(p.file(), before, 'nothing written');
  assert.deepEqual(readdirSync(p.dir).sort(), ['.git', '.hako'], 'nothing created in the repository');
  // init checks before creating anything.
  const fresh = tempDir('hako-fresh-');
  t.after(() => rmSync(fresh, { recursive: true, force: true }));
  git(fresh, 'init', '-q');
  refused(runHako(['init'], { cwd: fresh, env: { ...p.env, HAKO_HOME: join(fresh, 'k') } }), 2, /inside the git repository/);
  assert.deepEqual(readdirSync(fresh), ['.git']);
});

test('an unusable HAKO_HOME is a clear error with a fix, not an internal error', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  const scratch = tempDir('hako-scratch-');
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const file = join(scratch, 'a-file');
  writeFileSync(file, 'not a folder\n');
  refused(
    p.run(['env', 'add', 'staging'], { env: { HAKO_HOME: file } }),
    1,
    /HAKO_HOME \(.*a-file\) cannot hold key files: .*a-file is a file, not a folder/,
    /point HAKO_HOME at a folder/,
  );
  // Not writable: a folder this user cannot write to (root writes anywhere, so it gets one the
  // kernel refuses: sysfs).
  let readOnly = join(scratch, 'read-only');
  if (process.getuid?.() === 0) readOnly = '/sys/hako-test-home';
  else {
    mkdirSync(readOnly, { mode: 0o500 });
  }
  refused(
    p.run(['env', 'add', 'staging'], { env: { HAKO_HOME: readOnly } }),
    1,
    /HAKO_HOME \(.*\) is not writable \(E[A-Z]+\)/,
    /writable/,
  );
  assert.equal(p.json().environments.staging, undefined, 'no environment without its key file');
  // Reading through a file where the folder should be: the key source is broken, said so.
  refused(p.run(['export'], { env: { HAKO_HOME: file } }), 1, /a folder on its path is a file/, /HAKO_HOME/);
});

test('a folder where a key file should be is named, with what to do', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-a');
  const keyId = p.json().environments.development.key_id;
  const bundle = p.ok(['key', 'export']).stdout;
  const keyFile = join(p.home, 'keys', keyId);
  rmSync(keyFile);
  mkdirSync(keyFile, { mode: 0o700 });
  refused(p.run(['get', 'A']), 1, new RegExp(`key file ${keyFile} is a folder`), /remove .* then import the key again/);
  refused(p.run(['key', 'import'], { input: bundle }), 1, new RegExp(`key file ${keyFile} is a folder`), /remove .* \(it is not a key\)/);
  rmSync(keyFile, { recursive: true });
  p.ok(['key', 'import'], { input: bundle });
  assert.equal(p.get('A'), 'value-a');
});

test('git merge conflict markers in secrets.json are named, with how to resolve them', (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('API_TOKEN', 'base-value');
  git(p.dir, 'add', '-A');
  git(p.dir, 'commit', '-qm', 'base');
  git(p.dir, 'checkout', '-qb', 'other');
  p.set('API_TOKEN', 'value-on-other');
  git(p.dir, 'commit', '-qam', 'other');
  git(p.dir, 'checkout', '-q', '-');
  p.set('API_TOKEN', 'value-on-main');
  git(p.dir, 'commit', '-qam', 'main');
  assert.throws(() => git(p.dir, 'merge', 'other'), /failed/);
  assert.match(p.file(), /^<<<<<<< /m, 'a real conflict');
  for (const argv of [['ls'], ['get', 'API_TOKEN'], ['set', 'OTHER']]) {
    const r = p.run(argv, { input: 'x' });
    refused(
      r,
      5,
      /\.hako\/secrets\.json has unresolved merge conflict markers \(from git merge\), the first at line \d+/,
      /keep both sides' lines .*git checkout --ours/,
    );
    assert.doesNotMatch(r.stderr, /value-on|v1:|v2:/);
  }
  // Resolved by taking one side: hako reads it again.
  git(p.dir, 'checkout', '--theirs', '.hako/secrets.json');
  assert.equal(p.get('API_TOKEN'), 'value-on-other');
});

test('init writes its first environment and what git needs; nothing of HAKO_HOME is in the repository', (t) => {
  const p = new Project({ init: false });
  t.after(() => p.cleanup());
  const r = p.ok(['init']);
  assert.match(r.stderr, /created environment 'development' \(key id [0-9a-f]{16}\); key file /);
  assert.match(r.stderr, /wrote \.hako\/\.gitattributes/);
  assert.equal(
    readFileSync(join(p.dir, '.hako', '.gitattributes'), 'utf8'),
    '# hako: exact bytes, no line-ending conversion\nsecrets.json -text\n',
  );
  assert.match(git(p.dir, 'check-attr', 'text', '--', '.hako/secrets.json'), /text: unset/);
  // A lock or temp file left by a killed writer is ignored by git.
  writeFileSync(join(p.dir, '.hako', 'secrets.json.lock'), '{}');
  writeFileSync(join(p.dir, '.hako', '.secrets.json.123.abcdef01.tmp'), 'x');
  assert.deepEqual(git(p.dir, 'status', '--porcelain', '--untracked-files=all').trim().split('\n').sort(), [
    '?? .hako/.gitattributes',
    '?? .hako/.gitignore',
    '?? .hako/secrets.json',
  ]);
  rmSync(join(p.dir, '.hako', 'secrets.json.lock'));
  // Again: nothing changes; a missing line comes back; the user's own lines stay.
  const again = p.ok(['init']);
  assert.match(again.stderr, /already initialised/);
  assert.doesNotMatch(again.stderr, /created environment|wrote/);
  writeFileSync(join(p.dir, '.hako', '.gitattributes'), 'recipients.md linguist-documentation\n');
  p.ok(['init']);
  assert.equal(readFileSync(join(p.dir, '.hako', '.gitattributes'), 'utf8'), 'recipients.md linguist-documentation\nsecrets.json -text\n');
  assert.equal(existsSync(join(p.dir, 'keys')), false);
  // --env names the first environment; a project that has some gets none, and is told so.
  assert.match(p.ok(['init', '--env', 'staging']).stderr, /already has environments; init made none \(add one with hako env add staging\)/);
  refused(
    p.run(['init', '--env', 'staging', '--passphrase'], { env: { HAKO_PASSPHRASE: 'long enough passphrase' } }),
    1,
    /already has environments/,
    /hako env add staging --passphrase/,
  );
});
