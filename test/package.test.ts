/**
 * What the npm package promises: its name and command, the app-side export, a LICENSE in the
 * tarball, and no absolute path of the build machine in anything shipped (the V8 code cache
 * is made with a bare file name for that reason). The full pack → install → run path is
 * test/integration/install.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test('package: hako-secrets, command hako, hako-secrets/runtime, MIT LICENSE shipped', () => {
  assert.equal(pkg.name, 'hako-secrets');
  assert.deepEqual(pkg.bin, { hako: 'build/cli/hako.cjs' });
  assert.equal(pkg.exports['./runtime'], './build/src/sdk/runtime.js');
  assert.equal(pkg.license, 'MIT');
  assert.ok(pkg.files.includes('LICENSE'));
  assert.match(readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8'), /^MIT License\n/);
});

test('nothing shipped holds the absolute path of the checkout it was built in', () => {
  const shipped = (pkg.files as string[]).flatMap((f) => {
    const p = join(REPO_ROOT, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
  assert.ok(
    shipped.some((f) => f.endsWith('hako-main.cjs.cache')),
    'the code cache is shipped',
  );
  const holding = shipped.filter((f) => readFileSync(f).includes(REPO_ROOT));
  assert.deepEqual(holding, []);
});
