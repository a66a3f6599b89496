/**
 * Server-side HTML: a tagged template that escapes every interpolated value unless it is
 * already markup made by this template, and the page frame every page shares. No script is
 * ever emitted; the page works with JavaScript off.
 */
import { CSRF_FIELD } from './security.js';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(p: Part): string {
  if (p === null || p === undefined || p === false || p === true) return '';
  if (p instanceof Html) return p.text;
  if (Array.isArray(p)) return (p as readonly Part[]).map(render).join('');
  return escapeHtml(String(p));
}

/** `html\`<td>${name}</td>\``: strings are escaped, Html and arrays of Html are inserted as they are. */
export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < parts.length; i++) out += render(parts[i]!) + strings[i + 1]!;
  return new Html(out);
}

export const NAV = [
  { path: '/secrets', label: 'Secrets' },
  { path: '/recipients', label: 'Recipients' },
  { path: '/verify', label: 'Verify' },
  { path: '/servers', label: 'Servers' },
  { path: '/history', label: 'History' },
] as const;

/** Source indentation inside templates: one newline renders the same and weighs less. */
const INDENT = /\n[ \t]+/g;

export interface PageFrame {
  title: string;
  path: string;
  project: string;
  body: Html;
  /** The session's CSRF token, for the sign-out form; absent on pages shown before sign-in. */
  csrf?: string;
}

export function page(f: PageFrame): string {
  return (
    '<!doctype html>\n' +
    html`<html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>${f.title} · hako</title>
        <link rel="stylesheet" href="/static/hako.css" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <div class="brand">
            <span class="logo" aria-hidden="true"></span> hako <span class="project" title="project folder">${f.project}</span>
          </div>
          <nav aria-label="Pages">
            <ul>
              ${NAV.map((n) => html`<li><a href="${n.path}" ${n.path === f.path ? new Html(' aria-current="page"') : ''}>${n.label}</a></li>`)}
            </ul>
          </nav>
          ${
            f.csrf
              ? html`<form class="signout" method="post" action="/logout">
                  <input type="hidden" name="${CSRF_FIELD}" value="${f.csrf}" /><button type="submit">Sign out</button>
                </form>`
              : ''
          }
        </header>
        <main id="main" tabindex="-1">
          <h1>${f.title}</h1>
          ${f.body}
        </main>
        <footer class="foot">
          Local dashboard. Values and keys never leave hako; changes to secrets and recipients are made with the CLI so they arrive as
          reviewable git changes.
        </footer>
      </body>
    </html> `.text.replace(INDENT, '\n')
  );
}

/** A state shown with colour and words: the class picks the colour, the text says it. */
export function badge(kind: 'ok' | 'warn' | 'bad' | 'off' | 'info', text: string, symbol?: string): Html {
  return html`<span class="badge ${kind}">${symbol ? html`<span aria-hidden="true">${symbol} </span>` : ''}${text}</span>`;
}

/** A box saying something is not there, and why: never an empty page. */
export function notice(kind: 'info' | 'warn' | 'bad' | 'ok', title: string, body: Html | string): Html {
  return html`<section class="notice ${kind}" role="status">
    <h2>${title}</h2>
    <div>${body}</div>
  </section>`;
}
