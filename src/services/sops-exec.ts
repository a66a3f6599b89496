/**
 * The sops commands that start other programs: `exec-env`, `exec-file` and `edit`.
 *
 * exec-env keeps hako's run guarantees: nothing starts unless every value opens and the MAC
 * matches; the child never gets key material; a value under a process-control name is
 * refused unless allowed by name; signals are passed on and the child's exit code (or
 * signal) is hako's; output is redacted. COMMAND runs with `/bin/sh -c`, as sops runs it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { HakoError } from '../core/errors.js';
import { withoutKeyMaterial } from '../core/keys/key-material.js';
import { assertNoProcessControl, deliveredVariables } from '../core/process-control-names.js';
import { emitPlain, topLevelValues } from '../core/sops/sops-file.js';
import { StoreError } from '../core/sops/store.js';
import { createPrivateDir } from '../launcher/private-dir.js';
import { isRedactable } from '../launcher/redaction-forms.js';
import { matcherFor } from '../launcher/redactor.js';
import { spawnWithSecrets, type ChildExit } from '../launcher/spawn-with-secrets.js';
import type { ServiceContext } from './context.js';
import { openSops, sopsApplyEdit, storeKindFor } from './sops.js';

/** What these services need from their caller: where a child's output goes. */
export interface ExecContext extends ServiceContext {
  io: {
    stdout(text: string | Uint8Array): void;
    stderr(text: string): void;
    readonly streams?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
  };
}

function outputOf(ctx: ExecContext): { stdout: Writable; stderr: Writable } {
  const io = ctx.io;
  if (io.streams) return { stdout: io.streams.stdout as Writable, stderr: io.streams.stderr as Writable };
  const adapter = (write: (b: Buffer) => void) =>
    new Writable({
      write(chunk: Buffer, _e, done) {
        write(chunk);
        done();
      },
    });
  return { stdout: adapter((b) => io.stdout(b)), stderr: adapter((b) => io.stderr(b.toString('utf8'))) };
}

export async function sopsExecEnv(
  ctx: ExecContext,
  req: { path: string; type?: string; command: string; pristine: boolean; allow: ReadonlySet<string>; redact: boolean },
): Promise<ChildExit> {
  const { opened } = await openSops(ctx, req.path, { type: req.type });
  let values: Map<string, string>;
  try {
    values = topLevelValues(opened.docs);
  } catch (err) {
    if (err instanceof StoreError) throw new HakoError('E_FORMAT', `${req.path}: ${err.message}`, 'exec-env takes top-level values only');
    throw err;
  }
  assertNoProcessControl(deliveredVariables(values.keys(), 'value'), req.allow, 'hako sops exec-env');
  const out = outputOf(ctx);
  const redaction = req.redact && [...values.values()].some((v) => isRedactable(v)) ? { ...out, matcher: () => matcherFor(values) } : null;
  return spawnWithSecrets({
    command: '/bin/sh',
    args: ['-c', req.command],
    baseEnv: req.pristine ? {} : ctx.env,
    prepare: () => ({ vars: values, fd3: false, started() {}, cleanup() {} }),
    redaction,
  });
}

export async function sopsExecFile(
  ctx: ExecContext,
  req: { path: string; type?: string; outputType?: string; command: string; fifo: boolean; filename?: string },
): Promise<ChildExit> {
  const { file, opened } = await openSops(ctx, req.path, { type: req.type });
  const kind = req.outputType ? storeKindFor(req.path, req.outputType) : file.store.kind;
  const plain = emitPlain(opened.docs, kind);
  const name = req.filename ?? 'tmp-file';
  if (name.includes('/') || name === '..' || name === '.' || name === '')
    throw new HakoError('E_USAGE', '--filename must be a plain file name', 'no folders');
  const dir = createPrivateDir('hako-sops', ctx.env, { allowDisk: true, notice: ctx.notice }); // sops's own commands: disk as sops does
  try {
    let path: string;
    if (req.fifo) {
      // A FIFO: the plaintext is handed over through a pipe and never rests in a file.
      path = `${dir.path}/${name}`;
      const r = spawnSync('mkfifo', ['-m', '600', path]);
      if (r.status !== 0) path = dir.writeFile(name, plain, 0o600);
      else {
        const { spawn } = await import('node:child_process');
        const writer = spawn(process.execPath, ['-e', 'process.stdin.pipe(require("fs").createWriteStream(process.argv[1]))', path], {
          stdio: ['pipe', 'ignore', 'ignore'],
          env: {},
        });
        writer.stdin.end(Buffer.from(plain));
        writer.unref();
      }
    } else path = dir.writeFile(name, plain, 0o600);
    const command = req.command.replace(/\{\}/g, path);
    return await spawnWithSecrets({
      command: '/bin/sh',
      args: ['-c', command],
      baseEnv: ctx.env,
      prepare: () => ({ vars: new Map(), fd3: false, started() {}, cleanup() {} }),
      redaction: null,
    });
  } finally {
    dir.remove();
  }
}

/** `sops edit`: exit 200 (E_SOPS_NOT_MODIFIED) when the editor changed nothing. */
export async function sopsEdit(ctx: ExecContext, req: { path: string; type?: string; ignoreMac: boolean }): Promise<void> {
  const opened = await openSops(ctx, req.path, { type: req.type, ignoreMac: req.ignoreMac });
  const kind = opened.file.store.kind;
  const before = Buffer.from(emitPlain(opened.opened.docs, kind, opened.file.store.indent));
  const base = req.path.split('/').pop() ?? 'file';
  const dir = createPrivateDir('hako-sops-edit', ctx.env, { allowDisk: true, notice: ctx.notice });
  const cleanup = () => dir.remove();
  process.once('exit', cleanup);
  try {
    const path = dir.writeFile(base, before, 0o600);
    const editor = ctx.env['SOPS_EDITOR'] || ctx.env['EDITOR'] || 'vi';
    const r = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'sh', path], { stdio: 'inherit', env: withoutKeyMaterial(ctx.env) });
    if (r.error || r.status !== 0 || r.signal)
      throw new HakoError('E_EDITOR', 'the editor failed; nothing was written', 'check $SOPS_EDITOR / $EDITOR');
    const after = readFileSync(path);
    if (after.equals(before))
      throw new HakoError('E_SOPS_NOT_MODIFIED', `${req.path}: file has not changed, exiting`, 'nothing was written');
    await sopsApplyEdit(ctx, req.path, req.type, after, opened);
  } finally {
    cleanup();
    process.removeListener('exit', cleanup);
  }
}
