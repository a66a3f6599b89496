/**
 * The process's real stdin/stdout/stderr, and the two questions hako may ask a person:
 * a secret typed without echo, and a yes/no. Both exist only when stdin is a terminal;
 * nothing is ever read from a terminal that is not there.
 */
import { isatty } from 'node:tty';
import { HakoError } from '../core/errors.js';
import type { Io } from '../commands/command.js';

export function processIo(): Io {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err; // a closed pipe (| head) is not an error
  });
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    // isatty, not process.stdin.isTTY: making the stdin stream costs milliseconds at every
    // start, and most commands never read it.
    stdinIsTTY: isatty(0),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    readStdin,
    streams: {
      stdout: process.stdout,
      stderr: process.stderr,
      get stdin() {
        return process.stdin; // made on first use only (see above)
      },
    },
  };
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads one line from the terminal without echoing it. */
export function promptHidden(label: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.reject(new HakoError('E_USAGE', 'no terminal to ask on', 'pipe the value on stdin instead'));
  return new Promise((resolve, reject) => {
    let buf = '';
    // Echo goes off before the question appears: what is typed after it is never shown.
    stdin.setRawMode(true);
    process.stderr.write(label);
    stdin.setEncoding('utf8');
    stdin.resume();
    const finish = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (data: string) => {
      for (const ch of data) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new HakoError('E_INTERRUPTED', 'interrupted; nothing was written', 'run the command again'));
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else if (ch === '\u0015')
          buf = ''; // Ctrl-U
        else buf += ch;
      }
    };
    stdin.on('data', onData);
  });
}

export async function promptYesNo(question: string): Promise<boolean> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return false;
  process.stderr.write(question);
  return new Promise((resolve) => {
    stdin.setEncoding('utf8');
    stdin.resume();
    stdin.once('data', (data: string) => {
      stdin.pause();
      const a = data.trim().toLowerCase();
      resolve(a === '' || a === 'y' || a === 'yes');
    });
  });
}
