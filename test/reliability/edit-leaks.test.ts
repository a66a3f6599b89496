/**
 * Plaintext on disk and in child processes (issue 5): `hako edit` writes the values of an
 * environment to a private file for the editor. Whatever way the session ends, no file
 * holding a value is left anywhere hako wrote - the private base ($XDG_RUNTIME_DIR, set to a
 * temp folder here so the test can look), $TMPDIR, the project, $HAKO_HOME - and no value,
 * key or passphrase appears in any child's argv or environment (read from /proc while the
 * editor runs). Ways to end: a normal save, a syntax error (abort), the editor killed by
 * SIGINT, Ctrl-C at the terminal (SIGINT to the whole process group), hako SIGTERMed while the
 * editor runs, and hako interrupted after the editor quit while it waits for the lock.
 *
 * `hako run` gets the same checks in run-leaks.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { finished, Project, spawnHako, tempDir, type RunResult, MEMORY_TEMP_MISSING, memoryTempDir } from '../helpers.js';
import { alive, descendants, filesHolding, secretNeedles, waitFor } from './proc.js';
import { recordArea } from './depth.js';

const VALUES = { DATABASE_URL: 'postgres://app:edit-leak-pw-61d@db/app', API_TOKEN: 'tok-edit-leak-0c5e' };
const PASSPHRASE = 'edit leak passphrase never shown';
const HOLDER = fileURLToPath(new URL('./lock-holder.js', import.meta.url));

/** An editor that reports its pid, waits for the test's "go", then does what EDIT_MODE says. */
const EDITOR = `#!/bin/sh
f="$1"
echo $$ > "$EDIT_CTL/editor.pid"
touch "$EDIT_CTL/ready"
while [ ! -e "$EDIT_CTL/go" ]; do sleep 0.02; done
case "$EDIT_MODE" in
  change) sed -i 's/^API_TOKEN=.*/API_TOKEN=changed-by-editor/' "$f" ;;
  syntax) echo 'this line is not dotenv' >> "$f" ;;
  sigint) kill -INT $$ ;;
esac
exit 0
`;

