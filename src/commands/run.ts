/** hako run */
import { Writable } from 'node:stream';
import { HakoError } from '../core/errors.js';
import { defaultEnv } from '../services/secrets.js';
import { DELIVERY_MODES, runWithSecrets, type DeliveryMode } from '../services/run.js';
import { flag, str, type CommandContext, type CommandSpec } from './command.js';
import { envOption } from './options.js';

export const runCommands: CommandSpec[] = [
  {
    words: ['run'],
    summary: 'run a program with the secrets of one environment (env vars, fd 3 or private files)',
    usage: 'hako run [--env E] [--via env|fd3|files] [--no-redact] -- CMD [ARGS...]',
    description:
      'Opens every value of the environment (any failure, or a required secret without a value, stops\n' +
      'the start: nothing runs) and starts CMD directly, without a shell. Key material (HAKO_KEY,\n' +
      'HAKO_PASSPHRASE*, HAKO_AGE_KEY, SOPS_AGE_KEY*) never reaches it.\n' +
      '  --via env    each secret as an environment variable (default)\n' +
      '  --via fd3    a pipe on fd 3 holding {"env":…,"hako":1,"secrets":{…}}, and HAKO_SECRETS_FD=3\n' +
      '  --via files  one 0400 file per secret in a private 0700 tmpfs folder: HAKO_SECRETS_DIR and\n' +
      '               NAME_FILE; removed when the program ends, or when hako gets SIGINT/SIGTERM\n' +
      "The program's stdout and stderr are redacted: each value (4 characters or more) and its base64,\n" +
      'hex, URL- and JSON-encoded forms become [REDACTED:NAME]. Signals are passed on; hako exits with\n' +
      'the code of the program, or dies of the signal that killed it. See docs/LAUNCHER.md.',
    options: {
      env: envOption,
      via: { type: 'string', label: 'MODE', help: 'how values reach the program: env (default), fd3 or files', choices: DELIVERY_MODES },
      'no-redact': { type: 'boolean', help: "pass the program's output through unchanged (it gets hako's stdout/stderr)" },
    },
    stopAtPositional: true,
    examples: [
      'hako run -- node server.js',
      'hako run --env production --via fd3 -- node dist/app.js',
      'hako run --via files -- ./deploy.sh',
      'hako run --no-redact -- psql "$PGDATABASE"           # interactive: keep the terminal',
    ],
    async run(ctx, args) {
      const [command, ...rest] = args.rest;
      if (!command) throw new HakoError('E_USAGE', 'no program to run', 'give it after --, e.g. hako run -- node app.js');
      const via = str(args, 'via') ?? 'env';
      if (!(DELIVERY_MODES as readonly string[]).includes(via)) {
        throw new HakoError('E_USAGE', `unknown --via ${JSON.stringify(via.slice(0, 20))}`, `one of: ${DELIVERY_MODES.join(', ')}`);
      }
      return runWithSecrets(ctx, {
        env: defaultEnv(ctx, str(args, 'env')),
        via: via as DeliveryMode,
        command,
        args: rest,
        output: flag(args, 'no-redact') ? null : outputOf(ctx),
      });
    },
  },
];

/** hako's real output streams, or adapters over `io` where a caller gave none. */
function outputOf(ctx: CommandContext): { stdout: Writable; stderr: Writable; stdoutIsTTY: boolean } {
  const io = ctx.io;
  if (io.streams) return { stdout: io.streams.stdout as Writable, stderr: io.streams.stderr as Writable, stdoutIsTTY: io.stdoutIsTTY };
  const adapter = (write: (b: Buffer) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        write(chunk);
        done();
      },
    });
  return { stdout: adapter((b) => io.stdout(b)), stderr: adapter((b) => io.stderr(b.toString('utf8'))), stdoutIsTTY: io.stdoutIsTTY };
}
