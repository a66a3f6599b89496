/**
 * The `hako` executable: the only place that ends the process. No top-level await, so the
 * bundle can be CommonJS, which Node starts faster than an ES module (scripts/bundle.mjs).
 */
import { constants } from 'node:os';
import { main } from './main.js';
import type { Outcome } from '../commands/command.js';

function finish(outcome: Outcome): void {
  if ('signal' in outcome) {
    // Die of the same signal as the child did: restore the default action and send it.
    // Node starts with SIGPIPE ignored; adding and removing a listener restores the default.
    const signal = outcome.signal;
    process.removeAllListeners(signal);
    if (signal !== 'SIGKILL' && signal !== 'SIGSTOP') {
      const noop = () => {};
      process.on(signal, noop);
      process.removeListener(signal, noop);
    }
    process.kill(process.pid, signal);
    process.exitCode = 128 + (constants.signals[signal] ?? 0); // only if the signal did not end us
  } else {
    process.exitCode = outcome.code;
  }
}

void main(process.argv.slice(2)).then(finish);
