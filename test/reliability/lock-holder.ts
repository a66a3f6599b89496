/**
 * A process that takes hako's real lock on a file and holds it until it is killed:
 *   node lock-holder.js --hold <target>     (prints "locked" once it holds it)
 * Used to leave a real lock behind a SIGKILLed process, or to keep one held by a live one.
 * The test runner also loads this file as a module; without --hold it does nothing.
 */
import { withFileLock } from '../../src/core/fs/lock.js';

if (process.argv[2] === '--hold' && process.argv[3]) {
  await withFileLock(process.argv[3], async () => {
    process.stdout.write('locked\n');
    await new Promise(() => setInterval(() => {}, 1 << 30));
  });
}
