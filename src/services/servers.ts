/**
 * The servers an environment is synced to (`.hako/servers.json`, committed) and what this
 * machine last saw of each (per checkout, under $HAKO_HOME/servers/).
 *
 * Enrolling a server asks its agent, over ssh, for its age recipient; the host key ssh is
 * shown on that first connection is learned and written into servers.json, and every later
 * connection requires it. The recipient is then added to the environment like any
 * teammate's (labelled as a server in recipients.md), so what is synced is the repository's
 * own ciphertext. Removing a server removes that recipient, which replaces the key.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HakoError, isHakoError } from '../core/errors.js';
import {
  assertServerName,
  emptyServersFile,
  encodeServersFile,
  formatTarget,
  parseHostKey,
  parseServersFile,
  parseTarget,
  SERVERS_FILE_NAME,
  type ServerEntry,
  type ServersFile,
} from '../core/formats/servers-file.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { staleLockNotice, withFileLock } from '../core/fs/lock.js';
import { hakoHome } from '../core/home.js';
import { canonicalRecipient } from '../core/keys/age-recipient.js';
import { assertEnvName } from '../core/names.js';
import type { ServiceContext } from './context.js';
import { findProject, loadSecretsFile, requireEnvironment, type Project } from './project.js';
import { addRecipient, removeRecipient, type RemovedRecipient, type RemoveOptions } from './recipients.js';
import { hostKeyAlias, withSession, type SshEndpoint } from './ssh-rpc.js';
import { workspaceHash } from './workspace.js';

export function serversFilePath(project: Project): string {
  return join(project.root, '.hako', SERVERS_FILE_NAME);
}

export function loadServers(project: Project): ServersFile {
  const path = serversFilePath(project);
  if (!existsSync(path)) return emptyServersFile();
  return parseServersFile(readFileSync(path, 'utf8'));
}

async function updateServers<T>(ctx: ServiceContext, project: Project, change: (f: ServersFile) => T): Promise<T> {
  const path = serversFilePath(project);
  return withFileLock(
    path,
    () => {
      const file = loadServers(project);
      const result = change(file);
      const text = encodeServersFile(file);
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileAtomic(path, text, { mode: 0o644 });
      return result;
    },
    { onStaleLock: (info) => ctx.notice(staleLockNotice(info)) },
  );
}

// ---------------------------------------------------------------- known hosts

function sshStateDir(ctx: ServiceContext, project: Project): string {
  const dir = join(hakoHome(ctx.env), 'ssh', workspaceHash(project.root));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * Writes hako's known_hosts for this checkout from the host keys servers.json pins (one line
 * per key, under each server's alias) and returns its path.
 */
export function pinnedKnownHosts(ctx: ServiceContext, project: Project, servers: Iterable<ServerEntry>): string {
  const path = join(sshStateDir(ctx, project), 'known_hosts');
  const lines: string[] = [];
  for (const s of servers) for (const k of s.hostKeys) lines.push(`${hostKeyAlias(s.name)} ${k}`);
  writeFileAtomic(path, lines.length ? `${lines.join('\n')}\n` : '', { mode: 0o600 });
  return path;
}

export function endpointFor(knownHosts: string, server: ServerEntry, timeoutSeconds?: number): SshEndpoint {
  return { name: server.name, target: server.target, knownHosts, ...(timeoutSeconds ? { timeoutSeconds } : {}) };
}

// ---------------------------------------------------------------- add

export interface AddServerRequest {
  name: string;
  target: string;
  env: string;
  apps?: string[];
}

export interface AddedServer {
  server: ServerEntry;
  /** The recipient was new to the environment (false: it was a recipient already). */
  recipientAdded: boolean;
  /** The server existed and gained an environment. */
  extended: boolean;
}

interface AgentStatus {
  agent?: { recipient?: unknown };
  apps?: { name?: unknown; env?: unknown }[];
}

