/**
 * A small stand-in for the GitHub Actions runner, written from how actions/runner behaves
 * (src/Runner.Worker: ActionCommandManager, FileCommandManager), sharing no code with src/:
 *
 * - a step's output is read line by line; a line starting with `::` is a workflow command;
 *   `::add-mask::DATA` unescapes DATA (%0D, %0A, %25) and adds it as a secret; every other
 *   line is shown with each secret replaced by `***`. Older runners register the value as
 *   given (the newer split multi-line data into lines): this one does not split, so a test
 *   passes only when hako masks multi-line values itself;
 * - $GITHUB_ENV / $GITHUB_OUTPUT are parsed as SetEnvFileCommand does on Linux: lines split
 *   on LF only; `NAME=VALUE`, or `NAME<<DELIM` then lines up to the first line equal to DELIM.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class RunnerLog {
  readonly secrets: string[] = [];
  readonly shown: string[] = [];

  feed(output: string): void {
    const lines = output.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (const line of lines) {
      const cmd = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line.replace(/\r$/, ''));
      if (cmd && cmd[1] === 'add-mask') {
        const data = cmd[2]!.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
        if (data.trim() !== '' && !this.secrets.includes(data)) this.secrets.push(data);
        continue;
      }
      this.shown.push(this.mask(line));
    }
  }

  mask(line: string): string {
    let out = line;
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
    return out;
  }

  text(): string {
    return this.shown.join('\n');
  }
}

/** Parses an environment file the way the runner does; throws where the runner fails the step. */
export function parseEnvironmentFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let index = 0;
  const readLine = (): { line: string; newline: number } | null => {
    if (index >= text.length) return null;
    const start = index;
    const lf = text.indexOf('\n', index);
    if (lf < 0) {
      index = text.length;
      return { line: text.slice(start), newline: 0 };
    }
    index = lf + 1;
    return { line: text.slice(start, lf), newline: 1 };
  };
  let cur = readLine();
  while (cur !== null) {
    const line = cur.line;
    if (line !== '') {
      const eq = line.indexOf('=');
      const hd = line.indexOf('<<');
      if (eq >= 0 && (hd < 0 || eq < hd)) {
        out.set(line.slice(0, eq), line.slice(eq + 1));
      } else if (hd >= 0 && (eq < 0 || hd < eq)) {
        const name = line.slice(0, hd);
        const delimiter = line.slice(hd + 2);
        if (name === '' || delimiter === '') throw new Error(`invalid format '${line}'`);
        const start = index;
        let end = index;
        let t = readLine();
        while (t === null || t.line !== delimiter) {
          if (t === null) throw new Error(`Matching delimiter not found '${delimiter}'`);
          end = index - t.newline;
          t = readLine();
        }
        out.set(name, end > start ? text.slice(start, end) : '');
      } else {
        throw new Error(`Invalid format '${line}'`);
      }
    }
    cur = readLine();
  }
  return out;
}

/** Runs a `shell: bash` step the way the runner does: the script in a file, bash -eo pipefail. */
export function runBashStep(dir: string, script: string, env: NodeJS.ProcessEnv, cwd: string): { code: number | null; output: string } {
  const file = join(dir, `step-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(file, script);
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], { cwd, env, encoding: 'utf8' });
  return { code: r.status, output: r.stdout + r.stderr };
}

/** Every spelling of a value a later step could print (the masking must hide each one). */
export function printedForms(value: string): string[] {
  const raw = Buffer.from(value, 'utf8');
  const forms = [
    value,
    raw.toString('base64'),
    raw.toString('base64url'),
    raw.toString('hex'),
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
  ];
  const out: string[] = [];
  for (const f of forms) {
    if (!/[\r\n]/.test(f)) out.push(f);
    else for (const line of f.split(/\r\n|\r|\n/)) if (line.trim().replace(/\s/g, '').length >= 4) out.push(line.trim());
  }
  return out;
}
