/**
 * hako ui in a real browser: Debian's Chromium driven by playwright-core (no browser
 * download). Starts `hako ui --no-open` as a user would, opens the printed URL, and checks:
 * the token is traded for a cookie and leaves the address bar; the matrix the page shows is
 * what `hako ls --json` says; Verify and Sync can be pressed and show their results; the pages work with
 * JavaScript off and from the keyboard; the Content-Security-Policy reports no violation; a
 * second browser with the same link is refused; and no response the browser received holds a
 * value or a key. Screenshots of every page go to build/ui-screenshots/ (or $HAKO_UI_SCREENSHOTS,
 * e.g. docs/ui to refresh the committed ones).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT, spawnHako } from '../helpers.js';
import { skipUnless, toolPath } from '../tools.js';
import { assertNothingSecret, matrixFromLs, presenceOnly, uiProject, type Matrix, type UiProject } from '../ui-helpers.js';

const SHOTS = resolve(REPO_ROOT, process.env['HAKO_UI_SCREENSHOTS'] ?? join('build', 'ui-screenshots'));

/** Starts `hako ui --no-open` and resolves with the URL it prints. */
function startUi(p: UiProject): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnHako(['ui', '--no-open'], { cwd: p.project.dir, env: p.project.env });
  return new Promise((resolveUrl, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/login\?token=[A-Za-z0-9_-]+)$/m.exec(out);
      if (m) resolveUrl({ child, url: m[1]! });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`hako ui exited ${code}: ${err}`)));
  });
}

/** Runs in the page (a string, as this project compiles without the DOM types). */
const READ_MATRIX = `(() => {
  const table = document.getElementById('secrets-matrix');
  const envs = [...table.querySelectorAll('thead th[data-env]')].map((th) => th.getAttribute('data-env'));
  const out = {};
  for (const tr of table.querySelectorAll('tbody tr[data-name]')) {
    const cells = [...tr.querySelectorAll('td')].map((td) => {
      const clone = td.cloneNode(true);
      clone.querySelectorAll('[aria-hidden="true"]').forEach((e) => e.remove());
      return (clone.textContent || '').replace(/\\s+/g, ' ').trim();
    });
    out[tr.getAttribute('data-name')] = Object.fromEntries(envs.map((e, i) => [e, cells[i]]));
  }
  return out;
})()`;

async function matrixInPage(page: Page): Promise<Matrix> {
  return (await page.evaluate(READ_MATRIX)) as Matrix;
}

const ACTIVE_TEXT = 'document.activeElement && document.activeElement.textContent';

