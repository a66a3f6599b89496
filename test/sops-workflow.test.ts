// Acceptance 4 of the SOPS work: the sops workflow end to end in a real git repository:
// a .sops.yaml with two creation rules, new files encrypted by rule, a teammate's key added
// with `updatekeys` (only the key entries change), the data key opened by the real `age`
// CLI from the wrapped entry, `rotate --rm-age`, and `exec-env` passing the child's exit
// code through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { parse } from 'yaml';
import { baseEnv, git, runHako, tempDir, hakoInProcessByDefault } from './helpers.js';
import { needTools, toolPath } from './tools.js';
import { specDecrypt } from './sops/spec-reader.js';

hakoInProcessByDefault();

async function person(dir: string, name: string) {
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const file = join(dir, `${name}.txt`);
  writeFileSync(file, `# ${name}\n${identity}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { identity, recipient, file };
}

test('the sops workflow: two rules, encrypt, updatekeys, the age CLI, rotate --rm-age, exec-env', async (t) => {
  const dir = tempDir('hako-sops-flow-');
  try {
    const keys = join(dir, '..', `${dir.split('/').pop()}-keys`);
    mkdirSync(keys, { mode: 0o700 });
    const alice = await person(keys, 'alice');
    const bob = await person(keys, 'bob');
    git(dir, 'init', '-q');
    const rules = (prodAge: string) =>
      `creation_rules:\n  - path_regex: secrets/prod/.*\\.yaml$\n    age: ${prodAge}\n  - path_regex: \\.env$\n    age: ${alice.recipient}\n`;
    writeFileSync(join(dir, '.sops.yaml'), rules(alice.recipient));
    mkdirSync(join(dir, 'secrets', 'prod'), { recursive: true });
    writeFileSync(join(dir, 'secrets', 'prod', 'app.yaml'), 'db:\n    user: app\n    password: hunter22\napi_key: k-123456\n');
    writeFileSync(join(dir, 'secrets', 'dev.env'), 'DB_PASSWORD=devpass1\nTOKEN=t-9999\n');
    const env = (file: string) => baseEnv({ HOME: dir, SOPS_AGE_KEY_FILE: file });
    const hako = (args: string[], file = alice.file) => runHako(args, { cwd: dir, env: env(file) });

    for (const f of ['secrets/prod/app.yaml', 'secrets/dev.env']) assert.equal(hako(['sops', 'encrypt', '-i', f]).code, 0);
    assert.equal(hako(['sops', 'encrypt', '-i', 'secrets/dev.env']).code, 203, 'already encrypted');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'encrypted');
    const prod = readFileSync(join(dir, 'secrets/prod/app.yaml'), 'utf8');
    assert.match(prod, /password: ENC\[AES256_GCM,/);
    assert.ok(!prod.includes('hunter22'));
    assert.equal(hako(['sops', 'decrypt', '--extract', '["db"]["password"]', 'secrets/prod/app.yaml']).stdout, 'hunter22');

    // bob joins the prod rule; updatekeys rewraps the same data key
    assert.equal(hako(['sops', 'decrypt', 'secrets/prod/app.yaml'], bob.file).code, 128, 'bob cannot open it yet');
    writeFileSync(join(dir, '.sops.yaml'), rules(`${alice.recipient},${bob.recipient}`));
    const up = hako(['sops', 'updatekeys', '-y', 'secrets/prod/app.yaml']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(hako(['sops', 'updatekeys', '-y', 'secrets/prod/app.yaml']).code, 200, 'nothing more to change');
    const after = readFileSync(join(dir, 'secrets/prod/app.yaml'), 'utf8');
    const diff = git(dir, 'diff', '-U0', '--', 'secrets/prod/app.yaml');
    const changed = diff.split('\n').filter((l) => /^[+-][^+-]/.test(l));
    assert.ok(changed.length > 0);
    const beforeLines = new Set(prod.split('\n'));
    for (const l of after.split('\n')) {
      if (beforeLines.has(l)) continue;
      assert.ok(
        /^\s{8,}[A-Za-z0-9+/=-]+$|^\s+- recipient: |^\s+recipient: |^\s+- enc: \|$|^\s+enc: \|$|-----/.test(l),
        `only key entries change: ${l.slice(0, 50)}`,
      );
    }
    for (const keep of ['db:', 'password: ENC', 'mac: ENC', 'lastmodified:', 'api_key: ENC'])
      assert.equal(
        prod.split('\n').find((l) => l.includes(keep)),
        after.split('\n').find((l) => l.includes(keep)),
        `${keep} line unchanged`,
      );
    assert.equal(hako(['sops', 'decrypt', '--extract', '["api_key"]', 'secrets/prod/app.yaml'], bob.file).stdout, 'k-123456');

    // the real age CLI opens bob's entry: the raw data key, which opens every value
    if (needTools(t, 'age')) {
      const entry = (parse(after) as { sops: { age: { recipient: string; enc: string }[] } }).sops.age.find(
        (a) => a.recipient === bob.recipient,
      )!;
      const r = spawnSync(toolPath('age')!, ['--decrypt', '-i', bob.file], { input: entry.enc });
      assert.equal(r.status, 0, r.stderr.toString());
      assert.equal(r.stdout.length, 32);
      const spec = specDecrypt(after, 'yaml', r.stdout);
      assert.ok(spec.values.some(([p, v]) => p === 'db.password' && v === 'hunter22'));
    }
    git(dir, 'commit', '-qam', 'bob');

    // alice leaves: rotate with a new data key, without her
    const rot = hako(['sops', 'rotate', '-i', '--rm-age', alice.recipient, 'secrets/prod/app.yaml'], bob.file);
    assert.equal(rot.code, 0, rot.stderr);
    assert.equal(hako(['sops', 'decrypt', 'secrets/prod/app.yaml']).code, 128, 'alice can no longer open it');
    const rotated = readFileSync(join(dir, 'secrets/prod/app.yaml'), 'utf8');
    assert.ok(!rotated.includes(alice.recipient));
    assert.notEqual(
      rotated.split('\n').find((l) => l.includes('api_key')),
      after.split('\n').find((l) => l.includes('api_key')),
    );
    assert.equal(hako(['sops', 'decrypt', '--extract', '["db"]["user"]', 'secrets/prod/app.yaml'], bob.file).stdout, 'app');

    // exec-env: values as variables, the child's exit code passed through, key material kept away
    const ex = hako(['sops', 'exec-env', 'secrets/dev.env', 'test "$DB_PASSWORD" = devpass1 && test -z "$SOPS_AGE_KEY_FILE" && exit 7']);
    assert.equal(ex.code, 7, ex.stderr);
    const out = hako(['sops', 'exec-env', 'secrets/dev.env', 'echo "token=$TOKEN"']);
    assert.equal(out.stdout.trim(), 'token=[REDACTED:TOKEN]', 'output is redacted');
    writeFileSync(join(dir, 'bad.env'), 'PATH=/tmp/evil\n');
    assert.equal(hako(['sops', 'encrypt', '-i', 'bad.env']).code, 0);
    const refused = hako(['sops', 'exec-env', 'bad.env', 'true']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /PATH/);
    assert.equal(hako(['sops', 'exec-env', '--allow', 'PATH', 'bad.env', 'exit 0']).code, 0);
    rmSync(keys, { recursive: true, force: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an age key file others can read is refused by name, with the fix, not reported as no identity', async () => {
  const dir = tempDir('hako-sops-mode-');
  try {
    const alice = await person(dir, 'alice');
    git(dir, 'init', '-q');
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - path_regex: \\.env$\n    age: ${alice.recipient}\n`);
    writeFileSync(join(dir, 'app.env'), 'TOKEN=t-mode-1234\n');
    const env = baseEnv({ HOME: dir, SOPS_AGE_KEY_FILE: alice.file });
    assert.equal(runHako(['sops', 'encrypt', '-i', 'app.env'], { cwd: dir, env }).code, 0);
    chmodSync(alice.file, 0o644);
    const r = runHako(['sops', 'decrypt', 'app.env'], { cwd: dir, env });
    assert.equal(r.code, 128, r.stderr);
    assert.match(r.stderr, /not used: .*is readable by others \(mode 644\)/);
    assert.match(r.stderr, /^hako: hint: .*chmod/m);
    assert.equal(r.stdout, '');
    assert.ok(!r.stderr.includes(alice.identity) && !r.stderr.includes('t-mode-1234'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
