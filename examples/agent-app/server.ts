/**
 * The agent example app: a small node:http server the hako agent runs (docs/AGENT.md).
 * It reads its secrets through hako-secrets/runtime (fd 3 by default), listens on the
 * loopback port the agent gives it in PORT, and answers:
 *
 *   GET /health   200 {"greeting":"<first 16 hex of sha256(GREETING)>"}, or 500 when GREETING
 *                 starts with "broken" (how the tests make a change fail its health check)
 *   GET /         the same hash and this process's pid, after DELAY_MS (default 0) of waiting
 *
 * START_DELAY_MS (default 0) delays listening, like an app that loads for a while.
 * It never prints a value: the hash shows which value it has without showing the value.
 * It has no SIGTERM handler on purpose: the agent drains an instance before stopping it,
 * so the app need not be graceful for a roll to lose no request.
 *
 *   hako agent app add demo --env production --port 8080 --cmd "node build/examples/agent-app/server.js"
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { loadSecrets } from '../../src/sdk/runtime.js';

const secrets = loadSecrets<{ GREETING: string }>({ names: ['GREETING'] });
const greeting = createHash('sha256').update(secrets.GREETING).digest('hex').slice(0, 16);
const healthy = !secrets.GREETING.startsWith('broken');
const delayMs = Number(process.env['DELAY_MS'] ?? '0');

const server = createServer((req, res) => {
  const answer = (status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(body)}\n`);
  };
  if (req.url === '/health') return answer(healthy ? 200 : 500, { greeting });
  if (req.url === '/' || req.url?.startsWith('/?')) {
    if (delayMs > 0) return void setTimeout(() => answer(200, { greeting, pid: process.pid }), delayMs);
    return answer(200, { greeting, pid: process.pid });
  }
  answer(404, { error: 'not found' });
});
server.keepAliveTimeout = 65_000;
setTimeout(
  () => {
    server.listen(Number(process.env['PORT'] ?? '8080'), process.env['HOST'] ?? '127.0.0.1', () => {
      console.log(
        `agent-app: pid ${process.pid} listening on ${process.env['PORT']} (greeting ${greeting}${healthy ? '' : ', unhealthy'})`,
      );
    });
  },
  Number(process.env['START_DELAY_MS'] ?? '0'),
);
