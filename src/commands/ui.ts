/** hako ui */
import { spawn } from 'node:child_process';
import { HakoError } from '../core/errors.js';
import { withoutKeyMaterial } from '../core/keys/key-material.js';
import { findProject } from '../services/project.js';
import { flag, str, ok, type CommandSpec } from './command.js';

function portOf(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new HakoError('E_USAGE', '--port needs a number from 0 to 65535', 'e.g. --port 7777, or leave it out for a free port');
  }
  return Number(text);
}

/** Asks the desktop to open the URL; a failure only means the person opens it by hand. */
function openBrowser(url: string, env: NodeJS.ProcessEnv): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true, env: withoutKeyMaterial(env) });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no opener here: the URL is printed anyway
  }
}

export const uiCommands: CommandSpec[] = [
  {
    words: ['ui'],
    summary: 'a local dashboard: secrets by environment, recipients, verify, servers, history',
    usage: 'hako ui [--port N] [--no-open]',
    description:
      'Starts a web page on 127.0.0.1 only and prints its address with a one-time token (the first\n' +
      'visit trades it for a session cookie). It shows names, states and dates, never a value or a\n' +
      'key. Changes to secrets and recipients stay in the CLI, so they arrive as reviewable git\n' +
      'changes. Stops on Ctrl-C (SIGINT) or SIGTERM.',
    options: {
      port: { type: 'string', label: 'N', help: 'listen on this port (default: a free one)' },
      'no-open': { type: 'boolean', help: 'do not open a browser; only print the address' },
    },
    examples: ['hako ui', 'hako ui --port 7777 --no-open'],
    async run(ctx, args) {
      const port = portOf(str(args, 'port'));
      findProject(ctx); // fail here, not on the first page, outside a project
      const { startUi } = await import('../ui/server.js');
      const ui = await startUi({ cwd: ctx.cwd, env: ctx.env, notice: ctx.notice }, { port });
      ctx.io.stdout(`${ui.url}\n`);
      ctx.io.stderr(`hako: dashboard on http://127.0.0.1:${ui.port}/ (the link above works once); stop with Ctrl-C\n`);
      if (!flag(args, 'no-open')) openBrowser(ui.url, ctx.env);
      let onSignal: () => void = () => {};
      await new Promise<void>((resolve) => {
        onSignal = resolve;
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await ui.close();
      ctx.io.stderr('hako: dashboard stopped\n');
      return ok;
    },
  },
];
