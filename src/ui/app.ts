/**
 * The dashboard's routes: a hono app that reads through services only and answers with
 * server-rendered HTML. Security checks (security.ts) run before any page: the Host header,
 * then the session cookie (except for the token exchange and the stylesheet), then the CSRF
 * token on every POST. Errors become a page with hako's message and hint, which never hold a
 * value or a key; anything else is an internal error without details.
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { isHakoError } from '../core/errors.js';
import type { ServiceContext } from '../services/context.js';
import { recipientsOverview, secretsOverview } from '../services/dashboard.js';
import { html, notice, page, type Html } from './html.js';
import { CSS } from './style.js';
import { allowedHosts, CSRF_FIELD, Gate, sameOrigin, sameSecret, SECURITY_HEADERS, SESSION_COOKIE, type Session } from './security.js';
import { secretsPage, type SecretsQuery } from './pages/secrets.js';
import { recipientsPage } from './pages/recipients.js';
import { makePanels, type Panels } from './panels.js';

export interface UiOptions {
  ctx: ServiceContext;
  /** The one-time token printed in the URL. */
  token: string;
  /** The port the server listens on (known only once it listens), for the Host check. */
  port: () => number;
  /** The Verify, History and Servers panels; by default those this build has. */
  panels?: Panels;
}

type Env = { Variables: { session: Session; form: Record<string, string> } };

export function createUiApp(opts: UiOptions): Hono<Env> {
  const gate = new Gate(opts.token);
  const project = () => opts.ctx.cwd;
  const p = opts.panels ?? makePanels();
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
    const host = c.req.header('host');
    if (!host || !allowedHosts(opts.port()).includes(host.toLowerCase())) {
      return refuse(c, 403, 'wrong Host header: this dashboard answers only to 127.0.0.1 or localhost on its own port');
    }
    await next();
  });

  app.get('/static/hako.css', (c) => {
    c.header('Content-Type', 'text/css; charset=utf-8');
    return c.body(CSS);
  });

  app.get('/login', (c) => {
    const existing = gate.sessionFor(getCookie(c, SESSION_COOKIE));
    const session = gate.exchange(c.req.query('token'));
    if (!session) {
      if (existing) return c.redirect('/secrets', 303);
      return refuse(c, 401, 'this link is wrong or was used already; stop hako ui and start it again for a new one');
    }
    setCookie(c, SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'Strict', path: '/' });
    return c.redirect('/secrets', 303);
  });

  app.use('*', async (c, next) => {
    const session = gate.sessionFor(getCookie(c, SESSION_COOKIE));
    if (!session) return refuse(c, 401, 'not signed in: open the URL that hako ui printed (it works once)');
    c.set('session', session);
    if (c.req.method === 'POST') {
      const site = c.req.header('sec-fetch-site');
      if ((site && site !== 'same-origin' && site !== 'none') || !sameOrigin(c.req.header('origin'), opts.port())) {
        return refuse(c, 403, 'a request from another site was refused');
      }
      const type = c.req.header('content-type') ?? '';
      const body =
        type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data') ? await c.req.parseBody() : {};
      const form: Record<string, string> = {};
      for (const [k, v] of Object.entries(body)) if (typeof v === 'string') form[k] = v;
      c.set('form', form);
      const csrf = body[CSRF_FIELD];
      if (!sameSecret(typeof csrf === 'string' ? csrf : undefined, session.csrf)) {
        return refuse(c, 403, 'the form had no valid CSRF token; reload the page and try again');
      }
    } else if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      return refuse(c, 405, 'method not allowed');
    }
    await next();
  });

  app.get('/', (c) => c.redirect('/secrets', 303));

  app.post('/logout', (c) => {
    gate.end();
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.html(
      page({
        title: 'Signed out',
        path: '',
        project: '',
        body: notice('info', 'Signed out', 'Start hako ui again to open the dashboard.'),
      }),
    );
  });

  app.get('/secrets', async (c) => {
    const show = c.req.query('show');
    const query: SecretsQuery = {
      q: (c.req.query('q') ?? '').slice(0, 128),
      show: show === 'problems' || show === 'missing' ? show : 'all',
    };
    return render(c, 'Secrets', '/secrets', async () => secretsPage(await secretsOverview(opts.ctx), query));
  });

  app.get('/recipients', (c) => render(c, 'Recipients', '/recipients', async () => recipientsPage(recipientsOverview(opts.ctx))));

  app.get('/verify', (c) => render(c, 'Verify', '/verify', async () => p.verifyPage(opts.ctx, c.get('session').csrf)));
  app.post('/verify', async (c) => {
    await p.runVerify(opts.ctx, c.get('form'));
    return c.redirect('/verify', 303);
  });

  app.get('/history', (c) => {
    const name = (c.req.query('name') ?? '').trim().slice(0, 128);
    const env = (c.req.query('env') ?? '').trim().slice(0, 63);
    return render(c, 'History', '/history', async () => p.historyPage(opts.ctx, { ...(name ? { name } : {}), ...(env ? { env } : {}) }));
  });

  app.get('/servers', (c) => render(c, 'Servers', '/servers', async () => p.serversPage(opts.ctx, c.get('session').csrf)));
  app.post('/servers/sync', async (c) => {
    await p.runSync(opts.ctx, c.get('form'));
    return c.redirect('/servers', 303);
  });

  app.notFound((c) => refuse(c, 404, 'no such page'));
  app.onError((err, c) => {
    const body = isHakoError(err)
      ? notice(
          'bad',
          'hako could not do that',
          html`<p>${err.message}</p>
            ${err.hint ? html`<p class="small">hint: ${err.hint}</p>` : ''}`,
        )
      : notice(
          'bad',
          'Internal error',
          'a bug in hako; nothing is shown about it here (run the same command in the CLI with HAKO_DEBUG=1)',
        );
    return c.html(page({ title: 'Error', path: '', project: project(), body }), 500);
  });

  async function render(c: Context<Env>, title: string, path: string, body: () => Promise<Html>) {
    return c.html(page({ title, path, project: project(), body: await body(), csrf: c.get('session').csrf }));
  }

  function refuse(c: Context, status: 401 | 403 | 404 | 405, why: string) {
    return c.html(
      page({ title: status === 404 ? 'Not found' : 'Refused', path: '', project: '', body: notice('bad', 'Refused', why) }),
      status,
    );
  }

  return app;
}
