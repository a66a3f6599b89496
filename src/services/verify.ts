/**
 * `hako verify`: is the repository's secrets state sound, as far as this machine can tell?
 *
 * - `.hako/secrets.json` parses (no merge conflict left in it); a SOPS-bound environment's
 *   file opens with its data key and its MAC holds;
 * - each environment's key chain is well-formed and signed link to link;
 * - with a key here, the key is the chain's head, passes continuity, and every value opens
 *   (each failing name is listed); without one, the environment is reported as unchecked;
 * - `.hako/recipients.md` says what secrets.json says;
 * - every name the schema requires is set in every environment;
 * - no secret is past its expiry (expiring within EXPIRES_SOON_DAYS is a warning);
 * - no file holds a plaintext secret: tracked files (or, with `staged`, the staged ones) are
 *   searched for the values of the environments that opened, and for plaintext secret files.
 *
 * With `staged` the index is checked instead of the working tree (the pre-commit hook): an
 * expired secret is then a warning, so a commit that fixes something else is not blocked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { HakoError, isHakoError } from '../core/errors.js';
import { assertEnvName } from '../core/names.js';
import { parseSecretsFile, SECRETS_FILE_NAME, type SecretsFile } from '../core/formats/secrets-file.js';
import { RECIPIENTS_DOC_NAME } from '../core/formats/recipients-doc.js';
import { metaText } from '../core/formats/secret-meta.js';
import { readObjects } from '../core/git/run-git.js';
import { nonInteractive, type ServiceContext } from './context.js';
import { verifyEntryChain } from './continuity.js';
import { findProject, openEnvironment, type Project } from './project.js';
import { expectedRecipientsDoc } from './recipients.js';
import { expiryStatus, today } from './secrets.js';
import { hookIndex, readSopsRules, scanContent, scanFiles, stagedFiles, valueMatcher, workTreeFiles } from './scan.js';

export type VerifyLevel = 'error' | 'warning' | 'note';

export interface VerifyIssue {
  level: VerifyLevel;
  /** Stable kind for scripts: parse, chain, key, value, recipients-doc, required, expired, expires-soon, unchecked, plaintext-file, leaked-value. */
  check: string;
  message: string;
  env?: string;
  name?: string;
  file?: string;
}

export interface VerifyEnvironment {
  name: string;
  keyId: string;
  secrets: number;
  /** 'ok' (signed links), 'none' (format 1 entry, no chain yet) or 'broken'. */
  chain: 'ok' | 'none' | 'broken';
  /** 'opened': every value opened; 'failed': some did not; 'unchecked': no key here (see `reason`). */
  values: 'opened' | 'failed' | 'unchecked';
  reason?: string;
}

export interface VerifyReport {
  ok: boolean;
  staged: boolean;
  environments: VerifyEnvironment[];
  issues: VerifyIssue[];
  /** Files searched for plaintext secrets. */
  filesChecked: number;
}

export interface VerifyOptions {
  /** Only these environments (all when absent). */
  envs?: string[];
  /** Check the staged state (the index) instead of the working tree. */
  staged?: boolean;
  /** Skip the search of tracked files for values (the cheapest parts stay). */
  skipFiles?: boolean;
}

export async function verifyProject(ctx: ServiceContext, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const project = findProject(ctx);
  const staged = opts.staged === true;
  if (staged && !project.gitRoot)
    throw new HakoError('E_NOT_GIT', 'hako verify --staged needs a git repository', 'run it inside the repository');
  const report: VerifyReport = { ok: true, staged, environments: [], issues: [], filesChecked: 0 };
  const issue = (i: VerifyIssue) => report.issues.push(i);

  const rel = (p: string) =>
    relative(project.gitRoot ?? project.root, join(project.root, p))
      .split(sep)
      .join('/');
  const index = staged
    ? readObjects(
        project.gitRoot!,
        [`:${rel(SECRETS_FILE_NAME)}`, `:${rel(RECIPIENTS_DOC_NAME)}`],
        ctx.env,
        hookIndex(project.gitRoot!, ctx.env),
      )
    : [];
  // Read as it is: a file with conflict markers is a finding of verify, not an error of reading.
  const text = staged ? (index[0]?.toString('utf8') ?? null) : readIfExists(project.file);
  const docText = staged ? (index[1]?.toString('utf8') ?? null) : readIfExists(join(project.root, RECIPIENTS_DOC_NAME));

  let file: SecretsFile | null = null;
  if (text === null) {
    issue({
      level: 'note',
      check: 'parse',
      file: SECRETS_FILE_NAME,
      message: `${SECRETS_FILE_NAME} is not staged (nothing of it to check)`,
    });
  } else {
    try {
      file = parseSecretsFile(text, SECRETS_FILE_NAME);
    } catch (err) {
      if (!isHakoError(err)) throw err;
      issue({ level: 'error', check: 'parse', file: SECRETS_FILE_NAME, message: err.message + (err.hint ? ` (${err.hint})` : '') });
    }
  }

  const known = new Map<string, Map<string, string>>();
  if (file) {
    const envs = opts.envs?.map(assertEnvName) ?? [...file.environments.keys()].sort();
    for (const env of envs) {
      if (!file.environments.has(env)) {
        issue({ level: 'error', check: 'parse', env, message: `no environment '${env}' in ${SECRETS_FILE_NAME}` });
        continue;
      }
      const values = await verifyEnvironment(ctx, project, file, env, staged, report, issue);
      if (values) known.set(env, values);
    }
    // The recipients doc lists every environment, so it is compared whole.
    const expected = expectedRecipientsDoc(project, file, docText);
    if (expected !== null && expected !== docText) {
      // Missing: written by the next recipients command (a SOPS binding brings its file's recipients without one).
      issue({
        level: docText === null ? 'warning' : 'error',
        check: 'recipients-doc',
        file: RECIPIENTS_DOC_NAME,
        message: `${RECIPIENTS_DOC_NAME} does not match the recipients in ${SECRETS_FILE_NAME}${docText === null ? ' (it is missing)' : ''}`,
      });
    }
  }

  if (!opts.skipFiles && project.gitRoot) {
    const matcher = valueMatcher(known);
    if (staged) {
      const files = stagedFiles(project.gitRoot, ctx.env);
      const sopsText = files.find((f) => f.path === '.sops.yaml')?.content.toString('utf8') ?? null;
      const sops = readSopsRules(project.gitRoot, sopsText);
      report.filesChecked = files.length;
      for (const f of files) if (f.path !== rel(SECRETS_FILE_NAME)) fileIssues(scanContent(f.path, f.content, matcher, sops), issue);
    } else {
      const files = workTreeFiles(project.gitRoot, ctx.env).filter((f) => f !== rel(SECRETS_FILE_NAME));
      report.filesChecked = files.length;
      fileIssues(scanFiles(project.gitRoot, files, matcher, readSopsRules(project.gitRoot)), issue);
    }
  }
  report.ok = !report.issues.some((i) => i.level === 'error');
  return report;
}