describe('hako edit leaves no plaintext and puts no secret in a child', { skip: MEMORY_TEMP_MISSING }, () => {
  let p: Project;
  let runtime: string;
  let tmp: string;
  let ctl: string;
  let bundle: string;
  let editorPath: string;
  let tools: string;
  let original: string;
  let tried = 0;
  let failures = 0;
  let needles: string[] = [];

  before(() => {
    p = new Project();
    for (const [k, v] of Object.entries(VALUES)) p.set(k, v);
    bundle = p.ok(['key', 'export']).stdout.trim();
    needles = secretNeedles(p, bundle, VALUES, ['changed-by-editor', PASSPHRASE]);
    runtime = memoryTempDir('hako-xdg-'); // an XDG_RUNTIME_DIR on disk would be passed over
    tmp = tempDir('hako-tmpdir-');
    tools = tempDir('hako-edit-tools-');
    editorPath = join(tools, 'editor.sh');
    writeFileSync(editorPath, EDITOR);
    chmodSync(editorPath, 0o755);
    original = p.file();
  });
  after(() => {
    recordArea({ area: 'leaks:edit-sessions', tried, failures });
    p.cleanup();
    rmSync(runtime, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
    rmSync(tools, { recursive: true, force: true });
  });

  /** Files holding a secret outside the private folder ($HAKO_HOME may hold keys, never values). */
  const leftAnywhere = () => [
    ...filesHolding([tmp, p.dir], needles),
    ...filesHolding([p.home], [...Object.values(VALUES), 'changed-by-editor', PASSPHRASE]),
  ];

  /** Starts `hako edit` in its own process group (like a terminal job) with key material in its environment. */
  function startEdit(mode: string): { hako: ChildProcess; done: Promise<RunResult> } {
    ctl = tempDir('hako-edit-ctl-');
    const hako = spawnHako(['edit'], {
      cwd: p.dir,
      detached: true,
      env: {
        ...p.env,
        EDITOR: editorPath,
        EDIT_MODE: mode,
        EDIT_CTL: ctl,
        XDG_RUNTIME_DIR: runtime,
        TMPDIR: tmp,
        HAKO_KEY: bundle,
        HAKO_PASSPHRASE: PASSPHRASE,
        HAKO_LOCK_TIMEOUT_MS: '60000',
      },
    });
    hako.stdin!.end();
    return { hako, done: finished(hako) };
  }

  /** While the editor runs: the plaintext is in the private folder only, and no child carries a secret. */
  async function checkWhileEditing(hako: ChildProcess): Promise<number> {
    await waitFor(() => existsSync(join(ctl, 'ready')), 'the editor to start');
    const editorPid = Number(readFileSync(join(ctl, 'editor.pid'), 'utf8'));
    const inPrivate = filesHolding([runtime], Object.values(VALUES));
    assert.equal(inPrivate.length, 1, 'the plaintext view should be in the private folder (control for the scans below)');
    const dirMode = statSync(join(inPrivate[0]!, '..')).mode & 0o777;
    assert.equal(dirMode, 0o700);
    assert.equal(statSync(inPrivate[0]!).mode & 0o777, 0o600);
    assert.deepEqual(leftAnywhere(), [], 'plaintext outside the private folder while editing');
    const children = descendants(hako.pid!);
    assert.ok(children.includes(editorPid), 'the editor is a descendant of hako');
    for (const pid of [hako.pid!, ...children]) {
      let argv = '';
      let environ = '';
      try {
        argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        environ = pid === hako.pid ? '' : readFileSync(`/proc/${pid}/environ`, 'utf8');
      } catch {
        continue; // exited meanwhile (a sleep of the editor loop)
      }
      for (const s of needles) {
        assert.ok(!argv.includes(s), `a secret in the argv of pid ${pid}`);
        assert.ok(!environ.includes(s), `a secret in the environment of child pid ${pid}`);
      }
      assert.doesNotMatch(
        environ,
        /(^|\0)(HAKO_KEY|HAKO_PASSPHRASE[A-Z_]*|HAKO_AGE_KEY|SOPS_AGE_KEY[A-Z_]*)=/,
        `key material variable in child pid ${pid}`,
      );
    }
    return editorPid;
  }

  async function session(label: string, body: () => Promise<{ r: RunResult; editorPid: number; expectWritten: boolean }>): Promise<void> {
    tried++;
    let ok = false;
    try {
      const { r, editorPid, expectWritten } = await body();
      assert.equal(alive(editorPid), false, `${label}: the editor (pid ${editorPid}) outlived hako`);
      assert.deepEqual(readdirSync(runtime), [], `${label}: the private folder was not removed`);
      assert.deepEqual([...filesHolding([runtime], needles), ...leftAnywhere()], [], `${label}: a file holding a secret was left`);
      assert.ok(!needles.some((s) => r.stdout.includes(s) || r.stderr.includes(s)), `${label}: a secret in hako's output`);
      if (!expectWritten) assert.equal(p.file(), original, `${label}: the secrets file changed`);
      ok = true;
    } finally {
      if (!ok) failures++;
      // Leave nothing running, whatever happened.
      try {
        const pid = Number(readFileSync(join(ctl, 'editor.pid'), 'utf8'));
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      } catch {
        /* no editor started */
      }
      writeFileSync(join(p.dir, '.hako', 'secrets.json'), original);
      rmSync(ctl, { recursive: true, force: true });
    }
  }

  test('normal save: changed values written, the private file removed', async () => {
    await session('save', async () => {
      const { hako, done } = startEdit('change');
      const editorPid = await checkWhileEditing(hako);
      writeFileSync(join(ctl, 'go'), '');
      const r = await done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(p.get('API_TOKEN'), 'changed-by-editor');
      return { r, editorPid, expectWritten: true };
    });
  });

  test('a syntax error with nobody to ask: abort, nothing written, nothing left', async () => {
    await session('syntax error', async () => {
      const { hako, done } = startEdit('syntax');
      const editorPid = await checkWhileEditing(hako);
      writeFileSync(join(ctl, 'go'), '');
      const r = await done;
      assert.equal(r.code, 5, r.stderr);
      return { r, editorPid, expectWritten: false };
    });
  });

  test('the editor killed by SIGINT: E_INTERRUPTED, nothing written, nothing left', async () => {
    await session('editor SIGINT', async () => {
      const { hako, done } = startEdit('sigint');
      const editorPid = await checkWhileEditing(hako);
      writeFileSync(join(ctl, 'go'), '');
      const r = await done;
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /stopped by SIGINT; nothing was written/);
      return { r, editorPid, expectWritten: false };
    });
  });

  test('Ctrl-C at the terminal (SIGINT to the process group) while editing', async () => {
    await session('Ctrl-C', async () => {
      const { hako, done } = startEdit('wait');
      const editorPid = await checkWhileEditing(hako);
      process.kill(-hako.pid!, 'SIGINT');
      const r = await done;
      assert.ok(r.code === 130 || r.signal === 'SIGINT', `exit ${r.code} ${r.signal}: ${r.stderr}`);
      return { r, editorPid, expectWritten: false };
    });
  });

  test('hako SIGTERMed while the editor runs: the editor ends too, nothing left', async () => {
    await session('hako SIGTERM', async () => {
      const { hako, done } = startEdit('wait');
      const editorPid = await checkWhileEditing(hako);
      hako.kill('SIGTERM');
      const r = await done;
      assert.ok(r.code === 130 || r.signal === 'SIGTERM', `exit ${r.code} ${r.signal}: ${r.stderr}`);
      return { r, editorPid, expectWritten: false };
    });
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    test(`${sig} after the editor quit, while hako waits for the lock: no plaintext left`, async () => {
      const holder = spawn(process.execPath, [HOLDER, '--hold', join(p.dir, '.hako', 'secrets.json')], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve()));
      try {
        await session(`${sig} while waiting for the lock`, async () => {
          const { hako, done } = startEdit('change');
          const editorPid = await checkWhileEditing(hako);
          writeFileSync(join(ctl, 'go'), '');
          await waitFor(() => !alive(editorPid), 'the editor to quit');
          await sleep(300); // hako now reads the edit and waits for the lock the holder keeps
          if (sig === 'SIGINT') process.kill(-hako.pid!, 'SIGINT');
          else hako.kill('SIGTERM');
          const r = await done;
          assert.ok(r.code === 130 || r.signal === sig, `exit ${r.code} ${r.signal}: ${r.stderr}`);
          return { r, editorPid, expectWritten: false };
        });
      } finally {
        holder.kill('SIGKILL');
        await new Promise((r) => holder.once('exit', r));
        rmSync(join(p.dir, '.hako', 'secrets.json.lock'), { force: true });
      }
    });
  }
});
