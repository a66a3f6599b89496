/**
 * Runs one of a parser's `large` inputs in a worker thread, so the fuzz suite can stop a
 * parser that does not finish (synchronous code cannot be interrupted by a test timeout).
 * Loaded as a plain module by the test runner too: then it does nothing.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

export interface LargeOutcome {
  ok: boolean;
  error?: string;
}

/** Resolves with the outcome, or with a failure when the worker is still busy after `limitMs`. */
export function runLargeInput(parser: string, index: number, limitMs: number): Promise<LargeOutcome> {
  return new Promise((resolve) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { kind: 'hako-large-input', parser, index } });
    const timer = setTimeout(() => {
      void w.terminate();
      resolve({ ok: false, error: `${parser} large input #${index} did not finish within ${limitMs / 1000} s (hang guard)` });
    }, limitMs);
    w.once('message', (m: LargeOutcome) => {
      clearTimeout(timer);
      void w.terminate();
      resolve(m);
    });
    w.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `worker failed: ${err.message}` });
    });
  });
}

if (!isMainThread && (workerData as { kind?: string } | null)?.kind === 'hako-large-input') {
  const { parser, index } = workerData as { parser: string; index: number };
  const { PARSERS } = await import('./parsers.js');
  const { checkInput } = await import('./contract.js');
  const p = PARSERS.find((x) => x.name === parser)!;
  try {
    await checkInput(p, p.large()[index]!);
    parentPort!.postMessage({ ok: true });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).message });
  }
}
