/** The `hako` executable: the only place that ends the process. */
import { constants } from 'node:os';
import { main } from './main.js';

const outcome = await main(process.argv.slice(2));
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
