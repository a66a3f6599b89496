/**
 * Helpers for the hand-off tests (CI exports, platform pushes, the runner mirror, direnv):
 * projects holding awkward values, `hako` and fake platform CLIs on a private PATH.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { HAKO_BIN, Project, tempDir } from './helpers.js';

const scratch: string[] = [];
after(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

export function ciScratch(prefix = 'hako-ci-test-'): string {
  const dir = tempDir(prefix);
  scratch.push(dir);
  return dir;
}

/** Values that break naive quoting, heredocs and dotenv parsers. */
export const AWKWARD: Record<string, string> = {
  API_TOKEN: 'tok_live_4f9a8b7c6d5e',
  DB_URL: 'postgres://app:p@ss w/rd%2F@db.internal:5432/app?sslmode=require',
  MULTI_LINE: '-----BEGIN KEY-----\nMIIB+abc/def==\n-----END KEY-----\n',
  QUOTES: `it's "quoted" \`back\` $HOME \${HOME} \\n \\ %s {}`,
  UNICODE: 'héllo wörld ✓ 日本語 🎉',
  CRLF: 'line one\r\nline two\r\n',
  PERCENT: 'a%0Ab%25c%0Dd literal escapes',
  DASHES: 'top\n---\nEOF\nghadelimiter_x\nbottom',
};

/** A project whose `env` holds exactly `values` (set through a JSON import: exact bytes). */
export function projectWithValues(values: Record<string, string>, env = 'development'): Project {
  const p = new Project();
  const file = join(ciScratch(), 'values.json');
  writeFileSync(file, JSON.stringify(values));
  if (!(env in p.json().environments)) p.ok(['env', 'add', env]);
  p.ok(['import', file, '--env', env]);
  return p;
}

/** A folder holding a `hako` that runs the built CLI with this Node; put it first on PATH. */
export function binWithHako(): string {
  const dir = ciScratch('hako-bin-');
  executable(join(dir, 'hako'), `#!/bin/sh\nexec '${process.execPath}' '${HAKO_BIN}' "$@"\n`);
  return dir;
}

export function executable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

export function pathWith(dir: string): string {
  return `${dir}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;
}

export interface FakeCall {
  argv: string[];
  stdin: string;
  /** The names of the environment variables the CLI was started with (never their values). */
  envNames: string[];
}

/**
 * A fake platform CLI (`gh`, `wrangler`) on PATH: records each call's argv, stdin (base64)
 * and the names of its environment variables in a JSON line of a log, and keeps a list of secret names like the platform would: `secret
 * set NAME` (gh, with a new updatedAt) and `secret bulk` (wrangler, names from the JSON on
 * stdin) add to it, `secret list` prints it. Tests change it to act as someone else.
 */
export class FakeCli {
  readonly dir: string;
  readonly log: string;
  readonly listFile: string;

  constructor(readonly name: string) {
    this.dir = ciScratch(`fake-${name}-`);
    mkdirSync(this.dir, { recursive: true });
    this.log = join(this.dir, 'calls.jsonl');
    this.listFile = join(this.dir, 'list.json');
    writeFileSync(this.listFile, '[]');
    writeFileSync(this.log, '');
    executable(
      join(this.dir, name),
      `#!${process.execPath}
const fs = require('fs');
const chunks = [];
let stdin = Buffer.alloc(0);
try { stdin = fs.readFileSync(0); } catch {}
fs.appendFileSync(${JSON.stringify(this.log)}, JSON.stringify({ argv: process.argv.slice(2), stdin: stdin.toString('base64'), env: Object.keys(process.env).sort() }) + '\\n');
if (process.env.FAKE_FAIL && process.argv.slice(2).join(' ').includes(process.env.FAKE_FAIL)) { process.stderr.write('fake failure\\n'); process.exit(1); }
const listFile = ${JSON.stringify(this.listFile)};
const [group, verb, name] = process.argv.slice(2);
const list = () => JSON.parse(fs.readFileSync(listFile, 'utf8'));
const upsert = (names) => {
  const entries = list().filter((e) => !names.includes(e.name));
  const stamp = new Date(Date.UTC(2030, 0, 1) + entries.length * 1000 + Math.floor(Math.random() * 1e6)).toISOString();
  for (const n of names) entries.push(${JSON.stringify(name)} === 'gh' ? { name: n, updatedAt: stamp } : { name: n, type: 'secret_text' });
  fs.writeFileSync(listFile, JSON.stringify(entries));
};
if (verb === 'list') process.stdout.write(JSON.stringify(list()));
else if (group === 'secret' && verb === 'set') upsert([name]);
else if (group === 'secret' && verb === 'bulk') upsert(Object.keys(JSON.parse(stdin.toString('utf8'))));
`,
    );
  }

  calls(): FakeCall[] {
    return readFileSync(this.log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const c = JSON.parse(l) as { argv: string[]; stdin: string; env: string[] };
        return { argv: c.argv, stdin: Buffer.from(c.stdin, 'base64').toString('utf8'), envNames: c.env };
      });
  }

  reset(): void {
    writeFileSync(this.log, '');
  }

  list(): { name: string; updatedAt?: string }[] {
    return JSON.parse(readFileSync(this.listFile, 'utf8')) as { name: string; updatedAt?: string }[];
  }

  setList(entries: unknown[]): void {
    writeFileSync(this.listFile, JSON.stringify(entries));
  }
}
