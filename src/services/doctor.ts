/**
 * `hako doctor`: what state this checkout and this machine are in, without asking anyone
 * anything (no prompt, no write): the project file, the environments and whether each opens
 * here and by which source, where key files live, the key variables set (names only), the age
 * identities found, the order keys are looked for in, which OS keychain answers here (asked
 * without a prompt and with a short time limit), and every problem with its fix.
 *
 * The facts are gathered once (`DoctorFacts`); then each check in CHECKS looks at them and
 * returns findings. To teach doctor something new, add a check.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HakoError, isHakoError } from '../core/errors.js';
import { SECRETS_FILE_NAME, type SecretsFile } from '../core/formats/secrets-file.js';
import { hakoHome, keysDir } from '../core/home.js';
import { keychainStatus, type KeychainStatus } from '../core/keychain/keychain.js';
import { defaultKeySources } from '../core/keys/default-sources.js';
import type { KeySource } from '../core/keys/key-source.js';
import { isKeyMaterialVar } from '../core/keys/key-material.js';
import { nonInteractive, type ServiceContext } from './context.js';
import { probeAccess, type Access } from './environments.js';
import { whoAmI, type WhoAmI } from './identities.js';
import { GIT_ATTRIBUTES, GIT_IGNORE } from './init.js';
import { findGitRoot, findProject, loadSecretsFile, type Project } from './project.js';

export type Severity = 'problem' | 'warning' | 'info';

export interface Finding {
  /** The check that found it, e.g. "environments". */
  check: string;
  severity: Severity;
  message: string;
  /** What to do about it. */
  fix?: string;
}

export interface EnvironmentFacts {
  env: string;
  keyId: string;
  /** sops: the data key of a SOPS file, shared through the file's own recipients. */
  keyKind: 'random' | 'passphrase' | 'sops';
  secrets: number;
  recipients: number;
  access: Access;
}

export interface DoctorFacts {
  cwd: string;
  gitRoot: string | null;
  project: Project | null;
  /** Why the project file could not be read, when it could not. */
  fileError: HakoError | null;
  file: SecretsFile | null;
  environments: EnvironmentFacts[];
  home: { path: string | null; origin: 'HAKO_HOME' | 'default'; error: HakoError | null; keyFiles: number; loose: string[] };
  /** Names of the key-carrying variables that are set (never their values). */
  variables: string[];
  identities: WhoAmI | null;
  /** Where a key is looked for, first to last (the first that has one wins). */
  keyLookup: string[];
  /** Which OS keychain answers here. */
  keychain: KeychainStatus;
}

/** How long doctor waits for a keychain to answer before calling it unusable. */
const KEYCHAIN_PROBE_MS = 3_000;

const SOURCE_LABELS: Record<KeySource['kind'], string> = {
  'bundle-env': 'HAKO_KEY',
  'key-file': 'key file',
  keychain: 'keychain',
  'age-identity': 'age identities',
  passphrase: 'passphrase',
};

export interface Check {
  name: string;
  run(facts: DoctorFacts, ctx: ServiceContext): Finding[] | Promise<Finding[]>;
}

export interface DoctorReport {
  facts: DoctorFacts;
  findings: Finding[];
}

