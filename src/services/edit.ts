/**
 * `hako edit`: the values of one environment as dotenv in a private file (tmpfs, 0600),
 * opened in $VISUAL/$EDITOR. Only values that changed get new ciphertext; a deleted line
 * removes its secret. A syntax error reopens the editor when someone can answer, else
 * aborts with nothing written. The file is removed on every way out, Ctrl-C and SIGTERM
 * included: while the editor runs, hako ignores SIGINT (the editor owns the terminal) and
 * treats the editor dying of a signal as an abort. The editor is exec'd by the shell, so a
 * signal hako passes on reaches the editor itself and hako waits for the editor to end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { HakoError, isHakoError } from '../core/errors.js';
import { assertEnvName } from '../core/names.js';
import { encodeDotenv, parseDotenv } from '../core/formats/dotenv.js';
import { createPrivateDir, privateBase } from '../launcher/private-dir.js';
import { withoutKeyMaterial } from '../core/keys/key-material.js';
import { findProject, loadSecretsFile } from './project.js';
import { assertNameFor, revealEnvironment, setSecrets, valueFromBytes, type SetResult } from './secrets.js';
import type { ServiceContext } from './context.js';

export interface EditContext extends ServiceContext {
  /** Asks a yes/no question on a terminal; undefined where nobody can answer. */
  confirm?: (question: string) => Promise<boolean>;
  /** True when stdin and stdout are a terminal, where the fallback editor (vi) can run. */
  terminal?: boolean;
  /** Accept a private folder on disk where no memory-backed one exists. */
  allowDisk?: boolean;
}

export type EditOutcome = { kind: 'saved'; result: SetResult } | { kind: 'unchanged' };

export async function editEnvironment(ctx: EditContext, env: string): Promise<EditOutcome> {
  assertEnvName(env);
  const project = findProject(ctx);
  // Both checks come before any value is opened: without a terminal, vi writes its screen
  // (every value) to stdout; and the plaintext file must have somewhere in memory to go.
  const editor = ctx.env['VISUAL'] || ctx.env['EDITOR'] || (ctx.terminal ? 'vi' : null);
  if (editor === null) {
    throw new HakoError(
      'E_EDITOR',
      'no editor: $VISUAL and $EDITOR are not set, and there is no terminal for vi; nothing was opened',
      'set EDITOR (e.g. EDITOR=nano), or change values with hako set / hako import',
    );
  }
  privateBase(ctx.env, { allowDisk: ctx.allowDisk ?? false });
  const record = loadSecretsFile(project).environments.get(env);
  const exists = record !== undefined;
  const before = exists ? await revealEnvironment(ctx, env, project) : new Map<string, string>();

  const dir = createPrivateDir('hako-edit', ctx.env, { allowDisk: ctx.allowDisk ?? false, notice: ctx.notice });
  const cleanup = () => dir.remove();
  process.once('exit', cleanup);
  const signals = new SessionSignals(cleanup);
  try {
    const path = dir.writeFile(`${env}.env`, header(env, dir.onTmpfs) + encodeDotenv(before));
    let after: Map<string, string>;
    while (true) {
      await runEditor(editor, path, ctx.env, signals);
      signals.throwIfStopped();
      try {
        after = readEdited(path, (name) => assertNameFor(record, name));
        break;
      } catch (err) {
        if (
          isHakoError(err) &&
          (err.code === 'E_FORMAT' || err.code === 'E_INVALID_NAME' || err.code === 'E_INVALID_VALUE') &&
          ctx.confirm
        ) {
          const again = await ctx.confirm(`${err.message}. Reopen the editor? [Y/n] `);
          signals.throwIfStopped();
          if (again) continue;
          throw new HakoError('E_EDITOR', 'edit abandoned; nothing was written', 'run hako edit again');
        }
        throw err;
      }
    }
    // The plaintext goes before anything that may wait (the lock, a slow disk): from here a
    // signal may end hako the ordinary way, with nothing left to remove.
    cleanup();
    signals.release();
    signals.throwIfStopped();
    const changed = new Map([...after].filter(([k, v]) => before.get(k) !== v));
    const removed = [...before.keys()].filter((k) => !after.has(k));
    if (changed.size === 0 && removed.length === 0) return { kind: 'unchanged' };
    return { kind: 'saved', result: await setSecrets(ctx, env, changed, removed, project) };
  } finally {
    cleanup();
    signals.release();
    process.removeListener('exit', cleanup);
  }
}

