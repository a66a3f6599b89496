/**
 * Carries one output stream of the child (stdout or stderr) through a redactor to hako's
 * own stream, with backpressure: when the sink is full the child's pipe is paused, so a
 * slow reader of hako's output slows the child instead of filling memory.
 *
 * `finish()` is called once the child has exited: the relay then waits for the pipe to end
 * (everything the child wrote), but not for a grandchild that keeps it open: after
 * GRACE_MS without data the pipe is closed. The held tail is written, and the promise
 * resolves once the sink has taken every byte, so hako may then exit or die of a signal
 * without losing output. If the sink breaks (a closed pipe, `| head`), `onBroken` runs (the
 * caller sends the child the SIGPIPE it would have got writing there itself) and the child's
 * pipe is closed, so a child that ignores SIGPIPE gets an error on its next write.
 */
import type { Readable, Writable } from 'node:stream';
import type { StreamRedactor } from './redactor.js';

const GRACE_MS = 200;

export interface Relay {
  /** The child exited: drain what is left, then resolve. */
  finish(): Promise<void>;
}

export function relayOutput(source: Readable, sink: Writable, makeRedactor: () => StreamRedactor, onBroken: () => void): Relay {
  let redactor: StreamRedactor | null = null;
  let broken = false;
  let ended = false;
  let waitingForSink = false;
  let lastActivity = Date.now();
  let onEnded: (() => void) | null = null;

  const write = (bytes: Buffer) => {
    if (broken || bytes.length === 0) return;
    if (!sink.write(bytes) && !waitingForSink) {
      waitingForSink = true;
      source.pause();
      sink.once('drain', () => {
        waitingForSink = false;
        lastActivity = Date.now();
        source.resume();
      });
    }
  };
  const onSinkError = () => {
    if (broken) return;
    broken = true;
    onBroken();
    source.destroy();
  };
  sink.on('error', onSinkError);
  source.on('data', (chunk: Buffer) => {
    lastActivity = Date.now();
    redactor ??= makeRedactor();
    write(redactor.push(chunk));
  });
  const end = () => {
    if (ended) return;
    ended = true;
    if (redactor) write(redactor.end());
    onEnded?.();
  };
  source.on('end', end);
  source.on('close', end);
  source.on('error', () => {
    /* the pipe broke; what was read is written by end() */
  });

  const flushed = (resolve: () => void) => {
    sink.removeListener('error', onSinkError);
    if (broken || sink.writableLength === 0) return resolve();
    sink.once('drain', resolve).once('error', () => resolve());
  };

  return {
    finish() {
      return new Promise<void>((resolve) => {
        if (ended) return flushed(resolve);
        // Idle means: no data and not paused for the sink. A grandchild may hold the pipe.
        const timer = setInterval(() => {
          if (!waitingForSink && Date.now() - lastActivity >= GRACE_MS) {
            source.destroy();
            end();
          }
        }, GRACE_MS / 4);
        onEnded = () => {
          clearInterval(timer);
          flushed(resolve);
        };
      });
    },
  };
}
