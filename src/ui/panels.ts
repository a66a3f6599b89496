/**
 * The Verify, History and Servers pages. Servers reads servers.json and the last sync states,
 * and its Sync button runs a real sync; a page whose service this build lacks says so rather
 * than show anything made up. An action (Verify, Sync) runs on a POST and its result is kept in memory for this session,
 * then shown by the page the browser is redirected to (so a reload never runs it twice).
 */
import type { ServiceContext } from '../services/context.js';
import { HakoError, isHakoError } from '../core/errors.js';
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

function unavailable(what: string, cli: string): Html {
  return notice(
    'info',
    'Not available in this build',
    html`${what} is not part of this build of hako yet, so this page has nothing to show. Nothing here is a placeholder made to look real.
    (<code>${cli}</code>)`,
  );
}

function notBuilt(what: string): never {
  throw new HakoError('E_USAGE', `${what} is not available in this build of hako`, 'update hako');
}

function failure(o: { message: string; hint: string | null }): Html {
  return notice(
    'bad',
    'It did not run',
    html`<p>${o.message}</p>
      ${o.hint ? html`<p class="small">hint: ${o.hint}</p>` : ''}`,
  );
}

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
  let lastSync: Outcome<SyncReport> | null = null;
  return {
    verifyPage: async () => unavailable('Verification of the secrets file and its history', 'hako verify'),
    runVerify: async () => notBuilt('verify'),
    historyPage: async () => unavailable('The history of secret changes', 'hako log'),
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
