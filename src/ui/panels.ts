/**
 * The Verify, History and Servers pages, over the verify, log, servers and sync services.
 * Servers reads servers.json and the last sync states (no network); its Sync button runs a
 * real sync. An action (Verify, Sync) runs on a POST and its result is kept in memory for this session,
 * then shown by the page the browser is redirected to (so a reload never runs it twice).
 */
import type { ServiceContext } from '../services/context.js';
import { isHakoError } from '../core/errors.js';
import { verifyProject, type VerifyReport } from '../services/verify.js';
import { secretLog, type LogEntry } from '../services/history.js';
import { serversStatus, type ServerStatus } from '../services/servers.js';
import { syncEnvironment, type SyncReport } from '../services/sync.js';
import { assertEnvName } from '../core/names.js';
import { badge, html, notice, type Html } from './html.js';
import { CSRF_FIELD } from './security.js';

export type Form = Record<string, string>;

export interface Panels {
  verifyPage(ctx: ServiceContext, csrf: string): Promise<Html>;
  runVerify(ctx: ServiceContext, form: Form): Promise<void>;
  historyPage(ctx: ServiceContext, query: { name?: string; env?: string }): Promise<Html>;
  serversPage(ctx: ServiceContext, csrf: string): Promise<Html>;
  runSync(ctx: ServiceContext, form: Form): Promise<void>;
}

export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrf}" />`;
}

type Outcome<T> = { at: string; ms: number } & ({ ok: true; value: T } | { ok: false; message: string; hint: string | null });

async function timed<T>(f: () => Promise<T>): Promise<Outcome<T>> {
  const at = new Date().toISOString();
  const t0 = Date.now();
  try {
    const value = await f();
    return { at, ms: Date.now() - t0, ok: true, value };
  } catch (err) {
    if (!isHakoError(err)) throw err;
    return { at, ms: Date.now() - t0, ok: false, message: err.message, hint: err.hint ?? null };
  }
}

function failure(o: { message: string; hint: string | null }): Html {
  return notice(
    'bad',
    'It did not run',
    html`<p>${o.message}</p>
      ${o.hint ? html`<p class="small">hint: ${o.hint}</p>` : ''}`,
  );
}

const LEVEL = { error: 'bad', warning: 'warn', note: 'info' } as const;

