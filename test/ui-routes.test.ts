/**
 * hako ui's gate and pages, in process (hono's app.request) against a real project made by
 * the CLI: the one-time token and the cookie it becomes, the Host check, CSRF on every POST,
 * the security headers on every answer, the Secrets matrix against `hako ls --json`, the
 * Recipients page with its git dates, and every body scanned for values and keys.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createUiApp } from '../src/ui/app.js';
import { makePanels, type Panels } from '../src/ui/panels.js';
import { CSRF_FIELD, SESSION_COOKIE } from '../src/ui/security.js';
import { assertNothingSecret, matrixFromLs, matrixOf, presenceOnly, uiProject, type UiProject } from './ui-helpers.js';
import { git, Project, hakoInProcessByDefault } from './helpers.js';

hakoInProcessByDefault();

const PORT = 47123;
const HOST = `127.0.0.1:${PORT}`;
const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv';

interface Call {
  path: string;
  method?: string;
  host?: string | null;
  cookie?: string;
  headers?: Record<string, string>;
  form?: Record<string, string>;
}

describe('hako ui routes', () => {
  let p: UiProject;
  const bodies: { where: string; body: string }[] = [];
  let ran: string[] = [];
  let app: ReturnType<typeof createUiApp>;

  function counting(base: Panels): Panels {
    return {
      ...base,
      runVerify: async (ctx, form) => {
        ran.push('verify');
        return base.runVerify(ctx, form).catch(() => {});
      },
      runSync: async (ctx, form) => {
        ran.push('sync');
        return base.runSync(ctx, form).catch(() => {});
      },
    };
  }

  async function call(c: Call): Promise<Response & { text: string }> {
    const headers: Record<string, string> = { ...c.headers };
    if (c.host !== null) headers['host'] = c.host ?? HOST;
    if (c.cookie) headers['cookie'] = `${SESSION_COOKIE}=${c.cookie}`;
    const init: RequestInit = { method: c.method ?? (c.form ? 'POST' : 'GET'), headers };
    if (c.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams(c.form).toString();
    }
    const res = await app.request(c.path, init);
    const text = await res.text();
    bodies.push({ where: `${init.method} ${c.path}`, body: text });
    // Every answer, refusals included, carries the policy.
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'; style-src 'self'/, c.path);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    return Object.assign(res, { text });
  }

  async function login(): Promise<{ cookie: string; csrf: string }> {
    const res = await call({ path: `/login?token=${TOKEN}` });
    assert.equal(res.status, 303);
    const set = res.headers.get('set-cookie') ?? '';
    const cookie = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(set)![1]!;
    const page = await call({ path: '/secrets', cookie });
    const csrf = new RegExp(`name="${CSRF_FIELD}" value="([^"]+)"`).exec(page.text)?.[1] ?? '';
    return { cookie, csrf };
  }

  before(async () => {
    p = await uiProject();
  });
  after(() => {
    // Acceptance 3: no value and no key in anything the dashboard answered.
    for (const b of bodies) assertNothingSecret(b.body, p, b.where);
    assert.ok(bodies.length > 20, 'the scan saw the answers');
    p.project.cleanup();
  });

  function freshApp(panels?: Panels) {
    ran = [];
    app = createUiApp({ ctx: p.ctx, token: TOKEN, port: () => PORT, panels: counting(panels ?? makePanels()) });
  }

  test('without the token nothing opens; the token works once and becomes an HttpOnly SameSite=Strict cookie', async () => {
    freshApp();
    for (const path of ['/', '/secrets', '/recipients', '/verify', '/servers', '/history']) {
      const res = await call({ path });
      assert.equal(res.status, 401, path);
      assert.doesNotMatch(res.text, /DATABASE_URL|production/, 'a refusal shows nothing of the project');
    }
    assert.equal((await call({ path: '/login?token=wrong' })).status, 401);
    assert.equal((await call({ path: '/login' })).status, 401);
    assert.equal((await call({ path: '/secrets', cookie: TOKEN })).status, 401, 'the token is not a cookie');
    const res = await call({ path: `/login?token=${TOKEN}` });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/secrets', 'redirected to a URL without the token');
    const set = res.headers.get('set-cookie') ?? '';
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=Strict/);
    assert.match(set, /Path=\//);
    const cookie = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(set)![1]!;
    assert.ok(!set.includes(TOKEN), 'the cookie is not the token');
    assert.equal((await call({ path: '/secrets', cookie })).status, 200);
    assert.equal((await call({ path: '/secrets', cookie: cookie.slice(0, -2) + 'xx' })).status, 401, 'a guessed cookie');
    // Used: a second exchange fails without the cookie, and only redirects with it.
    assert.equal((await call({ path: `/login?token=${TOKEN}` })).status, 401);
    assert.equal((await call({ path: `/login?token=${TOKEN}`, cookie })).status, 303);
  });

  test('a wrong, missing or foreign Host header is refused, before the token is spent', async () => {
    freshApp();
    for (const host of [
      'evil.example',
      `evil.example:${PORT}`,
      `127.0.0.1:${PORT + 1}`,
      `127.0.0.2:${PORT}`,
      `[::1]:${PORT}`,
      `localhost.evil.example:${PORT}`,
    ]) {
      const res = await call({ path: `/login?token=${TOKEN}`, host });
      assert.equal(res.status, 403, host);
      assert.equal(res.headers.get('set-cookie'), null);
      assert.match(res.text, /wrong Host header/);
    }
    assert.equal((await call({ path: `/login?token=${TOKEN}`, host: null })).status, 403, 'no Host at all');
    const { cookie } = await login(); // the token still works: refused requests did not spend it
    assert.equal((await call({ path: '/secrets', cookie, host: `rebind.example:${PORT}` })).status, 403, 'a valid cookie does not help');
    assert.equal((await call({ path: '/secrets', cookie, host: `localhost:${PORT}` })).status, 200);
    assert.equal((await call({ path: '/secrets', cookie, host: `LOCALHOST:${PORT}` })).status, 200);
  });

  test('a POST without the CSRF token, with a wrong one, or from another site is refused and runs nothing', async () => {
    freshApp();
    const { cookie, csrf } = await login();
    assert.ok(csrf.length >= 40, 'every signed-in page carries a CSRF token (the sign-out form)');
    for (const path of ['/verify', '/servers/sync', '/logout']) {
      assert.equal((await call({ path, method: 'POST', cookie })).status, 403, `${path}: no body`);
      assert.equal((await call({ path, form: {}, cookie })).status, 403, `${path}: no field`);
      assert.equal((await call({ path, form: { [CSRF_FIELD]: csrf.slice(1) + 'A' }, cookie })).status, 403, `${path}: wrong token`);
      assert.equal((await call({ path, form: { [CSRF_FIELD]: csrf } })).status, 401, `${path}: no cookie`);
      assert.equal(
        (await call({ path, form: { [CSRF_FIELD]: csrf }, cookie, headers: { origin: 'http://evil.example' } })).status,
        403,
        `${path}: foreign Origin`,
      );
      assert.equal(
        (await call({ path, form: { [CSRF_FIELD]: csrf }, cookie, headers: { 'sec-fetch-site': 'cross-site' } })).status,
        403,
        `${path}: cross-site fetch`,
      );
    }
    assert.deepEqual(ran, [], 'no refused POST reached an action');
    const res = await call({
      path: '/verify',
      form: { [CSRF_FIELD]: csrf },
      cookie,
      headers: { origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' },
    });
    assert.equal(res.status, 303);
    assert.deepEqual(ran, ['verify'], 'with the token the action runs');
    assert.equal((await call({ path: '/secrets', method: 'PUT', cookie })).status, 405);
    // Signing out ends the session for good.
    assert.equal((await call({ path: '/logout', form: { [CSRF_FIELD]: csrf }, cookie })).status, 200);
    assert.equal((await call({ path: '/secrets', cookie })).status, 401);
  });

  test('the Secrets matrix says what hako ls --json says, with states, dates and how each environment opens', async () => {
    freshApp();
    const { cookie } = await login();
    const res = await call({ path: '/secrets', cookie });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const m = matrixOf(res.text);
    assert.deepEqual(presenceOnly(m), matrixFromLs(p.project));
    assert.deepEqual(Object.keys(m).sort(), ['API_TOKEN', 'DATABASE_URL', 'SENTRY_DSN', 'STRIPE_KEY']);
    assert.equal(m['SENTRY_DSN']!['production'], 'missing (required)');
    assert.equal(m['API_TOKEN']!['production'], 'expiring 2026-12-10');
    assert.equal(m['STRIPE_KEY']!['production'], 'expired 2026-11-01');
    assert.equal(m['STRIPE_KEY']!['staging'], 'missing');
    assert.equal(m['DATABASE_URL']!['staging'], 'set');
    // Environments: native, opened here by key file, trusted; the file path is shown.
    assert.match(res.text, /<li class="card" id="env-production">[\s\S]*?native[\s\S]*?opens here: key file[\s\S]*?\.hako\/secrets\.json/);
    assert.match(res.text, /2 expiring|1 expiring within 30 days/);
    assert.match(res.text, /1 expired/);
    assert.match(res.text, /3 required but missing/);
    // Filters work without script.
    const only = matrixOf((await call({ path: '/secrets?show=problems', cookie })).text);
    assert.deepEqual(Object.keys(only).sort(), ['API_TOKEN', 'SENTRY_DSN', 'STRIPE_KEY']);
    const byName = matrixOf((await call({ path: '/secrets?q=data', cookie })).text);
    assert.deepEqual(Object.keys(byName), ['DATABASE_URL']);
    assert.doesNotMatch(res.text, /<script/i, 'no script on the page');
  });

  test('Recipients: labels from recipients.md (escaped), the date git shows, and who cannot be listed', async () => {
    freshApp();
    const { cookie } = await login();
    const res = await call({ path: '/recipients', cookie });
    assert.equal(res.status, 200);
    assert.ok(res.text.includes(p.recipient.slice(0, 28)), 'the recipient (public) is shown');
    assert.ok(res.text.includes('Ravi &lt;script&gt;alert(1)&lt;/script&gt;'), 'the label is shown, escaped');
    assert.doesNotMatch(res.text, /<script/i);
    assert.match(res.text, /engineer/);
    const head = git(p.project.dir, 'rev-parse', 'HEAD').trim();
    assert.ok(res.text.includes(`commit <code>${head.slice(0, 10)}</code>`), 'the commit that added the recipient');
    assert.match(res.text, /cannot be listed/);
    assert.match(res.text, /no age recipients/, 'staging and development have none');
    // A recipient added after the last commit says so.
    const other = p.project.ok(['keygen', '--out', `${p.project.home}/age2.txt`]).stdout.trim();
    p.project.ok(['recipients', 'add', other, '--env', 'staging', '--name', 'CI box', '--role', 'ci']);
    const again = await call({ path: '/recipients', cookie });
    assert.match(again.text, /recipients-staging[\s\S]*CI box[\s\S]*not committed yet/);
  });

  test('Verify runs on a POST and shows its findings; History lists commits; Servers shows servers.json and a real failed sync', async () => {
    freshApp();
    const { cookie, csrf } = await login();
    const before = await call({ path: '/verify', cookie });
    assert.match(before.text, /Not run yet/);
    assert.match(before.text, /<button class="primary" type="submit">Verify now<\/button>/);
    const ran = await call({ path: '/verify', form: { [CSRF_FIELD]: csrf }, cookie });
    assert.equal(ran.status, 303);
    assert.equal(ran.headers.get('location'), '/verify');
    const shown = await call({ path: '/verify', cookie });
    assert.match(shown.text, /id="verify-result"/);
    assert.match(shown.text, /verification failed/, 'a required name is missing and a value expired');
    assert.match(shown.text, /<code>required<\/code>[\s\S]*?SENTRY_DSN/);
    assert.match(shown.text, /<code>expired<\/code>[\s\S]*?STRIPE_KEY/);
    assert.match(shown.text, /every value opens/);

    const history = await call({ path: '/history', cookie });
    assert.equal(history.status, 200);
    assert.match(history.text, /<table id="history">/);
    assert.match(history.text, /recipient added/);
    assert.match(history.text, /<code>DATABASE_URL<\/code>/);
    const only = await call({ path: '/history?name=API_TOKEN', cookie });
    assert.doesNotMatch(only.text, /<code>DATABASE_URL<\/code>/);

    const servers = await call({ path: '/servers', cookie });
    assert.match(servers.text, /<table id="servers">[\s\S]*web-1[\s\S]*deploy@127\.0\.0\.1:1[\s\S]*never synced from here/);
    assert.match(servers.text, /Sync production<\/button>/);
    const sync = await call({ path: '/servers/sync', form: { [CSRF_FIELD]: csrf, env: 'production' }, cookie });
    assert.equal(sync.status, 303);
    const after = await call({ path: '/servers', cookie });
    assert.match(after.text, /id="sync-result"[\s\S]*1 server failed/);
    assert.match(after.text, /production: <span class="badge bad">/, 'the last state recorded for the server');
    assert.equal((await call({ path: '/servers/sync', form: { [CSRF_FIELD]: csrf, env: '../x' }, cookie })).status, 303);
    assert.match((await call({ path: '/servers', cookie })).text, /id="sync-result"[\s\S]*It did not run[\s\S]*environment name/);

    assert.equal((await call({ path: '/static/hako.css' })).status, 200, 'the stylesheet needs no session');
    assert.equal((await call({ path: '/nope', cookie })).status, 404);
  });

  test('a SOPS-bound environment: marked SOPS with its file, its recipients read from the file, its names in the matrix', async () => {
    const sp = new Project();
    try {
      const recipient = sp.ok(['keygen']).stdout.trim();
      sp.ok(['env', 'add', 'staging', '--sops', 'secrets/staging.enc.yaml', '--age', recipient]);
      sp.ok(['set', 'API_TOKEN', '--env', 'staging'], { input: 'sops-held-value-5521\n' });
      const sapp = createUiApp({ ctx: { cwd: sp.dir, env: sp.env, notice: () => {} }, token: TOKEN, port: () => PORT });
      const login = await sapp.request(`/login?token=${TOKEN}`, { headers: { host: HOST } });
      const cookie = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(login.headers.get('set-cookie') ?? '')![1]!;
      const get = async (path: string) =>
        (await sapp.request(path, { headers: { host: HOST, cookie: `${SESSION_COOKIE}=${cookie}` } })).text();
      const secrets = await get('/secrets');
      assert.match(
        secrets,
        /id="env-staging">[\s\S]*?SOPS[\s\S]*?opens here: SOPS file secrets\/staging\.enc\.yaml[\s\S]*?secrets\/staging\.enc\.yaml[\s\S]*?recipients-staging">1</,
      );
      assert.deepEqual(presenceOnly(matrixOf(secrets)), matrixFromLs(sp));
      const recipients = await get('/recipients');
      assert.ok(recipients.includes(recipient.slice(0, 28)), 'the recipient from the SOPS file');
      assert.match(recipients, /SOPS-bound: recipients read from secrets\/staging\.enc\.yaml/);
      for (const body of [secrets, recipients]) assert.ok(!body.includes('sops-held-value-5521'), 'no value');
    } finally {
      sp.cleanup();
    }
  });
});