const SESSION_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * While the plaintext file exists, SIGINT, SIGTERM and SIGHUP must not end hako before it
 * removes the file (their default action kills at once, skipping every finally). While the
 * editor runs, SIGINT is the editor's (the terminal sends Ctrl-C to both) and SIGTERM/SIGHUP
 * are passed on to it; at any other moment a signal removes the file at once and the session
 * ends with E_INTERRUPTED at its next step.
 */
class SessionSignals {
  stopping: NodeJS.Signals | null = null;
  editor: ChildProcess | null = null;
  private readonly handler = (sig: NodeJS.Signals) => {
    if (this.editor) {
      if (sig === 'SIGINT') return;
      this.stopping ??= sig;
      this.editor.kill(sig);
      return;
    }
    this.stopping ??= sig;
    this.removePlaintext();
  };

  constructor(private readonly removePlaintext: () => void) {
    for (const s of SESSION_SIGNALS) process.on(s, this.handler);
  }

  release(): void {
    for (const s of SESSION_SIGNALS) process.removeListener(s, this.handler);
  }

  throwIfStopped(): void {
    if (this.stopping) throw new HakoError('E_INTERRUPTED', `stopped by ${this.stopping}; nothing was written`, 'run hako edit again');
  }
}

function header(env: string, onTmpfs: boolean): string {
  return [
    `# hako edit: environment '${env}'. One NAME=value per line; quote values with spaces, # or newlines.`,
    '# Save and quit to apply. Deleting a line removes that secret. Only changed values are re-encrypted.',
    `# This file is private (mode 0600${onTmpfs ? ', in memory' : ''}) and is removed when you quit.`,
    '',
  ].join('\n');
}

function readEdited(path: string, checkName: (name: string) => void): Map<string, string> {
  const text = valueFromBytes(readFileSync(path), 'the edited file');
  const out = new Map<string, string>();
  for (const entry of parseDotenv(text, 'edited file')) {
    try {
      checkName(entry.name);
    } catch (err) {
      throw new HakoError('E_INVALID_NAME', `edited file: line ${entry.line}: ${(err as HakoError).message}`, (err as HakoError).hint);
    }
    valueFromBytes(Buffer.from(entry.value, 'utf8'), entry.name);
    out.set(entry.name, entry.value);
  }
  return out;
}

/** Runs the editor on `path`; resolves on a clean exit, throws on anything else. */
function runEditor(editor: string, path: string, env: NodeJS.ProcessEnv, signals: SessionSignals): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `exec ${editor} "$1"`, 'hako-edit', path], { stdio: 'inherit', env: withoutKeyMaterial(env) });
    signals.editor = child;
    const done = () => {
      signals.editor = null;
    };
    child.on('error', (err) => {
      done();
      reject(
        new HakoError(
          'E_EDITOR',
          `cannot start the editor (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
          'set $EDITOR to your editor, e.g. EDITOR=nano',
        ),
      );
    });
    child.on('exit', (code, signal) => {
      done();
      if (signal) reject(new HakoError('E_INTERRUPTED', `the editor was stopped by ${signal}; nothing was written`, 'run hako edit again'));
      else if (code !== 0)
        reject(
          new HakoError('E_EDITOR', `the editor exited with code ${code}; nothing was written`, 'save and quit normally to apply changes'),
        );
      else resolve();
    });
  });
}
