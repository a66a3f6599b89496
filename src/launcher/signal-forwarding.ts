/**
 * Passes the signals hako receives on to its child, at once, while the child runs.
 *
 * A terminal sends Ctrl-C (SIGINT), Ctrl-\ (SIGQUIT) and resizes (SIGWINCH) to its whole
 * foreground process group, which holds both hako and the child. Sending those again would
 * give the child two of each and break "press Ctrl-C again to force quit". So when hako is
 * in the terminal's foreground group (Linux: /proc/self/stat, pgrp = tpgid), those three are
 * left to the terminal; sent any other way (kill, a supervisor, a background job) they are
 * forwarded. Every other signal is always forwarded. Where /proc is missing, all are
 * forwarded.
 */
import { readFileSync } from 'node:fs';

export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
  'SIGALRM',
];
const TERMINAL_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGQUIT', 'SIGWINCH']);

/**
 * Installs the handlers; `forward` sends a signal to the child, `also` runs after it (for
 * cleanup that must not wait for the child). Returns the function that removes them.
 */
export function forwardSignals(forward: (signal: NodeJS.Signals) => void, also?: (signal: NodeJS.Signals) => void): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of FORWARDED_SIGNALS) {
    const handler = () => {
      if (!(TERMINAL_SIGNALS.has(signal) && inTerminalForeground())) forward(signal);
      also?.(signal);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}

/** True when this process's group is the foreground group of its controlling terminal. */
function inTerminalForeground(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    const tpgid = Number(fields[5]);
    return tpgid > 0 && tpgid === pgrp;
  } catch {
    return false;
  }
}