describe('hako ui in Chromium', { skip: skipUnless('chromium') }, () => {
  let p: UiProject;
  let ui: { child: ChildProcess; url: string };
  let browser: Browser;
  const bodies: { where: string; body: string }[] = [];
  const cspErrors: string[] = [];

  before(async () => {
    p = await uiProject();
    ui = await startUi(p);
    browser = await chromium.launch({ executablePath: toolPath('chromium')!, args: ['--no-sandbox', '--disable-gpu'] });
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    if (ui) {
      const exited = new Promise((r) => ui.child.once('exit', r));
      ui.child.kill('SIGINT');
      await exited;
    }
    for (const b of bodies) assertNothingSecret(b.body, p, b.where);
    p?.project.cleanup();
  });

  async function newPage(opts: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...opts });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
    });
    page.on('response', async (r) => {
      try {
        bodies.push({ where: r.url(), body: await r.text() });
      } catch {
        // a redirect has no body to read
      }
    });
    return page;
  }

  test('opens with the token, shows the matrix of hako ls --json, Verify, and every page; refuses a second browser', async () => {
    const page = await newPage({ javaScriptEnabled: false });
    const origin = new URL(ui.url).origin;
    await page.goto(ui.url);
    assert.equal(page.url(), `${origin}/secrets`, 'the token left the address bar');
    const cookies = await page.context().cookies();
    assert.equal(cookies.length, 1);
    assert.equal(cookies[0]!.httpOnly, true);
    assert.equal(cookies[0]!.sameSite, 'Strict');

    // Acceptance 1: the matrix against `hako ls --json`.
    const shown = await matrixInPage(page);
    assert.deepEqual(presenceOnly(shown), matrixFromLs(p.project));
    assert.equal(shown['SENTRY_DSN']!['production'], 'missing (required)');
    assert.equal(shown['API_TOKEN']!['production'], 'expiring 2026-12-10');
    await page.screenshot({ path: join(SHOTS, 'secrets.png'), fullPage: true });

    await page.getByRole('link', { name: 'Recipients' }).click();
    assert.equal(new URL(page.url()).pathname, '/recipients');
    assert.match(await page.locator('main').innerText(), /Ravi <script>alert\(1\)<\/script>/, 'the label shows as text');
    await page.screenshot({ path: join(SHOTS, 'recipients.png'), fullPage: true });

    await page.getByRole('link', { name: 'Verify' }).click();
    const verifyButton = page.getByRole('button', { name: /verify/i });
    await verifyButton.click();
    assert.equal(new URL(page.url()).pathname, '/verify', 'redirected back after the POST');
    const result = await page.locator('#verify-result').innerText();
    assert.match(result, /verification failed/);
    assert.match(result, /required[\s\S]*SENTRY_DSN/);
    assert.match(result, /every value opens/);
    await page.screenshot({ path: join(SHOTS, 'verify.png'), fullPage: true });

    await page.getByRole('link', { name: 'Servers' }).click();
    assert.match(await page.locator('#servers').innerText(), /web-1[\s\S]*never synced from here/);
    await page.getByRole('button', { name: 'Sync production' }).click();
    assert.match(await page.locator('#sync-result').innerText(), /1 server failed/, 'a real sync to a port nothing listens on');
    await page.screenshot({ path: join(SHOTS, 'servers.png'), fullPage: true });

    await page.getByRole('link', { name: 'History' }).click();
    assert.match(await page.locator('#history').innerText(), /recipient added/);
    await page.screenshot({ path: join(SHOTS, 'history.png'), fullPage: true });

    // The same link in another browser: spent.
    const other = await newPage();
    const res = await other.goto(ui.url);
    assert.equal(res?.status(), 401);
    assert.match(await other.locator('main').innerText(), /wrong or was used already/);
    await other.context().close();

    // Acceptance 2 from a browser's side: a cross-site form POST to Verify is refused (Origin and CSRF).
    const attacker = await newPage();
    await attacker.setContent(`<form id="f" method="post" action="${origin}/verify"><input name="_csrf" value="guess"></form>`);
    const [post] = await Promise.all([attacker.waitForNavigation(), attacker.evaluate("document.getElementById('f').submit()")]);
    assert.ok(post && post.status() !== 303, 'not carried out');
    assert.ok(post!.status() === 401 || post!.status() === 403, `refused (${post!.status()})`);
    await attacker.context().close();

    assert.deepEqual(cspErrors, [], 'the pages break no rule of their own Content-Security-Policy');
    await page.context().close();
  });

  test('keyboard: the skip link comes first, every nav link and button can be reached and used with the keys', async () => {
    const page = await newPage();
    const ui2 = await startUi(p);
    try {
      await page.goto(ui2.url);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(ACTIVE_TEXT), 'Skip to content');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'main');
      // Tab through the header: Recipients is reachable and Enter follows it.
      await page.goto(new URL('/secrets', ui2.url).href);
      let reached = false;
      for (let i = 0; i < 10 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = (await page.evaluate(ACTIVE_TEXT)) === 'Recipients';
      }
      assert.ok(reached, 'Recipients is reachable by Tab');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/recipients$/);
      // Focus is visible: the focused link has an outline.
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
      assert.notEqual(outline, 'none');
      // Sign out is a form post of the dashboard's own: accepted, and the session is gone.
      await page.getByRole('button', { name: 'Sign out' }).click();
      assert.equal(await page.locator('h1').innerText(), 'Signed out');
      const res = await page.goto(new URL('/secrets', ui2.url).href);
      assert.equal(res?.status(), 401);
    } finally {
      await page.context().close();
      const exited = new Promise((r) => ui2.child.once('exit', r));
      ui2.child.kill('SIGINT');
      await exited;
    }
  });
});
