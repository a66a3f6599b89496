/**
 * The integration tier (`npm run test:integration`, run by .ci/run after `npm test`): tests
 * that start real servers (sshd, a browser, load generators, a keyring daemon) live in this
 * folder. Until the first one lands, this checks that the tier runs from the built tree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HAKO_BIN, REPO_ROOT } from '../helpers.js';

test('the integration tier runs against the built hako', () => {
  assert.ok(existsSync(HAKO_BIN), 'npm run build made build/cli/hako.cjs');
  assert.ok(existsSync(join(REPO_ROOT, 'build', 'test', 'integration')));
});
