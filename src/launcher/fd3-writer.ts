/**
 * Writes the envelope into the child's fd 3 and closes hako's end, so the child reads the
 * envelope and then EOF. The write is asynchronous: a child that reads late (or a 1 MiB
 * envelope larger than the pipe buffer) never blocks hako, and hako never waits for it.
 * A child that exits without reading makes the write fail; that is not an error.
 *
 * Node gives the child a socket (socketpair), not a FIFO, on fd 3; readers accept both.
 * What the child reads is gone from the pipe: a grandchild that inherits fd 3 from a
 * careless reader finds it empty.
 */
import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { ENVELOPE_FD } from './envelope.js';

export function writeEnvelope(child: ChildProcess, envelope: Buffer): Writable | null {
  const pipe = child.stdio[ENVELOPE_FD] as Writable | null | undefined;
  if (!pipe) return null;
  pipe.on('error', () => {
    /* the child closed fd 3 without reading all of it */
  });
  pipe.end(envelope, () => pipe.destroy());
  return pipe;
}