async function gather(ctx: ServiceContext): Promise<DoctorFacts> {
  const quiet = nonInteractive(ctx);
  const facts: DoctorFacts = {
    cwd: ctx.cwd,
    gitRoot: findGitRoot(ctx.cwd),
    project: null,
    fileError: null,
    file: null,
    environments: [],
    home: { path: null, origin: ctx.env['HAKO_HOME'] ? 'HAKO_HOME' : 'default', error: null, keyFiles: 0, loose: [] },
    variables: Object.keys(ctx.env)
      .filter((k) => isKeyMaterialVar(k) && ctx.env[k])
      .sort(),
    identities: null,
    keyLookup: defaultKeySources({ env: ctx.env }).map((s) => SOURCE_LABELS[s.kind]),
    keychain: await keychainStatus(KEYCHAIN_PROBE_MS),
  };
  try {
    facts.project = findProject(ctx);
    facts.file = loadSecretsFile(facts.project);
  } catch (err) {
    if (!isHakoError(err)) throw err;
    if (err.code !== 'E_NO_PROJECT') facts.fileError = err;
  }
  try {
    facts.home.path = hakoHome(ctx.env);
    const dir = keysDir(ctx.env);
    if (existsSync(dir) && statSync(dir).isDirectory()) {
      for (const name of readdirSync(dir)) {
        facts.home.keyFiles++;
        try {
          if ((statSync(join(dir, name)).mode & 0o077) !== 0) facts.home.loose.push(join(dir, name));
        } catch {
          /* gone meanwhile */
        }
      }
    }
  } catch (err) {
    if (!isHakoError(err)) throw err;
    facts.home.error = err;
  }
  if (facts.file) {
    for (const [env, record] of [...facts.file.environments].sort(([a], [b]) => (a < b ? -1 : 1))) {
      facts.environments.push({
        env,
        keyId: record.keyId,
        keyKind: record.sops ? 'sops' : record.passphrase ? 'passphrase' : 'random',
        secrets: record.secrets.size,
        // A SOPS-bound environment's recipients are the age keys in its file.
        recipients: record.sops
          ? (await import('./sops-env.js')).boundRecipientsOf(facts.project!, env, record).length
          : record.recipients.size,
        access: await probeAccess(quiet, facts.file, env),
      });
    }
  }
  try {
    facts.identities = await whoAmI(quiet, { file: facts.file });
  } catch (err) {
    if (!isHakoError(err)) throw err;
    facts.identities = null;
  }
  return facts;
}

const projectCheck: Check = {
  name: 'project',
  run(f) {
    if (f.fileError) return [{ check: 'project', severity: 'problem', message: f.fileError.message, ...fix(f.fileError.hint) }];
    if (!f.project) {
      return [
        {
          check: 'project',
          severity: f.gitRoot ? 'info' : 'warning',
          message: `no ${SECRETS_FILE_NAME} in ${f.cwd} or any folder above it`,
          fix: f.gitRoot ? `hako init (in ${f.gitRoot})` : 'cd into your git repository (or git init), then hako init',
        },
      ];
    }
    const out: Finding[] = [];
    if (!f.gitRoot) {
      out.push({
        check: 'project',
        severity: 'warning',
        message: `${f.project.root} is not inside a git repository`,
        fix: 'hako keeps its file in git: git init, then commit .hako/',
      });
    }
    if (f.file && f.file.environments.size === 0) {
      out.push({ check: 'project', severity: 'info', message: 'the project has no environments yet', fix: 'hako env add development' });
    }
    return out;
  },
};

const gitFilesCheck: Check = {
  name: 'git files',
  run(f) {
    if (!f.project) return [];
    const out: Finding[] = [];
    for (const [name, lines] of [
      ['.gitattributes', GIT_ATTRIBUTES],
      ['.gitignore', GIT_IGNORE],
    ] as const) {
      const path = join(f.project.root, '.hako', name);
      let text = '';
      try {
        text = existsSync(path) ? readFileSync(path, 'utf8') : '';
      } catch {
        text = '';
      }
      const have = new Set(text.split(/\r?\n/).map((l) => l.trim()));
      const missing = lines.filter((l) => !have.has(l));
      if (missing.length) {
        out.push({
          check: 'git files',
          severity: 'info',
          message: `.hako/${name} lacks ${missing.map((m) => `"${m}"`).join(', ')}`,
          fix: 'hako init (adds what is missing, changes nothing else)',
        });
      }
    }
    const lock = join(f.project.root, `${SECRETS_FILE_NAME}.lock`);
    if (existsSync(lock)) {
      out.push({
        check: 'git files',
        severity: 'warning',
        message: `${SECRETS_FILE_NAME}.lock exists: another hako is writing, or one died while writing`,
        fix: 'if no hako is running, the next write removes a stale lock by itself',
      });
    }
    return out;
  },
};

