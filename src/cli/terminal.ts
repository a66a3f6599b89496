/**
 * The process's real stdin/stdout/stderr, and the two questions hako may ask a person:
 * a secret typed without echo, and a yes/no. Both exist only when stdin is a terminal;
 * nothing is ever read from a terminal that is not there.
 */
import { fstatSync } from 'node:fs';
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
    get stdoutIsFile() {
      try {
        return fstatSync(1).isFile();
      } catch {
        return false; // fd 1 closed: nothing lands anywhere
      }
    },
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

const PASTE_ON = '\x1b[?2004h';
const PASTE_OFF = '\x1b[?2004l';
const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';
/** Quiet time after which the rest of a refused paste is taken to have arrived. */
const DRAIN_MS = 150;

/**
 * Reads a secret from the terminal without echoing it: one typed line, or a paste.
 *
 * The terminal is put in raw mode (no echo) before the label is written, and asked for
 * bracketed paste, so a pasted value arrives marked: a paste of several lines (a PEM key) is
 * kept whole, line breaks as `\n`, and Enter then keeps it; a one-line paste that ends in a
 * line break is taken like a typed line. A terminal that does not mark pastes delivers them
 * as typed text: when more text follows a line break in what arrived at once, it was a
 * multi-line paste, and it is refused (E_USAGE, nothing is kept) rather than cut to its
 * first line; the rest of the paste is read and dropped, so it never reaches the shell
 * after hako exits.
 */
export function promptHidden(label: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.reject(new HakoError('E_USAGE', 'no terminal to ask on', 'pipe the value on stdin instead'));
  const tty = process.stderr.isTTY === true;
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  process.stderr.write(tty ? PASTE_ON + label : label);
  return new Promise((resolve, reject) => {
    let buf = '';
    let esc = ''; // an escape sequence not yet complete
    let paste: string | null = null; // the text of a bracketed paste, while it arrives
    let drainTimer: NodeJS.Timeout | null = null;
    stdin.resume();
    const finish = (err?: Error) => {
      if (drainTimer) clearTimeout(drainTimer);
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write(tty ? `${PASTE_OFF}\n` : '\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const refuseMultiLine = () => {
      buf = '';
      stdin.removeListener('data', onData);
      // Swallow the rest of the paste until the terminal is quiet, then give up.
      const drain = () => {
        if (drainTimer) clearTimeout(drainTimer);
        drainTimer = setTimeout(() => {
          stdin.removeListener('data', drain);
          finish(
            new HakoError(
              'E_USAGE',
              'the value arrived as several lines (a paste?); nothing was written',
              'for a multi-line value use --from-file PATH or pipe it: pbpaste | hako set NAME',
            ),
          );
        }, DRAIN_MS);
      };
      stdin.on('data', drain);
      drain();
    };
    const onData = (data: string) => {
      const chars = [...data];
      for (let k = 0; k < chars.length; k++) {
        const ch = chars[k]!;
        if (esc || ch === '\x1b') {
          esc += ch;
          if (esc === PASTE_START) {
            paste = '';
            esc = '';
          } else if (esc === PASTE_END && paste !== null) {
            const text = paste.replace(/\r\n?/g, '\n');
            paste = null;
            esc = '';
            const lines = text.replace(/\n$/, '').split('\n').length;
            if (lines === 1 && text.endsWith('\n')) {
              buf += text.slice(0, -1); // a line and its line break: like a typed line
              return finish();
            }
            buf += text;
            if (lines > 1) process.stderr.write(`(${lines} lines pasted: Enter keeps them, Ctrl-C drops them) `);
          } else if (esc.length > 1 && !/^\x1b\[[0-9;?]*[~A-Za-z]?$/.test(esc)) {
            esc = ''; // not a sequence hako knows: dropped
          } else if (esc.length > 2 && /[~A-Za-z]$/.test(esc)) {
            esc = ''; // a complete key sequence (arrows, …): ignored
          }
          continue;
        }
        if (paste !== null) {
          paste += ch;
          continue;
        }
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          const rest = chars.slice(k + 1).join('');
          if (rest.replace(/^\n/, '') !== '') {
            refuseMultiLine();
            return;
          }
          return finish();
        }
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