function verifyResult(o: Outcome<VerifyReport>): Html {
  if (!o.ok) return html`<section id="verify-result">${failure(o)}</section>`;
  const r = o.value;
  const count = (l: string) => r.issues.filter((i) => i.level === l).length;
  return html`<section id="verify-result" aria-labelledby="vr-h">
    <h2 id="vr-h">Result <span class="small">at ${o.at.slice(11, 19)} UTC, ${o.ms} ms</span></h2>
    <p>
      ${r.ok ? badge('ok', 'verified: no errors', '✓') : badge('bad', 'verification failed', '✗')}
      ${badge(count('error') ? 'bad' : 'off', `${count('error')} errors`)}
      ${badge(count('warning') ? 'warn' : 'off', `${count('warning')} warnings`)} ${badge('off', `${count('note')} notes`)}
      <span class="small">${r.filesChecked} tracked files searched for values</span>
    </p>
    <div class="tablewrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Environment</th>
            <th scope="col">Key id</th>
            <th scope="col">Secrets</th>
            <th scope="col">Key chain</th>
            <th scope="col">Values</th>
          </tr>
        </thead>
        <tbody>
          ${r.environments.map(
            (e) =>
              html`<tr>
                <th scope="row">${e.name}</th>
                <td class="mono">${e.keyId}</td>
                <td>${e.secrets}</td>
                <td>
                  ${e.chain === 'ok' ? badge('ok', 'signed', '✓') : e.chain === 'none' ? badge('off', 'none yet (format 1)', '–') : badge('bad', 'broken', '✗')}
                </td>
                <td>
                  ${
                    e.values === 'opened'
                      ? badge('ok', 'every value opens', '✓')
                      : e.values === 'failed'
                        ? badge('bad', 'some values fail to open', '✗')
                        : badge('off', 'not checked here', '–')
                  }
                  ${e.reason ? html`<span class="small">${e.reason}</span>` : ''}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${
      r.issues.length
        ? html`<h3>Findings</h3>
            <ul class="plain findings">
              ${r.issues.map(
                (i) =>
                  html`<li>
                    ${badge(LEVEL[i.level], i.level)} <code>${i.check}</code> ${i.env ? html`<span class="small">${i.env}</span>` : ''}
                    ${i.name ? html`<code>${i.name}</code>` : ''} ${i.file ? html`<code>${i.file}</code>` : ''} ${i.message}
                  </li>`,
              )}
            </ul>`
        : html`<p>${badge('ok', 'no findings', '✓')}</p>`
    }
  </section>`;
}

const KIND: Record<string, { kind: 'ok' | 'warn' | 'bad' | 'off' | 'info'; text: string }> = {
  added: { kind: 'ok', text: 'added' },
  changed: { kind: 'info', text: 'changed' },
  removed: { kind: 'bad', text: 'removed' },
  rotated: { kind: 'warn', text: 'key rotated' },
  'recipient-added': { kind: 'ok', text: 'recipient added' },
  'recipient-removed': { kind: 'bad', text: 'recipient removed' },
  'env-added': { kind: 'ok', text: 'environment added' },
  'env-removed': { kind: 'bad', text: 'environment removed' },
};

const RESULT: Record<string, { kind: 'ok' | 'warn' | 'bad' | 'off' | 'info'; text: string; symbol: string }> = {
  updated: { kind: 'ok', text: 'updated', symbol: '↻' },
  unchanged: { kind: 'ok', text: 'up to date', symbol: '✓' },
  'would-update': { kind: 'warn', text: 'behind (dry run)', symbol: '!' },
  failed: { kind: 'bad', text: 'failed', symbol: '✗' },
  reachable: { kind: 'info', text: 'reachable', symbol: '·' },
};

function syncResult(o: Outcome<SyncReport>): Html {
  if (!o.ok) return html`<section id="sync-result">${failure(o)}</section>`;
  const r = o.value;
  return html`<section id="sync-result" aria-labelledby="sr-h">
    <h2 id="sr-h">Sync of ${r.env} <span class="small">at ${o.at.slice(11, 19)} UTC, ${o.ms} ms, content ${r.hash.slice(0, 12)}</span></h2>
    <p>
      ${r.failed ? badge('bad', `${r.failed} server${r.failed === 1 ? '' : 's'} failed`, '✗') : badge('ok', 'every server has it', '✓')}
    </p>
    <div class="tablewrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Server</th>
            <th scope="col">Result</th>
            <th scope="col">Apps rolled</th>
            <th scope="col">Time</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          ${r.outcomes.map((s) => {
            const b = RESULT[s.result] ?? RESULT['failed']!;
            return html`<tr>
              <th scope="row">${s.server} <span class="small">${s.target}</span></th>
              <td>${badge(b.kind, b.text, b.symbol)}</td>
              <td>
                ${s.apps.length ? s.apps.map((a) => html`${badge(a.ok ? 'ok' : 'bad', a.app, a.ok ? '✓' : '✗')}${a.reason ? html` <span class="small">${a.reason}</span>` : ''} `) : html`<span class="small">–</span>`}
              </td>
              <td>${s.ms} ms</td>
              <td>
                ${s.error ? html`${s.error.message}${s.error.hint ? html` <span class="small">hint: ${s.error.hint}</span>` : ''}` : ''}
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>
  </section>`;
}

function serverRow(s: ServerStatus): Html {
  return html`<tr>
    <th scope="row">${s.name}</th>
    <td class="mono">${s.target}</td>
    <td>${s.apps.length ? s.apps.join(', ') : html`<span class="small">–</span>`}</td>
    <td>
      ${s.environments.map((env) => {
        const last = s.last[env];
        if (!last) return html`<div>${env}: ${badge('off', 'never synced from here', '–')}</div>`;
        const b = RESULT[last.result] ?? RESULT['failed']!;
        return html`<div>
          ${env}: ${badge(b.kind, b.text, b.symbol)}
          <span class="small"
            >${last.at.slice(0, 16).replace('T', ' ')}
            UTC${last.hash ? html` · content <code>${last.hash.slice(0, 12)}</code>` : ''}${last.error ? html` · ${last.error}` : ''}</span
          >
        </div>`;
      })}
    </td>
  </tr>`;
}

export function makePanels(): Panels {
  let lastVerify: Outcome<VerifyReport> | null = null;
  let lastSync: Outcome<SyncReport> | null = null;
  return {
    async verifyPage(_ctx, csrf) {
      return html`<p class="lead">
          Checks the secrets file (parse, key chains, every value this machine can open, recipients.md, required and expiring names) and
          searches tracked files for plaintext values: <code>hako verify</code>.
        </p>
        <form method="post" action="/verify">${csrfField(csrf)}<button class="primary" type="submit">Verify now</button></form>
        ${lastVerify ? verifyResult(lastVerify) : html`<p class="small" id="verify-none">Not run yet in this session.</p>`}`;
    },
    async runVerify(ctx) {
      lastVerify = await timed(() => verifyProject(ctx));
    },
    async historyPage(ctx, query) {
      const entries: LogEntry[] = secretLog(ctx, {
        ...(query.name ? { name: query.name } : {}),
        ...(query.env ? { env: query.env } : {}),
        limit: 300,
      });
      return html`<p class="lead">
          What changed, commit by commit, from git history of <code>.hako/secrets.json</code>: <code>hako log</code>. Never a value.
        </p>
        <form class="filters" method="get" action="/history" role="search">
          <label>Secret <input type="search" name="name" value="${query.name ?? ''}" autocomplete="off" /></label>
          <label>Environment <input type="search" name="env" value="${query.env ?? ''}" autocomplete="off" /></label>
          <button type="submit">Filter</button>
        </form>
        ${
          entries.length
            ? html`<div class="tablewrap">
                <table id="history">
                  <thead>
                    <tr>
                      <th scope="col">Date</th>
                      <th scope="col">Change</th>
                      <th scope="col">Environment</th>
                      <th scope="col">Secret</th>
                      <th scope="col">Detail</th>
                      <th scope="col">Commit</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${entries.map((e) => {
                      const k = KIND[e.kind] ?? { kind: 'off' as const, text: e.kind };
                      return html`<tr>
                        <td class="c">${e.date.slice(0, 10)}</td>
                        <td>${badge(k.kind, k.text)}</td>
                        <td>${e.env}</td>
                        <td>${e.name ? html`<code>${e.name}</code>` : html`<span class="small">–</span>`}</td>
                        <td>${e.detail ?? ''}</td>
                        <td><code>${e.commit.slice(0, 10)}</code> <span class="small">${e.author} · ${e.subject}</span></td>
                      </tr>`;
                    })}
                  </tbody>
                </table>
              </div>`
            : notice(
                'info',
                'No changes found',
                'Git history has no change of the secrets file that matches (or the file is not committed yet).',
              )
        }`;
    },
    async serversPage(ctx, csrf) {
      const servers = serversStatus(ctx);
      const envs = [...new Set(servers.flatMap((s) => s.environments))].sort();
      return html`<p class="lead">
          Servers from <code>.hako/servers.json</code>, with what this machine last saw of each agent (no network until you press Sync):
          <code>hako sync</code>.
        </p>
        ${lastSync ? syncResult(lastSync) : ''}
        ${
          servers.length
            ? html`<div class="tablewrap">
                  <table id="servers">
                    <thead>
                      <tr>
                        <th scope="col">Server</th>
                        <th scope="col">Target</th>
                        <th scope="col">Apps</th>
                        <th scope="col">Environments: last sync</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${servers.map(serverRow)}
                    </tbody>
                  </table>
                </div>
                <h2>Sync</h2>
                <p class="small">
                  Sends the committed ciphertext of an environment to every server that takes it; each agent opens it with its own key and
                  rolls its apps.
                </p>
                <ul class="summary">
                  ${envs.map(
                    (env) =>
                      html`<li>
                        <form method="post" action="/servers/sync">
                          ${csrfField(csrf)}<input type="hidden" name="env" value="${env}" /><button type="submit">Sync ${env}</button>
                        </form>
                      </li>`,
                  )}
                </ul>`
            : notice('info', 'No servers yet', html`Add one with <code>hako servers add</code> (see docs/DEPLOY.md).`)
        }`;
    },
    async runSync(ctx, form) {
      const env = form['env'] ?? '';
      lastSync = await timed(async () => syncEnvironment(ctx, assertEnvName(env)));
    },
  };
}
