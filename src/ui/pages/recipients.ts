/** The Recipients page: per environment, who holds an age identity for it, with labels and dates. */
import type { RecipientsOverview, RecipientView } from '../../services/dashboard.js';
import { badge, html, notice, type Html } from '../html.js';

const KIND: Record<string, string> = {
  x25519: 'age X25519',
  'pq-hybrid': 'age post-quantum',
  'ssh-ed25519': 'ssh-ed25519',
  unknown: 'unreadable',
};

function short(r: string): string {
  return r.length <= 64 ? r : `${r.slice(0, 28)}…${r.slice(-10)}`;
}

function gitCell(r: RecipientView): Html {
  const g = r.git;
  if (g.kind === 'committed') {
    return html`<span>${g.orEarlier ? 'on or before ' : ''}${g.date.slice(0, 10)}</span>
      <span class="small">commit <code>${g.commit.slice(0, 10)}</code> by ${g.author}</span>`;
  }
  if (g.kind === 'uncommitted') return badge('warn', 'not committed yet', '!');
  return badge('off', 'unknown', '–');
}

function row(r: RecipientView): Html {
  return html`<tr>
    <td><code title="${r.recipient}">${short(r.recipient)}</code></td>
    <td>${r.name || html`<span class="small">no name in recipients.md</span>`}</td>
    <td>${r.role || html`<span class="small">–</span>`}</td>
    <td>${KIND[r.kind] ?? r.kind}</td>
    <td>${r.added || html`<span class="small">–</span>`}</td>
    <td>${gitCell(r)}</td>
  </tr>`;
}

export function recipientsPage(o: RecipientsOverview): Html {
  if (o.environments.length === 0) return notice('info', 'No environments yet', html`Create one with <code>hako env add NAME</code>.`);
  return html`<p class="lead">
      Who can open each environment with their own age identity, from <code>.hako/secrets.json</code>, labelled from
      <code>${o.recipientsDoc}</code>. Give or take access with <code>hako recipients add|rm</code>, so the change is a reviewable commit.
    </p>
    ${notice(
      'info',
      'Not everyone who can open an environment is listed',
      html`Anyone holding the environment's key (a key bundle from <code>hako key export</code>, a key file, a keychain entry, a sealed
        package) or its team passphrase can open it too. Those holders leave no trace in the repository, so they cannot be listed here;
        rotate the key (<code>hako key rotate</code>) to shut them out.`,
    )}
    ${o.history ? notice('warn', 'No dates from git', html`Dates of addition come from git history, which is not available: ${o.history}.`) : ''}
    ${o.environments.map(
      (e) =>
        html`<section class="env" id="recipients-${e.env}" aria-labelledby="h-rec-${e.env}">
          <h2 id="h-rec-${e.env}">${e.env} <span class="small mono">key ${e.keyId}</span></h2>
          <p>
            ${e.recipients.length ? badge('info', `${e.recipients.length} recipient${e.recipients.length === 1 ? '' : 's'}`) : badge('off', 'no age recipients', '–')}
            ${e.passphrase ? badge('warn', 'also opens with a team passphrase: its holders cannot be listed', '!') : ''}
            ${e.backend === 'sops' ? badge('info', `SOPS-bound: recipients read from ${e.sopsPath ?? 'its SOPS file'} (no git dates)`) : ''}
          </p>
          ${
            e.recipients.length
              ? html`<div class="tablewrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Recipient</th>
                        <th scope="col">Name</th>
                        <th scope="col">Role</th>
                        <th scope="col">Kind</th>
                        <th scope="col">Added (recipients.md)</th>
                        <th scope="col">Added (git)</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${e.recipients.map(row)}
                    </tbody>
                  </table>
                </div>`
              : html`<p class="small">
                  Nobody has an age identity for this environment. Add one with
                  <code>hako recipients add age1… --env ${e.env} --name NAME</code>.
                </p>`
          }
        </section>`,
    )}`;
}
