/**
 * The `hako` executable: the only place that ends the process. No top-level await, so the
 * bundle can be CommonJS, which Node starts faster than an ES module (scripts/bundle.mjs).
 */
import { constants } from 'node:os';
import { main } from './main.js';
import type { Outcome } from '../commands/command.js';

/**
 * Signals whose default action writes a core file (signal(7), action "Core"). hako's memory
 * holds keys and values, and Node cannot lower its own core limit or mark itself
 * undumpable, so for these hako exits with 128+n (what a shell reports) instead of dying
 * of the signal.
 */
const CORE_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set([
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGIOT',
  'SIGBUS',
  'SIGFPE',
  'SIGSEGV',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGSYS',
  'SIGUNUSED',
]);

function finish(outcome: Outcome): void {
  if ('signal' in outcome) {
    const signal = outcome.signal;
    const code = 128 + (constants.signals[signal] ?? 0);
    if (CORE_SIGNALS.has(signal)) {
      process.exitCode = code;
      return;
    }
    // Die of the same signal as the child did: restore the default action and send it.
    // Node starts with SIGPIPE ignored; adding and removing a listener restores the default.
    process.removeAllListeners(signal);
    if (signal !== 'SIGKILL' && signal !== 'SIGSTOP') {
      const noop = () => {};
      process.on(signal, noop);
      process.removeListener(signal, noop);
    }
    process.kill(process.pid, signal);
    process.exitCode = code; // only if the signal did not end us
  } else {
    process.exitCode = outcome.code;
  }
}

void main(process.argv.slice(2)).then(finish);
