/** hako run */
import { Writable } from 'node:stream';
import { HakoError } from '../core/errors.js';
import { defaultEnv } from '../services/secrets.js';
import { DELIVERY_MODES, runWithSecrets, type DeliveryMode } from '../services/run.js';
import { flag, str, type CommandContext, type CommandSpec } from './command.js';
import { displayText } from '../core/display.js';
import { runWithInstance } from '../services/instances.js';
import { runWithPackage } from '../services/packages.js';
import { packagePassword } from './package.js';
import { allowedNames, allowOption, envOption } from './options.js';

export const runCommands: CommandSpec[] = [
  {
    words: ['run'],
    summary: 'run a program with the secrets of one environment (env vars, fd 3 or private files)',
    usage:
      'hako run [--env E | --instance NAME | --package FILE] [--via env|fd3|files [--allow-disk]] [--no-redact | --redact-all] [--mirror] -- CMD [ARGS...]',
    description:
      'Opens every value of the environment (any failure, or a required secret without a value, stops\n' +
      'the start: nothing runs) and starts CMD directly, without a shell. Key material (HAKO_KEY,\n' +
      'HAKO_PASSPHRASE*, HAKO_NEW_PASSPHRASE, any HAKO_*KEY/PASSWORD/TOKEN…, SOPS_AGE_KEY*) never reaches it.\n' +
      '  --via env    each secret as an environment variable (default)\n' +
      '  --via fd3    a pipe on fd 3 holding {"env":…,"hako":1,"secrets":{…}}, and HAKO_SECRETS_FD=3\n' +
      '  --via files  one 0400 file per secret in a private 0700 folder in memory (tmpfs; on disk only with\n' +
      '               --allow-disk): HAKO_SECRETS_DIR and NAME_FILE; removed when the program ends, or\n' +
      '               when hako gets SIGINT/SIGTERM; leftovers of a killed hako go at the next run\n' +
      "The program's stdout and stderr are redacted: each value (4 characters or more, and not plainly\n" +
      'trivial like 5432, true or localhost unless --redact-all) and its base64, hex, URL- and JSON-\n' +
      'encoded forms become [REDACTED:NAME]. Signals are passed on; hako exits with\n' +
      'the code of the program, or dies of the signal that killed it. See docs/LAUNCHER.md.\n' +
      '--mirror takes the values from the local runner mirror (hako mirror sync): offline, no repository\n' +
      'key, RUNNER_SECRETS_KEY when the mirror is encrypted (docs/CI.md).\n' +
      'Values come from one source: the environment (--env, the default), an instance of the app\n' +
      '(--instance NAME: its own values from the OS keychain; on a terminal, hako asks for each required\n' +
      'secret it lacks, else it lists them and runs nothing), or a sealed package (--package FILE: its\n' +
      'password from HAKO_PACKAGE_PASSWORD or a prompt; see hako package open --help). With --instance and\n' +
      '--package, names that change what a process does (NODE_OPTIONS, PATH, …) need --allow NAME.\n' +
      'Secrets whose names change what a process does (NODE_OPTIONS, LD_PRELOAD, PATH, HTTPS_PROXY, …) are\n' +
      'refused in every source unless allowed one by one with --allow NAME (not needed with --via fd3).',
    options: {
      env: envOption,
      via: { type: 'string', label: 'MODE', help: 'how values reach the program: env (default), fd3 or files', choices: DELIVERY_MODES },
      'no-redact': { type: 'boolean', help: "pass the program's output through unchanged (it gets hako's stdout/stderr)" },
      mirror: { type: 'boolean', help: 'values from the local runner mirror (offline; see hako mirror sync)' },
      instance: { type: 'string', label: 'NAME', help: "this app's instance NAME: its own values from the keychain (hako instance add)" },
      package: { type: 'string', label: 'FILE', help: 'the values of a sealed package (hako package seal)' },
      allow: allowOption,
      'allow-disk': { type: 'boolean', help: '--via files: accept a folder on disk where no memory-backed one exists' },
      'redact-all': { type: 'boolean', help: 'redact also values that are plainly not secrets (5432, true, localhost)' },
    },
    stopAtPositional: true,
    examples: [
      'hako run -- node server.js',
      'hako run --env production --via fd3 -- node dist/app.js',
      'hako run --via files -- ./deploy.sh',
      'hako run --no-redact -- psql "$PGDATABASE"           # interactive: keep the terminal',
      'hako run --allow NODE_OPTIONS -- node app.js         # a secret that changes how node starts, on purpose',
      'hako run --instance alice -- node server.js           # asks for missing required secrets once',
      'hako run --package secrets.encrypted -- node app.js',
    ],
    async run(ctx, args) {
      const [command, ...rest] = args.rest;
      if (!command) throw new HakoError('E_USAGE', 'no program to run', 'give it after --, e.g. hako run -- node app.js');
      const via = str(args, 'via') ?? 'env';
      if (!(DELIVERY_MODES as readonly string[]).includes(via)) {
        throw new HakoError('E_USAGE', `unknown --via ${JSON.stringify(via.slice(0, 20))}`, `one of: ${DELIVERY_MODES.join(', ')}`);
      }
      const start = {
        via: via as DeliveryMode,
        command,
        args: rest,
        output: flag(args, 'no-redact') ? null : outputOf(ctx),
        allowDisk: flag(args, 'allow-disk'),
        redactAll: flag(args, 'redact-all'),
      };
      const instance = str(args, 'instance');
      const pkg = str(args, 'package');
      if ([str(args, 'env') ?? (flag(args, 'mirror') ? 'mirror' : undefined), instance, pkg].filter((x) => x !== undefined).length > 1) {
        throw new HakoError(
          'E_USAGE',
          '--env/--mirror, --instance and --package exclude each other',
          'values come from one source per run',
        );
      }
      if (instance !== undefined) {
        const ask =
          ctx.io.stdinIsTTY && ctx.promptSecret
            ? (secret: string, description: string | undefined) =>
                ctx.promptSecret!(`Value for ${secret}${description ? ` (${displayText(description, 80)})` : ''}, instance '${instance}': `)
            : undefined;
        return runWithInstance(ctx, instance, ask, start, [...allowedNames(args)]);
      }
      if (pkg !== undefined) return runWithPackage(ctx, pkg, packagePassword(ctx, pkg, { stdin: false }), start, [...allowedNames(args)]);
      return runWithSecrets(ctx, {
        env: defaultEnv(ctx, str(args, 'env')),
        ...start,
        mirror: flag(args, 'mirror'),
        allow: allowedNames(args),
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
