/**
 * Plaintext on disk and in child processes for `hako run` (issue 5), in every delivery mode:
 * whatever way the run ends - the program exits, dies of SIGINT, Ctrl-C reaches the whole
 * process group, hako gets SIGTERM, the program leaves a grandchild running - no file
 * holding a value is left anywhere hako wrote ($XDG_RUNTIME_DIR and $TMPDIR set to temp
 * folders, the project, $HAKO_HOME). While the program runs, /proc shows no value, key,
 * bundle or passphrase in the argv of hako or any descendant, no key material variable in
 * any descendant's environment, and - except with --via env, whose whole point is values in
 * the environment - no value in it either. With --via files, the folder is 0700, the files
 * 0400, and only there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finished, Project, spawnHako, tempDir, type RunResult, MEMORY_TEMP_MISSING, memoryTempDir } from '../helpers.js';
import { recordArea } from './depth.js';
import { alive, descendants, filesHolding, secretNeedles, waitFor } from './proc.js';

const VALUES = { DATABASE_URL: 'postgres://app:run-leak-pw-4e1@db/app', API_TOKEN: 'tok-run-leak-92bd' };
const PASSPHRASE = 'run leak passphrase never shown';

/** The program: reports its pid (and a grandchild's), waits for "go", then ends as RUN_MODE says. */
const PROGRAM = `#!/bin/sh
echo $$ > "$RUN_CTL/child.pid"
if [ "$RUN_MODE" = fork ]; then sleep 60 & echo $! > "$RUN_CTL/grandchild.pid"; fi
touch "$RUN_CTL/ready"
while [ ! -e "$RUN_CTL/go" ]; do sleep 0.02; done
if [ "$RUN_MODE" = sigint ]; then kill -INT $$; fi
exit 0
`;

type Via = 'env' | 'fd3' | 'files';
type Ending = 'exit' | 'child-sigint' | 'ctrl-c' | 'hako-sigterm' | 'grandchild';

