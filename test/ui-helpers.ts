/**
 * Helpers for the dashboard tests: a project with values, expiry dates, a required name and a
 * labelled recipient; every form in which a value or a key could leak into a page; and a
 * reader of the Secrets matrix as the page shows it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, Project } from './helpers.js';
import { setSecrets } from '../src/services/secrets.js';
import type { ServiceContext } from '../src/services/context.js';

export const TODAY = '2026-11-30';

/** A well-formed ed25519 host key that no server here has. */
const UNUSED_HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

/** Values with some shape, so a scan would see them in any page. */
export const VALUES: Record<string, Record<string, string>> = {
  production: {
    DATABASE_URL: 'postgres://app:Pr0d-pa55word-9f3a@db.internal/app',
    API_TOKEN: 'tok_live_8c1f0e6d2b9a4c7e',
    STRIPE_KEY: 'sk_live_51HqLyjWDarjtT1zdp7dc',
  },
  staging: { DATABASE_URL: 'postgres://app:stag1ng-secret-77@db.staging/app', API_TOKEN: 'tok_test_a9b8c7d6e5f4' },
};

export interface UiProject {
  project: Project;
  ctx: ServiceContext;
  values: string[];
  recipient: string;
  ageSecret: string;
}

/**
 * production: 3 values (one expiring in 10 days, one expired); staging: 2; development:
 * none. SENTRY_DSN is declared required and set nowhere. One age recipient with a name
 * that tries to inject markup, committed; git history exists.
 */
export async function uiProject(): Promise<UiProject> {
  const project = new Project();
  project.env['HAKO_TODAY'] = TODAY;
  for (const [env, values] of Object.entries(VALUES)) for (const [name, value] of Object.entries(values)) project.set(name, value, env);
  // `hako init` makes the first environment (development); make sure it is there either way.
  if (!('development' in project.json().environments)) project.ok(['env', 'add', 'development']);
  project.ok(['declare', 'SENTRY_DSN']);
  const ctx: ServiceContext = { cwd: project.dir, env: project.env, notice: () => {} };
  await setSecrets(ctx, 'production', new Map([['API_TOKEN', VALUES['production']!['API_TOKEN']!]]), [], undefined, {
    expires: '2026-12-10',
  });
  await setSecrets(ctx, 'production', new Map([['STRIPE_KEY', VALUES['production']!['STRIPE_KEY']!]]), [], undefined, {
    expires: '2026-11-01',
  });
  const identity = join(project.home, 'age.txt');
  const recipient = project.ok(['keygen', '--out', identity]).stdout.trim();
  const ageSecret = readFileSync(identity, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
  project.ok(['recipients', 'add', recipient, '--env', 'production', '--name', 'Ravi <script>alert(1)</script>', '--role', 'engineer']);
  // A server (as `hako servers add` records one) that nothing listens for: a real sync to it fails.
  writeFileSync(
    join(project.dir, '.hako', 'servers.json'),
    JSON.stringify(
      {
        servers: {
          'web-1': {
            apps: ['web'],
            environments: ['production'],
            host_keys: [UNUSED_HOST_KEY],
            recipient,
            target: 'deploy@127.0.0.1:1',
          },
        },
        version: 1,
      },
      null,
      2,
    ) + '\n',
  );
  git(project.dir, 'add', '-A');
  git(project.dir, 'commit', '-qm', 'secrets and a recipient');
  const values = Object.values(VALUES).flatMap((v) => Object.values(v));
  return { project, ctx, values, recipient, ageSecret };
}

/** Every spelling of every key in HAKO_HOME (base64, base64url, hex) and the age identity. */
export function keyForms(p: UiProject): string[] {
  const dir = join(p.project.home, 'keys');
  const out = [p.ageSecret, p.ageSecret.toLowerCase()];
  for (const f of readdirSync(dir)) {
    const text = readFileSync(join(dir, f), 'utf8').trim();
    const bytes = Buffer.from(text, 'base64');
    out.push(text, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'));
  }
  return out;
}

/** Fails naming the kind of leak (never the leaked text). */
export function assertNothingSecret(body: string, p: UiProject, where: string): void {
  for (const v of p.values) if (body.includes(v)) throw new Error(`${where}: a secret value appeared in the page`);
  for (const k of keyForms(p)) if (body.includes(k)) throw new Error(`${where}: key material appeared in the page`);
}

export type Matrix = Record<string, Record<string, string>>;

/** The matrix as the page shows it: name → env → the cell's text ("set", "missing", …). */
export function matrixOf(body: string): Matrix {
  const envs = [...body.matchAll(/<th scope="col" data-env="([^"]+)">/g)].map((m) => m[1]!);
  const out: Matrix = {};
  for (const row of body.matchAll(/<tr data-name="([A-Z0-9_]+)">(.*?)<\/tr>/gs)) {
    const cells = [...row[2]!.matchAll(/<td class="c">(.*?)<\/td>/gs)].map((m) =>
      m[1]!
        .replace(/<span aria-hidden="true">[^<]*<\/span>/g, '')
        .replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    );
    out[row[1]!] = Object.fromEntries(envs.map((e, i) => [e, cells[i]!]));
  }
  return out;
}

/** What `hako ls --json` says, as name → env → "set" | "missing" | "missing (required)". */
export function matrixFromLs(p: Project): Matrix {
  const ls = JSON.parse(p.ok(['ls', '--json']).stdout) as {
    secrets: { name: string; environments: Record<string, boolean>; required: boolean }[];
  };
  const out: Matrix = {};
  for (const s of ls.secrets) {
    out[s.name] = Object.fromEntries(
      Object.entries(s.environments).map(([env, present]) => [env, present ? 'set' : s.required ? 'missing (required)' : 'missing']),
    );
  }
  return out;
}

/** The page's matrix with expiry detail dropped: only set / missing, as `hako ls` knows it. */
export function presenceOnly(m: Matrix): Matrix {
  const out: Matrix = {};
  for (const [name, row] of Object.entries(m)) {
    out[name] = Object.fromEntries(
      Object.entries(row).map(([env, text]) => [env, /^(set|expiring|expired)\b/.test(text) ? 'set' : text.replace(/\s+/g, ' ')]),
    );
  }
  return out;
}