export async function addServer(ctx: ServiceContext, req: AddServerRequest): Promise<AddedServer> {
  const name = assertServerName(req.name);
  const env = assertEnvName(req.env);
  const target = formatTarget(parseTarget(req.target));
  const project = findProject(ctx);
  requireEnvironment(loadSecretsFile(project), env);
  const existing = loadServers(project).servers.get(name);
  if (existing && existing.target !== target) {
    throw new HakoError(
      'E_EXISTS',
      `server '${name}' is already ${existing.target}`,
      `to move it, remove it first (hako servers rm ${name}), or choose another name`,
    );
  }
  if (existing?.environments.includes(env)) {
    throw new HakoError('E_EXISTS', `server '${name}' already receives '${env}'`, `sync it: hako sync --env ${env}`);
  }
  // Ask the agent for its recipient: a known server under its pinned key, a new one learning it.
  let hostKeys: string[];
  let status: AgentStatus;
  if (existing) {
    const kh = pinnedKnownHosts(ctx, project, [existing]);
    status = (await withSession(ctx.env, endpointFor(kh, existing, 60), (s) => s.request('status'))) as AgentStatus;
    hostKeys = existing.hostKeys;
  } else {
    const dir = sshStateDir(ctx, project);
    const learnFile = join(dir, `learn-${name}-${process.pid}`);
    rmSync(learnFile, { force: true });
    try {
      status = (await withSession(ctx.env, { name, target, knownHosts: learnFile, learn: true, timeoutSeconds: 60 }, (s) =>
        s.request('status'),
      )) as AgentStatus;
      hostKeys = learnedKeys(learnFile, name);
    } finally {
      rmSync(learnFile, { force: true });
    }
  }
  const recipient = typeof status.agent?.recipient === 'string' ? canonicalRecipient(status.agent.recipient) : null;
  if (!recipient || !recipient.startsWith('age1') || recipient.startsWith('age1pq'))
    throw new HakoError('E_PROTOCOL', `server '${name}' did not answer with an age recipient`, 'run hako agent init on the server');
  if (existing && existing.recipient !== recipient) {
    throw new HakoError(
      'E_AGENT',
      `server '${name}' answered with another recipient than the one it was added with`,
      `if its agent was set up again, remove and add it: hako servers rm ${name}, then hako servers add`,
    );
  }
  const apps = new Set(req.apps ?? []);
  for (const a of status.apps ?? [])
    if (a.env === env && typeof a.name === 'string' && /^[a-z][a-z0-9-]{0,62}$/.test(a.name)) apps.add(a.name);
  let recipientAdded = true;
  try {
    await addRecipient(ctx, env, recipient, { name: `server ${name} (${target})`.slice(0, 200), role: 'server' });
  } catch (err) {
    if (!(isHakoError(err) && err.code === 'E_EXISTS')) throw err;
    recipientAdded = false;
  }
  const server = await updateServers(ctx, project, (f) => {
    const now = f.servers.get(name);
    const entry: ServerEntry = now
      ? { ...now, environments: [...new Set([...now.environments, env])], apps: [...new Set([...now.apps, ...apps])] }
      : { name, target, environments: [env], apps: [...apps], recipient, hostKeys };
    f.servers.set(name, entry);
    return entry;
  });
  return { server, recipientAdded, extended: existing !== undefined };
}

function learnedKeys(file: string, name: string): string[] {
  const alias = hostKeyAlias(name);
  const keys: string[] = [];
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length >= 3 && parts[0]!.split(',').includes(alias)) keys.push(parseHostKey(`${parts[1]} ${parts[2]}`));
  }
  if (!keys.length)
    throw new HakoError('E_SSH', `ssh did not record a host key for server '${name}'`, 'check that ssh to it works from here');
  return [...new Set(keys)];
}

// ---------------------------------------------------------------- rm

export interface RemovedServer {
  server: ServerEntry;
  /** Per environment the server left: the rotation (new key id, names to change). */
  rotations: RemovedRecipient[];
}

/**
 * Removes the server's recipient from each of its environments (a new key each time, like
 * any recipient removal: the server held the old one) and the server from servers.json.
 */
