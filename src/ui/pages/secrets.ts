/** The Secrets page: environments (how each opens here) and the names × environments matrix. */
import type { Cell, CellState, EnvironmentView, SecretsOverview } from '../../services/dashboard.js';
import { badge, html, notice, type Html } from '../html.js';

const CELL: Record<CellState, { kind: 'ok' | 'warn' | 'bad' | 'off'; symbol: string; text: string }> = {
  set: { kind: 'ok', symbol: '✓', text: 'set' },
  missing: { kind: 'off', symbol: '–', text: 'missing' },
  required: { kind: 'bad', symbol: '✗', text: 'missing (required)' },
  expiring: { kind: 'warn', symbol: '!', text: 'expiring' },
  expired: { kind: 'bad', symbol: '✗', text: 'expired' },
};

const PROBLEMS: ReadonlySet<CellState> = new Set(['required', 'expiring', 'expired']);

function accessBadge(e: EnvironmentView): Html {
  const a = e.access;
  if (a.opens === true) {
    const how = a.kind === 'key-file' ? 'key file' : a.kind === 'keychain' ? 'OS keychain' : a.label;
    return html`${badge('ok', `opens here: ${how}`, '✓')}${a.writable ? '' : html` ${badge('warn', 'read-only (older checkout)', '!')}`}`;
  }
  if (a.opens === null) return badge('info', `passphrase from ${a.label}, not checked`, '?');
  if (a.code === 'E_NO_KEY') return badge('off', 'no key on this machine', '–');
  return badge('bad', `refused: ${a.code}`, '✗');
}

function trustBadge(e: EnvironmentView): Html {
  const t = e.trust;
  if (t.chainProblem) return badge('bad', `broken key chain: ${t.chainProblem}`, '✗');
  switch (t.relation) {
    case 'same':
      return badge('ok', 'key trusted here', '✓');
    case 'extends':
      return badge('info', 'key rotated with proof; accepted on next open', '↻');
    case 'behind':
      return badge('warn', 'older than the trusted key', '!');
    case 'fork':
    case 'changed':
      return badge('bad', 'key changed without proof (see hako trust)', '✗');
    case 'no-chain':
      return badge('off', 'no key chain yet (older format)', '–');
    default:
      return badge('off', 'not opened on this machine yet', '–');
  }
}

function envCard(e: EnvironmentView): Html {
  return html`<li class="card" id="env-${e.name}">
    <h3>${e.name} ${e.backend === 'sops' ? badge('info', 'SOPS') : badge('off', 'native')}</h3>
    <div>${accessBadge(e)}</div>
    <dl>
      <dt>Key id</dt>
      <dd class="mono">${e.keyId}</dd>
      <dt>Key</dt>
      <dd>${e.keyKind === 'passphrase' ? 'from a team passphrase' : e.keyKind === 'sops' ? 'the SOPS data key' : 'random'}</dd>
      <dt>Trust</dt>
      <dd>${trustBadge(e)}</dd>
      <dt>Values in</dt>
      <dd class="mono">${e.sopsPath ?? '.hako/secrets.json'}</dd>
      <dt>Secrets</dt>
      <dd>${e.secrets}</dd>
      <dt>Recipients</dt>
      <dd>
        ${e.recipients === null ? html`<span class="small">unknown (SOPS file unreadable)</span>` : html`<a href="/recipients#recipients-${e.name}">${e.recipients}</a>`}
      </dd>
    </dl>
  </li>`;
}

function cellHtml(c: Cell): Html {
  const s = CELL[c.state];
  const when = c.expires ? (c.state === 'set' ? ` · until ${c.expires}` : ` ${c.expires}`) : '';
  return html`<td class="c">
    ${badge(s.kind, s.text, s.symbol)}${when ? html`<span class="small">${when}</span>` : ''}${c.rotateEvery ? html`<span class="small"> · every ${c.rotateEvery}</span>` : ''}
  </td>`;
}

export interface SecretsQuery {
  q: string;
  show: 'all' | 'problems' | 'missing';
}

export function secretsPage(o: SecretsOverview, query: SecretsQuery): Html {
  if (o.environments.length === 0) {
    return notice(
      'info',
      'No environments yet',
      html`Create one with <code>hako env add NAME</code> or set a secret with <code>hako set NAME</code>.`,
    );
  }
  const q = query.q.trim().toUpperCase();
  const rows = o.names.filter((n) => {
    if (q && !n.name.includes(q)) return false;
    const states = Object.values(n.cells).map((c) => c.state);
    if (query.show === 'problems') return states.some((s) => PROBLEMS.has(s));
    if (query.show === 'missing') return states.some((s) => s === 'missing' || s === 'required');
    return true;
  });
  const t = o.totals;
  return html`<p class="lead">
      Which secrets exist where, read from <code>${o.file}</code> in <code>${o.root}</code>. Values are never shown here; use
      <code>hako get</code>.
    </p>
    <ul class="summary" aria-label="Totals">
      <li>${badge('ok', `${t.set} set`, '✓')}</li>
      <li>${badge(t.required ? 'bad' : 'off', `${t.required} required but missing`, t.required ? '✗' : '–')}</li>
      <li>${badge(t.expired ? 'bad' : 'off', `${t.expired} expired`, t.expired ? '✗' : '–')}</li>
      <li>${badge(t.expiring ? 'warn' : 'off', `${t.expiring} expiring within 30 days`, t.expiring ? '!' : '–')}</li>
      <li>${badge('off', `${t.missing} missing (optional)`, '–')}</li>
    </ul>
    <h2>Environments</h2>
    <ul class="cards">
      ${o.environments.map(envCard)}
    </ul>
    <p class="small">Trust is what this machine has pinned; <code>hako trust</code> also reads git history for where each key came from.</p>
    <h2 id="matrix">Secrets by environment</h2>
    <form class="filters" method="get" action="/secrets" role="search">
      <label>Name contains <input type="search" name="q" value="${query.q}" autocomplete="off" /></label>
      <label
        >Show
        <select name="show">
          <option value="all" ${query.show === 'all' ? html` selected` : ''}>all names</option>
          <option value="problems" ${query.show === 'problems' ? html` selected` : ''}>required-missing, expiring, expired</option>
          <option value="missing" ${query.show === 'missing' ? html` selected` : ''}>missing anywhere</option>
        </select></label
      >
      <button type="submit">Filter</button>
    </form>
    <p class="small">${rows.length} of ${o.names.length} names · today is ${o.today}</p>
    ${
      o.names.length === 0
        ? notice('info', 'No secrets yet', html`Set one with <code>hako set NAME --env ENV</code>.`)
        : html`<div class="tablewrap">
            <table id="secrets-matrix">
              <caption class="small">
                Each cell says whether the name has a value in that environment; required names come from the schema.
              </caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  ${o.environments.map((e) => html`<th scope="col" data-env="${e.name}">${e.name}</th>`)}
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  (n) =>
                    html`<tr data-name="${n.name}">
                      <th scope="row">${n.name}${n.required ? html` <span class="small">required</span>` : ''}</th>
                      ${o.environments.map((e) => cellHtml(n.cells[e.name]!))}
                    </tr> `,
                )}
              </tbody>
            </table>
          </div>`
    }`;
}
