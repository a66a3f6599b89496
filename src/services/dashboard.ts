/**
 * What a dashboard (hako ui) shows about the store, built from the same services as
 * `hako ls`, `hako trust` and `hako recipients ls`: names × environments with each cell's
 * state and dates, how each environment opens on this machine, and who can open which
 * environment. Never a value and never a key: nothing here opens a value, and the only key
 * material touched is the check `probeAccess` makes, which returns no key.
 */
import { nonInteractive, type ServiceContext } from './context.js';
import { isHakoError } from '../core/errors.js';
import { listSecrets, today } from './secrets.js';
import type { Access } from './environments.js';
import { trustStatus, type TrustEntry } from './trust.js';
import { findProject, loadSecretsFile } from './project.js';
import { listRecipients, type RecipientListing } from './recipients.js';
import { recipientGitDates, type RecipientGitDate } from './recipient-history.js';
import { addDays } from '../core/formats/secret-meta.js';
import { SECRETS_FILE_NAME } from '../core/formats/secrets-file.js';
import { RECIPIENTS_DOC_NAME } from '../core/formats/recipients-doc.js';

/** Days before its expiry date when a secret counts as expiring. */
export const EXPIRING_WITHIN_DAYS = 30;

export type CellState = 'set' | 'missing' | 'required' | 'expiring' | 'expired';

export interface Cell {
  state: CellState;
  /** YYYY-MM-DD, when the secret has an expiry date. */
  expires?: string;
  rotateEvery?: string;
}

export interface EnvironmentView {
  name: string;
  keyId: string;
  backend: 'native' | 'sops';
  /** The SOPS file (relative to the project root) for a SOPS-bound environment. */
  sopsPath: string | null;
  keyKind: 'random' | 'passphrase' | 'sops';
  access: Access;
  trust: Pick<TrustEntry, 'relation' | 'chainProblem' | 'chainLength'> & { pinnedKeyId: string | null };
  /** null when the SOPS file that lists them cannot be read. */
  recipients: number | null;
  secrets: number;
}

export interface SecretsOverview {
  root: string;
  file: string;
  recipientsDoc: string;
  today: string;
  environments: EnvironmentView[];
  names: { name: string; declared: boolean; required: boolean; description: string | null; cells: Record<string, Cell> }[];
  totals: Record<CellState, number>;
}

function sopsRecipientCount(ctx: ServiceContext, env: string): number | null {
  try {
    return listRecipients(ctx, env).length;
  } catch (err) {
    if (isHakoError(err)) return null;
    throw err;
  }
}

/** The matrix and the environments; `now` fixes today's date (tests, benches). */
export async function secretsOverview(ctx: ServiceContext): Promise<SecretsOverview> {
  const quiet = nonInteractive(ctx);
  const project = findProject(quiet);
  const file = loadSecretsFile(project);
  const listing = await listSecrets(quiet, undefined, { project, file });
  const trust = new Map(trustStatus(quiet, undefined, { history: false, loaded: { project, file } }).map((t) => [t.env, t]));
  const todayIs = today(ctx.env);
  const soon = addDays(todayIs, EXPIRING_WITHIN_DAYS);
  const totals: Record<CellState, number> = { set: 0, missing: 0, required: 0, expiring: 0, expired: 0 };
  const environments: EnvironmentView[] = listing.environments.map((e) => {
    const record = file.environments.get(e.name)!;
    const t = trust.get(e.name);
    return {
      name: e.name,
      keyId: e.keyId,
      backend: record.sops ? 'sops' : 'native',
      sopsPath: record.sops?.path ?? null,
      keyKind: record.sops ? 'sops' : record.passphrase ? 'passphrase' : 'random',
      access: e.access,
      trust: {
        relation: t?.relation ?? 'new',
        chainProblem: t?.chainProblem ?? null,
        chainLength: t?.chainLength ?? record.chain.length,
        pinnedKeyId: t?.pinned?.keyId ?? null,
      },
      // A SOPS-bound environment's recipients live in its SOPS file's metadata.
      recipients: record.sops ? sopsRecipientCount(quiet, e.name) : record.recipients.size,
      secrets: record.secrets.size,
    };
  });
  const names = listing.names.map((n) => {
    const cells: Record<string, Cell> = {};
    for (const env of listing.environments) {
      const record = file.environments.get(env.name)!;
      let cell: Cell;
      if (!n.present[env.name]) cell = { state: n.required ? 'required' : 'missing' };
      else {
        const meta = record.meta.get(n.name);
        const expires = meta?.expires;
        cell = { state: expires === undefined ? 'set' : expires < todayIs ? 'expired' : expires <= soon ? 'expiring' : 'set' };
        if (expires !== undefined) cell.expires = expires;
        if (meta?.rotateEvery !== undefined) cell.rotateEvery = meta.rotateEvery;
      }
      totals[cell.state]++;
      cells[env.name] = cell;
    }
    return { name: n.name, declared: n.declared, required: n.required, description: file.schema.get(n.name)?.description ?? null, cells };
  });
  return {
    root: project.root,
    file: SECRETS_FILE_NAME,
    recipientsDoc: RECIPIENTS_DOC_NAME,
    today: todayIs,
    environments,
    names,
    totals,
  };
}

export interface RecipientView extends RecipientListing {
  /** When git first shows this recipient in this environment (the run that reaches HEAD). */
  git: RecipientGitDate;
}

export interface EnvironmentRecipients {
  env: string;
  keyId: string;
  backend: 'native' | 'sops';
  sopsPath: string | null;
  /** True when the environment also opens with a team passphrase (its holders cannot be listed). */
  passphrase: boolean;
  recipients: RecipientView[];
}

export interface RecipientsOverview {
  recipientsDoc: string;
  environments: EnvironmentRecipients[];
  /** Why git dates are missing, when they are. */
  history: string | null;
}

/** Per environment: its age recipients with their recipients.md labels and the date git shows each arrived. */
export function recipientsOverview(ctx: ServiceContext): RecipientsOverview {
  const quiet = nonInteractive(ctx);
  const project = findProject(quiet);
  const file = loadSecretsFile(project);
  const all = listRecipients(quiet);
  const dates = recipientGitDates(quiet, project, file);
  const environments: EnvironmentRecipients[] = [...file.environments.keys()].sort().map((env) => {
    const record = file.environments.get(env)!;
    return {
      env,
      keyId: record.keyId,
      backend: record.sops ? 'sops' : 'native',
      sopsPath: record.sops?.path ?? null,
      passphrase: record.passphrase !== undefined,
      recipients: all
        .filter((r) => r.environments.includes(env))
        .map((r) => ({ ...r, git: dates.dates.get(`${env}\n${r.recipient}`) ?? { kind: 'unknown' } })),
    };
  });
  return { recipientsDoc: RECIPIENTS_DOC_NAME, environments, history: dates.unavailable };
}
