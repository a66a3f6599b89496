/** Where keys live on this machine: $HAKO_HOME, else the platform's user data folder. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function hakoHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env['HAKO_HOME']) return env['HAKO_HOME'];
  const home = env['HOME'] || homedir();
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'hako');
  const xdg = env['XDG_DATA_HOME'];
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.local', 'share'), 'hako');
}

export function keysDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(hakoHome(env), 'keys');
}