function fileIssues(findings: ReturnType<typeof scanFiles>, issue: (i: VerifyIssue) => void): void {
  for (const f of findings) {
    if (f.kind === 'plaintext-file') issue({ level: 'error', check: 'plaintext-file', file: f.file, message: `${f.file}: ${f.why}` });
    else
      issue({
        level: 'error',
        check: 'leaked-value',
        file: f.file,
        env: f.env!,
        name: f.name!,
        message: `${f.file} holds the value of ${f.name} (environment '${f.env}'), as it is or encoded`,
      });
  }
}

async function verifyEnvironment(
  ctx: ServiceContext,
  project: Project,
  file: SecretsFile,
  env: string,
  staged: boolean,
  report: VerifyReport,
  issue: (i: VerifyIssue) => void,
): Promise<Map<string, string> | null> {
  const record = file.environments.get(env)!;
  const entry: VerifyEnvironment = { name: env, keyId: record.keyId, secrets: record.secrets.size, chain: 'none', values: 'unchecked' };
  report.environments.push(entry);

  try {
    verifyEntryChain(env, record, null);
    entry.chain = record.chain.length ? 'ok' : 'none';
    if (!record.chain.length)
      issue({ level: 'note', check: 'chain', env, message: `environment '${env}' has no key chain yet (its next write starts one)` });
  } catch (err) {
    if (!isHakoError(err)) throw err;
    entry.chain = 'broken';
    issue({ level: 'error', check: 'chain', env, message: err.message });
  }

  // Required names and expiry need no key.
  for (const [name, decl] of file.schema) {
    if (decl.required && !record.sops && !record.secrets.has(name))
      issue({ level: 'error', check: 'required', env, name, message: `${name} is required (schema) but not set in '${env}'` });
  }
  const todayIs = today(ctx.env);
  for (const [name, meta] of record.meta) {
    const st = expiryStatus(meta, todayIs);
    if (st.state === 'expired')
      issue({
        level: staged ? 'warning' : 'error',
        check: 'expired',
        env,
        name,
        message: `${name} in '${env}' expired on ${meta.expires} (set a new value: hako set ${name} --env ${env})`,
      });
    else if (st.state === 'soon')
      issue({
        level: 'warning',
        check: 'expires-soon',
        env,
        name,
        message: `${name} in '${env}' expires on ${meta.expires} (in ${st.days} days)`,
      });
  }

  if (entry.chain === 'broken') return null;
  let opened;
  try {
    opened = await openEnvironment(nonInteractive(ctx), project, file, env);
  } catch (err) {
    if (!isHakoError(err)) throw err;
    if (err.code === 'E_NO_KEY') {
      entry.reason = 'no key on this machine';
      issue({ level: 'note', check: 'unchecked', env, message: `environment '${env}': no key here, so its values were not checked` });
      if (record.sops) entry.reason += ` (its SOPS file ${record.sops.path} was not opened)`;
    } else {
      entry.values = 'failed';
      entry.reason = err.message;
      issue({ level: 'error', check: 'key', env, message: err.message });
    }
    return null;
  }
  // A SOPS-bound environment's names come from its file, which opening just read (and checked its MAC).
  if (record.sops) {
    entry.secrets = record.secrets.size;
    for (const [name, decl] of file.schema)
      if (decl.required && !record.secrets.has(name))
        issue({
          level: 'error',
          check: 'required',
          env,
          name,
          message: `${name} is required (schema) but not set in '${env}' (${record.sops.path})`,
        });
  }
  const values = new Map<string, string>();
  const failed: string[] = [];
  for (const [name, token] of record.secrets) {
    const bytes = opened.cipher.openBytes(name, token, metaText(record.meta.get(name)));
    if (bytes === null) failed.push(name);
    else values.set(name, bytes.toString('utf8'));
  }
  entry.values = failed.length ? 'failed' : 'opened';
  for (const name of failed)
    issue({
      level: 'error',
      check: 'value',
      env,
      name,
      message: `${name} in '${env}' fails authentication: its value, name, key or expiry was changed outside hako`,
    });
  return values;
}

function readIfExists(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}
