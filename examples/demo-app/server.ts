/**
 * The demo app: a small HTTP server (node:http, no framework) that reads its secrets through
 * the accessors `hako typegen` generated (hako-secrets.ts). Run it with hako:
 *
 *   hako run --env demo --via fd3 -- node build/examples/demo-app/server.js
 *
 *   GET /        what the app received: names, lengths and the database host, never a value
 *   GET /admin   needs "Authorization: Bearer <API_TOKEN>"
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { SECRET_NAMES, secrets, secretsInfo } from './hako-secrets.js';

export function createApp(): Server {
  return createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/') return send(res, 200, status());
    if (req.method === 'GET' && req.url === '/admin')
      return isAdmin(req) ? send(res, 200, { admin: true }) : send(res, 401, { error: 'bearer token required' });
    return send(res, 404, { error: 'not found' });
  });
}

/** Shows that the secrets arrived without showing one. */
function status(): object {
  const info = secretsInfo(secrets);
  const received: Record<string, string> = {};
  for (const name of SECRET_NAMES) {
    const value = secrets[name];
    received[name] = value === undefined ? 'missing (optional)' : `${value.length} characters`;
  }
  return {
    environment: info.env ?? null,
    via: info.via,
    received,
    database_host: new URL(secrets.DATABASE_URL).hostname,
    error_reporting: secrets.SENTRY_DSN === undefined ? 'off' : 'on',
    session_cookie: signSession('demo-user'),
    printed: `${secrets}`,
  };
}

function signSession(user: string): string {
  return `${user}.${createHmac('sha256', secrets.SESSION_SECRET).update(user).digest('base64url')}`;
}

function isAdmin(req: IncomingMessage): boolean {
  const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (given === undefined) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(secrets.API_TOKEN));
}

function send(res: ServerResponse, code: number, body: object): void {
  res.writeHead(code, { 'content-type': 'application/json' }).end(`${JSON.stringify(body, null, 2)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = createApp();
  server.listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1', () => {
    console.log(`demo-app: listening on http://127.0.0.1:${(server.address() as AddressInfo).port}/ (${secrets})`);
  });
}
