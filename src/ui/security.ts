/**
 * Who may talk to the dashboard. The server listens on 127.0.0.1 only, but every local
 * process and every web page the browser shows can send it requests, so:
 * - Host header: only `127.0.0.1:PORT` or `localhost:PORT`. A page on attacker.example that
 *   re-points its DNS name at 127.0.0.1 (DNS rebinding) sends its own name and is refused.
 * - A one-time token, printed in the URL, is exchanged once for a session cookie (HttpOnly,
 *   SameSite=Strict), and the browser is redirected to a URL without it: the token does not
 *   stay in the address bar, the history or a Referer.
 * - Every POST carries the session's CSRF token in its form, and a cross-site Origin or
 *   Sec-Fetch-Site is refused too.
 * - Every response has a strict Content-Security-Policy (no script at all), no caching, and
 *   may not be framed.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'hako_ui_session';
export const CSRF_FIELD = '_csrf';

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // Not no-referrer: under it Chromium sends `Origin: null` on the dashboard's own form posts.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), clipboard-read=()',
};

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Equal strings, compared without leaking how much of them matched. */
export function sameSecret(a: string | undefined | null, b: string): boolean {
  if (typeof a !== 'string') return false;
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** Whether an Origin header (when the browser sent one) is this dashboard. */
export function sameOrigin(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  return allowedHosts(port).some((h) => origin === `http://${h}`);
}

export interface Session {
  id: string;
  csrf: string;
}

/**
 * The token and the one session it turns into. The token works once: after that only the
 * cookie opens the dashboard, and a new browser needs a new `hako ui`.
 */
export class Gate {
  private token: string | null;
  private session: Session | null = null;

  constructor(token: string) {
    this.token = token;
  }

  /** A session for the right token, once; null for a wrong or used one. */
  exchange(token: string | undefined): Session | null {
    if (this.token === null || !sameSecret(token, this.token)) return null;
    this.token = null;
    this.session = { id: randomToken(), csrf: randomToken() };
    return this.session;
  }

  /** Ends the session: the cookie stops working, and the dashboard needs a new `hako ui`. */
  end(): void {
    this.session = null;
  }

  sessionFor(cookie: string | undefined): Session | null {
    return this.session && sameSecret(cookie, this.session.id) ? this.session : null;
  }
}
