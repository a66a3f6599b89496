/**
 * `hako agent run`: the long-running daemon. Opens the agent, starts its apps and the control
 * socket, and runs until SIGTERM or SIGINT; then stops accepting requests, drains and stops
 * every app and closes the store. Resolves when all of that is done, so the process can end
 * on its own (nothing is left holding the event loop).
 */
import { Agent } from './agent.js';
import { listenControl } from './control-server.js';
import type { LogLine } from './log-buffer.js';

export interface RunOptions {
  dir: string;
  version: string;
  baseEnv: NodeJS.ProcessEnv;
  say: (message: string) => void;
  echo?: (line: LogLine) => void;
  /** Called once the socket accepts requests. */
  ready?: (info: { socket: string; recipient: string }) => void;
}

export async function runAgent(opts: RunOptions): Promise<void> {
  let stopRequested: (() => void) | null = null;
  let stopping = false;
  const stopSignal = new Promise<void>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    opts.say(`${signal}: draining apps and stopping`);
    stopRequested?.();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', () => {});
  try {
    const agent = await Agent.open({
      dir: opts.dir,
      version: opts.version,
      baseEnv: opts.baseEnv,
      say: opts.say,
      ...(opts.echo ? { echo: opts.echo } : {}),
    });
    let control: { close(): Promise<void> } | null = null;
    try {
      const starting = agent.start();
      control = await listenControl(agent.paths.socket, (req, channel) => agent.handle(req, channel), opts.say);
      opts.say(`listening on ${agent.paths.socket}; recipient ${agent.identity.recipient}`);
      await Promise.race([starting, stopSignal]);
      opts.ready?.({ socket: agent.paths.socket, recipient: agent.identity.recipient });
      await stopSignal;
    } finally {
      await control?.close();
      await agent.stop();
    }
    opts.say('stopped');
  } finally {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
  }
}
