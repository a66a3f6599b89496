// hako edit: a dotenv view in a private temp file; only changed values get new ciphertext.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project, tempDir, hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

function editorScript(dir: string, body: string): string {
  const path = join(dir, 'editor.sh');
  writeFileSync(path, `#!/bin/sh\nset -e\nf="$1"\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('edit changes, adds and removes values; untouched values keep their ciphertext', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('KEEP', 'keep-me');
  p.set('CHANGE', 'old-value');
  p.set('DROP', 'drop-me');
  const before = p.json().environments.development.secrets;
  const runtime = tempDir('hako-xdg-');
  const log = join(runtime, '..', `edit-log-${process.pid}`);
  const editor = editorScript(
    p.dir,
    `stat -c %a "$f" > "${log}"; sed -i -e 's/^CHANGE=.*/CHANGE="new value"/' -e '/^DROP=/d' "$f"; echo 'ADDED="a b"' >> "$f"`,
  );
  const r = p.ok(['edit'], { env: { EDITOR: editor, XDG_RUNTIME_DIR: runtime } });
  assert.match(r.stderr, /2 set, 1 removed/);
  const after = p.json().environments.development.secrets;
  assert.equal(after.KEEP, before.KEEP, 'unchanged value keeps its ciphertext');
  assert.notEqual(after.CHANGE, before.CHANGE);
  assert.equal(after.DROP, undefined);
  assert.equal(p.get('CHANGE'), 'new value');
  assert.equal(p.get('ADDED'), 'a b');
  assert.deepEqual(readdirSync(runtime), [], 'the private folder is gone');
  const { readFileSync } = await import('node:fs');
  assert.equal(readFileSync(log, 'utf8').trim(), '600');
});

test('a syntax error or a failing editor aborts with nothing written', async (t) => {
  const p = new Project();
  t.after(() => p.cleanup());
  p.set('A', 'value-a');
  const before = p.file();
  const runtime = tempDir('hako-xdg-');
  const broken = editorScript(p.dir, `echo 'this is not dotenv' >> "$f"`);
  const r = p.run(['edit'], { env: { EDITOR: broken, XDG_RUNTIME_DIR: runtime } });
  assert.equal(r.code, 5);
  assert.match(r.stderr, /expected NAME=value/);
  assert.equal(p.file(), before);
  const failing = editorScript(p.dir, `echo 'A=changed' > "$f"; exit 3`);
  const r2 = p.run(['edit'], { env: { EDITOR: failing, XDG_RUNTIME_DIR: runtime } });
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /exited with code 3; nothing was written/);
  assert.equal(p.file(), before);
  assert.deepEqual(readdirSync(runtime), []);
  const noop = editorScript(p.dir, 'true');
  assert.match(p.ok(['edit'], { env: { EDITOR: noop, XDG_RUNTIME_DIR: runtime } }).stderr, /no changes/);
  assert.equal(p.file(), before);
});
