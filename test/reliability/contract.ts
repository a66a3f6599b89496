/**
 * The contract every parser in PARSERS keeps: an input parses, or it is refused with a
 * HakoError whose code the parser declares, with a one-line message of bounded length, free of control characters, (so it
 * cannot be quoting the input) and a hint. Anything else - a TypeError, a RangeError from deep
 * recursion, a library's own error - is a failure.
 */
import { HakoError } from '../../src/core/errors.js';
import type { ParserUnderTest } from './parsers.js';

const MAX_MESSAGE = 400;
/** Line breaks, C0/C1 controls (terminal escapes) and bidi overrides: never in a message. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

export async function checkInput(p: ParserUnderTest, input: string): Promise<void> {
  let parsed: unknown;
  try {
    parsed = await p.parse(input);
  } catch (err) {
    if (!(err instanceof HakoError)) {
      const e = err as Error;
      throw new Error(`${p.name} threw ${e?.constructor?.name ?? typeof err} instead of a HakoError: ${e?.message}`);
    }
    if (!p.codes.includes(err.code)) throw new Error(`${p.name} threw ${err.code}; allowed: ${p.codes.join(', ')}`);
    if (!err.hint) throw new Error(`${p.name}: ${err.code} without a hint: ${err.message}`);
    if (UNSAFE.test(err.message) || UNSAFE.test(err.hint))
      throw new Error(`${p.name}: a message holds a line break or control character: ${JSON.stringify(err.message)}`);
    if (err.message.length > MAX_MESSAGE)
      throw new Error(`${p.name}: a ${err.message.length}-character message (does it quote the input?)`);
    p.onReject?.(input, err);
    return;
  }
  await p.onAccept?.(input, parsed);
}
