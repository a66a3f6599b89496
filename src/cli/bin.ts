/** The `hako` executable: the only place that ends the process. */
import { main } from './main.js';

const outcome = await main(process.argv.slice(2));
if ('signal' in outcome) {
  // Die of the same signal as the child did: restore the default action and send it.
  process.removeAllListeners(outcome.signal);
  process.kill(process.pid, outcome.signal);
} else {
  process.exitCode = outcome.code;
}