export async function removeServer(ctx: ServiceContext, name: string, opts: RemoveOptions = {}): Promise<RemovedServer> {
  assertServerName(name);
  const project = findProject(ctx);
  const server = loadServers(project).servers.get(name);
  if (!server) throw new HakoError('E_NO_ENV', `no server '${name}' in .hako/${SERVERS_FILE_NAME}`, 'list them with hako servers ls');
  const file = loadSecretsFile(project);
  const others = [...loadServers(project).servers.values()].filter((s) => s.name !== name);
  const toRotate = server.environments.filter((env) => {
    const record = file.environments.get(env);
    if (!record) return false;
    const holds = [...record.recipients.keys()].some((r) => (canonicalRecipient(r) ?? r) === server.recipient);
    // Another server with the same agent identity keeps it; so does a teammate who added it.
    const shared = others.some((s) => s.recipient === server.recipient && s.environments.includes(env));
    return holds && !shared;
  });
  // Every environment is checked before the first one changes: a passphrase environment needs
  // a new passphrase or a switch to a random key, and finding that out half-way would leave
  // the server removed from some environments and not others.
  const withPassphrase = toRotate.filter((env) => file.environments.get(env)!.passphrase);
  if (withPassphrase.length && opts.passphrase === undefined && !opts.random) {
    throw new HakoError(
      'E_USAGE',
      `removing server '${name}' replaces the key of ${withPassphrase.map((e) => `'${e}'`).join(', ')}, which use${withPassphrase.length === 1 ? 's' : ''} a passphrase; nothing was changed`,
      `give --passphrase to derive each new key from a new passphrase, or --random to switch to random keys: hako servers rm ${name} --passphrase`,
    );
  }
  // The new passphrase is for the passphrase environments; the others keep random keys.
  const { passphrase, ...rest } = opts;
  const rotations: RemovedRecipient[] = [];
  for (const env of toRotate) {
    const keepsPassphrase = file.environments.get(env)!.passphrase && passphrase !== undefined;
    rotations.push(await removeRecipient(ctx, env, server.recipient, keepsPassphrase ? { ...rest, passphrase } : rest));
  }
  await updateServers(ctx, project, (f) => f.servers.delete(name));
  forgetState(ctx, project, name);
  return { server, rotations };
}

// ---------------------------------------------------------------- last known state

export interface ServerState {
  /** ISO time of the last contact (a sync or a status check). */
  at: string;
  env: string | null;
  result: 'updated' | 'unchanged' | 'failed' | 'would-update' | 'reachable';
  hash: string | null;
  error: string | null;
  ms: number;
}

function statePath(ctx: ServiceContext, project: Project): string {
  return join(hakoHome(ctx.env), 'servers', `${workspaceHash(project.root)}.json`);
}

type StateFile = Record<string, Record<string, ServerState>>;

function readState(ctx: ServiceContext, project: Project): StateFile {
  try {
    const o = JSON.parse(readFileSync(statePath(ctx, project), 'utf8')) as unknown;
    return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as StateFile) : {};
  } catch {
    return {};
  }
}

/** Records what a sync saw of each server (kept per server and environment). */
export async function recordStates(ctx: ServiceContext, project: Project, states: { server: string; state: ServerState }[]): Promise<void> {
  const path = statePath(ctx, project);
  mkdirSync(join(hakoHome(ctx.env), 'servers'), { recursive: true, mode: 0o700 });
  await withFileLock(path, () => {
    const all = readState(ctx, project);
    for (const { server, state } of states) {
      const per = (all[server] ??= {});
      per[state.env ?? '-'] = state;
    }
    writeFileAtomic(path, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
  });
}

function forgetState(ctx: ServiceContext, project: Project, name: string): void {
  const all = readState(ctx, project);
  if (!(name in all)) return;
  delete all[name];
  writeFileAtomic(statePath(ctx, project), `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
}

export interface ServerStatus {
  name: string;
  target: string;
  environments: string[];
  apps: string[];
  recipient: string;
  /** What this machine last saw, per environment (absent: never synced from here). */
  last: Record<string, ServerState>;
}

/**
 * Every server of the project with the last state this machine saw (no network). The web
 * UI and `hako servers ls` use it.
 */
export function serversStatus(ctx: ServiceContext): ServerStatus[] {
  const project = findProject(ctx);
  const state = readState(ctx, project);
  return [...loadServers(project).servers.values()]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((s) => ({
      name: s.name,
      target: s.target,
      environments: s.environments,
      apps: s.apps,
      recipient: s.recipient,
      last: state[s.name] ?? {},
    }));
}
