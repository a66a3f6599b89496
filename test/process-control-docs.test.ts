// The list of names that take over a process is documented in one place, generated from the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers.js';
import { processControlDocs, processControlKind } from '../src/core/process-control-names.js';

test('docs/LAUNCHER.md lists the process-control names the code refuses (npm run docs:process-control)', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'LAUNCHER.md'), 'utf8');
  const a = doc.indexOf('<!-- process-control:start -->\n') + '<!-- process-control:start -->\n'.length;
  const b = doc.indexOf('<!-- process-control:end -->');
  assert.equal(doc.slice(a, b), processControlDocs());
});

test('the list knows the names of each kind, and leaves ordinary names alone', () => {
  for (const [name, kind] of [
    ['LD_PRELOAD', 'loader'],
    ['NODE_OPTIONS', 'interpreter'],
    ['BASH_ENV', 'shell'],
    ['PATH', 'shell'],
    ['GIT_SSH_COMMAND', 'tool-command'],
    ['GIT_CONFIG_COUNT', 'tool-command'],
    ['AWS_CONFIG_FILE', 'tool-config'],
    ['HTTPS_PROXY', 'network-trust'],
    ['NODE_TLS_REJECT_UNAUTHORIZED', 'network-trust'],
  ] as const) {
    assert.equal(processControlKind(name), kind, name);
  }
  for (const name of ['DATABASE_URL', 'STRIPE_KEY', 'AWS_SECRET_ACCESS_KEY', 'NODE_ENV', 'PORT', 'HOMEPAGE_URL']) {
    assert.equal(processControlKind(name), null, name);
  }
});