const homeCheck: Check = {
  name: 'key folder',
  run(f) {
    const out: Finding[] = [];
    if (f.home.error) {
      out.push({ check: 'key folder', severity: 'problem', message: f.home.error.message, ...fix(f.home.error.hint) });
      return out;
    }
    const home = f.home.path!;
    if (existsSync(home) && !statSync(home).isDirectory()) {
      out.push({
        check: 'key folder',
        severity: 'problem',
        message: `${f.home.origin === 'HAKO_HOME' ? 'HAKO_HOME' : 'the key folder'} ${home} is a file, not a folder`,
        fix: 'point HAKO_HOME at a folder, or unset it',
      });
    }
    if (f.gitRoot && inside(f.gitRoot, home)) {
      out.push({
        check: 'key folder',
        severity: 'problem',
        message: `key files live in ${home}, inside the git repository ${f.gitRoot}, where they could be committed`,
        fix: 'set HAKO_HOME to a folder outside any repository, or unset it',
      });
    }
    for (const p of f.home.loose) {
      out.push({ check: 'key folder', severity: 'problem', message: `key file ${p} is readable by others`, fix: `chmod 600 ${p}` });
    }
    return out;
  },
};

const environmentsCheck: Check = {
  name: 'environments',
  run(f) {
    const out: Finding[] = [];
    for (const e of f.environments) {
      // null: a passphrase is given for it; doctor, like every listing, spends no Argon2 derivation on it.
      if (e.access.opens !== false) continue;
      if (e.access.code === 'E_NO_KEY') {
        out.push({
          check: 'environments',
          severity: 'info',
          message: `'${e.env}' does not open on this machine (no key found)`,
          fix:
            e.keyKind === 'passphrase'
              ? `hako key import --passphrase --env ${e.env} (or set HAKO_PASSPHRASE_${e.env.toUpperCase().replace(/-/g, '_')})`
              : `hako key import (paste the line from hako key export --env ${e.env} on a machine that has it), or set HAKO_KEY`,
        });
      } else {
        if (e.access.code === 'E_KEY_PERMS' && f.home.loose.length) continue; // the key folder check names the file
        out.push({
          check: 'environments',
          severity: 'problem',
          message: `'${e.env}' does not open: ${e.access.reason}`,
          fix: e.access.hint ?? `hako ls --env ${e.env} shows the error`,
        });
      }
    }
    return out;
  },
};

/** An environment whose key only a key file holds: lose that file (and every copy) and the values are gone. */
const singleWayInCheck: Check = {
  name: 'ways in',
  run(f) {
    return f.environments
      .filter((e) => e.keyKind === 'random' && e.recipients === 0)
      .map((e) => ({
        check: 'ways in',
        severity: 'warning' as const,
        message: `'${e.env}' has a single way in: its random key (no recipients, no passphrase); if every copy of that key is lost, so are its values`,
        fix: `give a second person or machine access: hako recipients add age1… --env ${e.env}, or store hako key export --env ${e.env} in a password manager`,
      }));
  },
};

const identitiesCheck: Check = {
  name: 'identities',
  run(f) {
    if (!f.identities) return [];
    return f.identities.problems.map((p) => ({ check: 'identities', severity: 'problem' as const, message: p.message, ...fix(p.hint) }));
  },
};

/** Every check doctor runs, in order. */
export const CHECKS: Check[] = [projectCheck, gitFilesCheck, homeCheck, environmentsCheck, singleWayInCheck, identitiesCheck];

export async function runDoctor(ctx: ServiceContext, checks: readonly Check[] = CHECKS): Promise<DoctorReport> {
  const facts = await gather(ctx);
  const findings: Finding[] = [];
  for (const c of checks) findings.push(...(await c.run(facts, ctx)));
  return { facts, findings };
}

function fix(hint: string | undefined): { fix?: string } {
  return hint ? { fix: hint } : {};
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}