describe('hako run leaves no plaintext and puts no secret where it does not belong', { skip: MEMORY_TEMP_MISSING }, () => {
  let p: Project;
  let runtime: string;
  let tmp: string;
  let tools: string;
  let program: string;
  let bundle: string;
  let needles: string[] = [];
  let tried = 0;
  let failures = 0;

  before(() => {
    p = new Project();
    for (const [k, v] of Object.entries(VALUES)) p.set(k, v);
    bundle = p.ok(['key', 'export']).stdout.trim();
    needles = secretNeedles(p, bundle, VALUES, [PASSPHRASE]);
    runtime = memoryTempDir('hako-xdg-'); // an XDG_RUNTIME_DIR on disk would be passed over
    tmp = tempDir('hako-tmpdir-');
    tools = tempDir('hako-run-tools-');
    program = join(tools, 'program.sh');
    writeFileSync(program, PROGRAM);
    chmodSync(program, 0o755);
  });
  after(() => {
    recordArea({ area: 'leaks:run-sessions', tried, failures });
    p.cleanup();
    for (const d of [runtime, tmp, tools]) rmSync(d, { recursive: true, force: true });
  });

  const values = Object.values(VALUES);
  /** Files holding a secret outside the private folder ($HAKO_HOME may hold keys, never values). */
  const leftAnywhere = () => [...filesHolding([tmp, p.dir], needles), ...filesHolding([p.home], [...values, PASSPHRASE])];

  async function session(via: Via, ending: Ending): Promise<void> {
    tried++;
    const ctl = tempDir('hako-run-ctl-');
    let hako: ChildProcess | null = null;
    let ok = false;
    try {
      hako = spawnHako(['run', '--via', via, '--', program], {
        cwd: p.dir,
        detached: true,
        env: {
          ...p.env,
          RUN_MODE: ending === 'grandchild' ? 'fork' : ending === 'child-sigint' ? 'sigint' : 'wait',
          RUN_CTL: ctl,
          XDG_RUNTIME_DIR: runtime,
          TMPDIR: tmp,
          HAKO_KEY: bundle,
          HAKO_PASSPHRASE: PASSPHRASE,
        },
      });
      hako.stdin!.end();
      const done: Promise<RunResult> = finished(hako);
      await waitFor(() => existsSync(join(ctl, 'ready')), 'the program to start');
      const childPid = Number(readFileSync(join(ctl, 'child.pid'), 'utf8'));

      // While it runs: where the plaintext is, and what every process carries.
      const inPrivate = filesHolding([runtime], values);
      if (via === 'files') {
        assert.equal(inPrivate.length, values.length, 'one file per value in the private folder (control for the scans)');
        assert.equal(statSync(join(inPrivate[0]!, '..')).mode & 0o777, 0o700);
        for (const f of inPrivate) assert.equal(statSync(f).mode & 0o777, 0o400);
      } else assert.deepEqual(inPrivate, []);
      assert.deepEqual(leftAnywhere(), [], 'plaintext outside the private folder while running');
      const procs = [hako.pid!, ...descendants(hako.pid!)];
      assert.ok(procs.includes(childPid), 'the program is a descendant of hako');
      for (const pid of procs) {
        let argv = '';
        let environ = '';
        try {
          argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          environ = pid === hako.pid ? '' : readFileSync(`/proc/${pid}/environ`, 'utf8');
        } catch {
          continue; // a sleep of the program's loop, gone meanwhile
        }
        for (const s of needles) assert.ok(!argv.includes(s), `a secret in the argv of pid ${pid}`);
        assert.doesNotMatch(
          environ,
          /(^|\0)(HAKO_KEY|HAKO_PASSPHRASE[A-Z_]*|HAKO_AGE_KEY|SOPS_AGE_KEY[A-Z_]*)=/,
          `key material variable in pid ${pid}`,
        );
        for (const s of needles.filter((n) => via !== 'env' || !values.includes(n)))
          assert.ok(!environ.includes(s), `a secret in the environment of pid ${pid}`);
      }

      let grandchild = 0;
      if (ending === 'exit' || ending === 'child-sigint' || ending === 'grandchild') writeFileSync(join(ctl, 'go'), '');
      if (ending === 'ctrl-c') process.kill(-hako.pid!, 'SIGINT');
      if (ending === 'hako-sigterm') hako.kill('SIGTERM');
      if (ending === 'grandchild') {
        grandchild = Number(readFileSync(join(ctl, 'grandchild.pid'), 'utf8'));
        await waitFor(() => !alive(childPid), 'the program to exit');
        // The program is gone, its grandchild still runs (and may hold hako's output pipes):
        // the files must already be gone.
        await waitFor(() => readdirSync(runtime).length === 0, 'the private folder to be removed after the program exited');
        assert.ok(alive(grandchild), 'the grandchild outlived the program (control)');
        process.kill(grandchild, 'SIGKILL');
      }
      const r = await done;
      const want = {
        exit: { code: 0 },
        grandchild: { code: 0 },
        'child-sigint': { signal: 'SIGINT' },
        'ctrl-c': { signal: 'SIGINT' },
        'hako-sigterm': { signal: 'SIGTERM' },
      }[ending];
      if ('code' in want) assert.equal(r.code, want.code, r.stderr);
      else assert.equal(r.signal, want.signal, `exit ${r.code} ${r.signal}: ${r.stderr}`);
      assert.equal(alive(childPid), false, 'the program outlived hako');
      assert.deepEqual(readdirSync(runtime), [], 'the private folder was not removed');
      assert.deepEqual([...filesHolding([runtime], needles), ...leftAnywhere()], [], 'a file holding a secret was left');
      assert.ok(!needles.some((s) => r.stdout.includes(s) || r.stderr.includes(s)), 'a secret in hako’s output');
      ok = true;
    } finally {
      if (!ok) failures++;
      for (const f of ['child.pid', 'grandchild.pid']) {
        try {
          const pid = Number(readFileSync(join(ctl, f), 'utf8'));
          if (alive(pid)) process.kill(pid, 'SIGKILL');
        } catch {
          /* not started */
        }
      }
      if (hako && hako.exitCode === null && hako.signalCode === null) hako.kill('SIGKILL');
      rmSync(ctl, { recursive: true, force: true });
    }
  }

  for (const via of ['files', 'fd3', 'env'] as const) {
    for (const ending of ['exit', 'child-sigint', 'ctrl-c', 'hako-sigterm', 'grandchild'] as const) {
      test(`--via ${via}, ${ending}: nothing left, nothing in any argv${via === 'env' ? '' : ' or environment'}`, async () => {
        await session(via, ending);
      });
    }
  }
});
