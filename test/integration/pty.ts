/**
 * A real pseudo-terminal for prompts: `script` (util-linux, Debian's bsdutils) runs a command
 * on a new pty and relays it. The test answers each prompt once it appears, as a person would.
 */
import { spawn } from 'node:child_process';
import { toolPath } from '../tools.js';

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface PtyResult {
  code: number | null;
  /** Everything the terminal showed (prompts, the program's output). */
  transcript: string;
}

/**
 * Runs argv on a pty. `answers` maps a prompt (a regular expression on what the terminal
 * shows) to the line typed in reply; each is answered once, in any order.
 */
export function runOnPty(
  argv: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; answers: [RegExp, string][]; timeoutMs?: number },
): Promise<PtyResult> {
  const command = argv.map(shellQuote).join(' ');
  const child = spawn(toolPath('script')!, ['-q', '-e', '-c', command, '/dev/null'], {
    cwd: opts.cwd,
    env: { ...opts.env, SHELL: '/bin/sh', TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let transcript = '';
  let seen = 0; // how much of the transcript earlier answers consumed
  const pending = [...opts.answers];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the pty session did not finish; it showed: ${JSON.stringify(transcript)}`));
    }, opts.timeoutMs ?? 60_000);
    const onData = (d: Buffer) => {
      transcript += d.toString('utf8');
      for (let i = 0; i < pending.length; i++) {
        const [re, reply] = pending[i]!;
        const m = re.exec(transcript.slice(seen));
        if (!m) continue;
        seen += m.index + m[0].length;
        pending.splice(i, 1);
        child.stdin!.write(`${reply}\r`);
        i = -1;
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      child.stdin!.end();
      resolve({ code, transcript });
    });
  });
}
