/**
 * `npm run demo`: starts the demo server on a free port, asks it a few questions, prints the
 * answers and stops. Started by scripts/demo.sh through `hako run --via fd3`.
 */
import type { AddressInfo } from 'node:net';
import { createApp } from './server.js';
import { secrets } from './hako-secrets.js';

const server = createApp();
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
console.log(`demo-app: listening on ${base}/`);

async function show(label: string, path: string, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(base + path, { headers });
  console.log(`\n${label} → ${res.status}\n${(await res.text()).trimEnd()}`);
}

await show('GET /', '/');
await show('GET /admin without a token', '/admin');
await show('GET /admin with API_TOKEN', '/admin', { authorization: `Bearer ${secrets.API_TOKEN}` });
console.log('\nconsole.log(secrets) prints:');
console.log(secrets);
server.close();
