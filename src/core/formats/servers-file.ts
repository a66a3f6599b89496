/**
 * `.hako/servers.json`: the servers `hako sync` pushes environments to. It is committed, so
 * whoever can write to the repository writes this file: every field is checked as hostile
 * input. An SSH target must parse as `[user@]host[:port]` with a plain user name and a DNS
 * name or IP address for host, so it can never be read by ssh as an option (`-oProxyCommand=…`)
 * or carry spaces, quotes or control characters; host keys must be one `type base64` key each.
 *
 *   {
 *     "servers": {
 *       "web-1": {
 *         "apps": ["web"],
 *         "environments": ["production"],
 *         "host_keys": ["ssh-ed25519 AAAA…"],
 *         "recipient": "age1…",
 *         "target": "deploy@web-1.example.com:22"
 *       }
 *     },
 *     "version": 1
 *   }
 */
import { HakoError } from '../errors.js';
import { ENV_NAME } from '../names.js';

export const SERVERS_FILE_NAME = 'servers.json';
export const SERVER_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const APP = /^[a-z][a-z0-9-]{0,62}$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;
const HOST_KEY_TYPES = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);
const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

export interface SshTarget {
  user: string | null;
  host: string;
  port: number | null;
}

export interface ServerEntry {
  name: string;
  target: string;
  environments: string[];
  apps: string[];
  /** The server agent's age recipient (X25519). */
  recipient: string;
  /** The host keys learned at `servers add`, "type base64". */
  hostKeys: string[];
}

export interface ServersFile {
  version: 1;
  servers: Map<string, ServerEntry>;
}

function bad(what: string, hint = 'targets look like deploy@web-1.example.com or deploy@10.0.0.5:2222'): HakoError {
  return new HakoError('E_FORMAT', what, hint);
}

/** Printable, bounded, for an error message about a rejected target. */
function shown(text: string): string {
  return JSON.stringify(text.slice(0, 60).replace(/[^\x20-\x7e]/g, '?'));
}

/** Parses `[user@]host[:port]` (IPv6 in brackets); throws E_USAGE for anything else. */
export function parseTarget(text: string): SshTarget {
  const fail = (why: string) =>
    new HakoError('E_USAGE', `SSH target ${shown(text)} ${why}`, 'give user@host or user@host:port (host: a DNS name or an IP address)');
  if (typeof text !== 'string' || text.length === 0 || text.length > 300) throw fail('is empty or too long');
  if (text.startsWith('-')) throw fail('starts with "-" (ssh would read it as an option)');
  if (/[\s\x00-\x1f\x7f"'`$\\;|&<>(){}*?!#%,=/]/.test(text)) throw fail('holds a space, quote, control or shell character');
  let rest = text;
  let user: string | null = null;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!USER.test(user)) throw fail('has a user name that is not a plain name');
  }
  let host: string;
  let portText: string | null = null;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw fail('has an unclosed "["');
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw fail('has text after "]"');
      portText = after.slice(1);
    }
    if (!IPV6.test(host) || !host.includes(':')) throw fail('has an IPv6 address that does not parse');
  } else {
    const colon = rest.indexOf(':');
    if (colon >= 0) {
      portText = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
    host = rest;
    if (!(IPV4.test(host) || (DNS.test(host) && host.length <= 253))) throw fail('has a host that is not a DNS name or an IP address');
  }
  let port: number | null = null;
  if (portText !== null) {
    if (!/^[1-9]\d{0,4}$/.test(portText) || Number(portText) > 65535) throw fail('has a port that is not 1–65535');
    port = Number(portText);
  }
  return { user, host, port };
}

/** The destination argument for ssh (after `--`): `user@host` or `host`. */
export function sshDestination(t: SshTarget): string {
  return t.user ? `${t.user}@${t.host}` : t.host;
}

export function formatTarget(t: SshTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.user ? `${t.user}@` : ''}${host}${t.port !== null ? `:${t.port}` : ''}`;
}

export function assertServerName(name: string): string {
  if (!SERVER_NAME.test(name)) {
    throw new HakoError(
      'E_INVALID_NAME',
      `server name ${shown(name)} is not allowed`,
      'a server name is lower-case letters, digits and "-", starting with a letter (e.g. web-1)',
    );
  }
  return name;
}

/** One host key as ssh prints it, "type base64"; throws for anything else. */
export function parseHostKey(text: string): string {
  const parts = text.trim().split(' ');
  if (parts.length < 2 || !HOST_KEY_TYPES.has(parts[0]!) || !/^[A-Za-z0-9+/]{16,8192}={0,2}$/.test(parts[1]!))
    throw bad(`a host key in ${SERVERS_FILE_NAME} is not "type base64"`, 'learn host keys with hako servers add, never by hand');
  return `${parts[0]} ${parts[1]}`;
}

export function emptyServersFile(): ServersFile {
  return { version: 1, servers: new Map() };
}

function strings(v: unknown, what: string, re: RegExp, max: number): string[] {
  if (!Array.isArray(v) || v.length > max || !v.every((x) => typeof x === 'string' && re.test(x)))
    throw bad(`${what} in ${SERVERS_FILE_NAME} must be a list of names`);
  return [...new Set(v as string[])];
}

export function parseServersFile(text: string): ServersFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad(`.hako/${SERVERS_FILE_NAME} is not JSON`, 'restore it from git');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`.hako/${SERVERS_FILE_NAME} must hold an object`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'servers' && k !== 'version') throw bad(`unknown field ${shown(k)} in ${SERVERS_FILE_NAME}`);
  if (o['version'] !== 1)
    throw new HakoError('E_VERSION', `.hako/${SERVERS_FILE_NAME} has a version this hako does not know`, 'upgrade hako');
  const servers = o['servers'];
  if (typeof servers !== 'object' || servers === null || Array.isArray(servers))
    throw bad(`"servers" in ${SERVERS_FILE_NAME} must be an object`);
  const out = emptyServersFile();
  for (const [name, value] of Object.entries(servers as Record<string, unknown>)) {
    if (!SERVER_NAME.test(name)) throw bad(`server name ${shown(name)} in ${SERVERS_FILE_NAME} is not allowed`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`server '${name}' must be an object`);
    const s = value as Record<string, unknown>;
    for (const k of Object.keys(s))
      if (!['apps', 'environments', 'host_keys', 'recipient', 'target'].includes(k))
        throw bad(`unknown field ${shown(k)} of server '${name}'`);
    if (typeof s['target'] !== 'string') throw bad(`server '${name}' has no target`);
    let target: SshTarget;
    try {
      target = parseTarget(s['target']);
    } catch (err) {
      throw bad(`server '${name}': ${(err as HakoError).message}`);
    }
    if (typeof s['recipient'] !== 'string' || !AGE_RECIPIENT.test(s['recipient']))
      throw bad(`server '${name}' has no age recipient (age1…)`, 'add servers with hako servers add');
    if (!Array.isArray(s['host_keys']) || s['host_keys'].length === 0 || s['host_keys'].length > 16)
      throw bad(`server '${name}' has no host key`, 'add servers with hako servers add (it learns the host key)');
    out.servers.set(name, {
      name,
      target: formatTarget(target),
      environments: strings(s['environments'], `environments of server '${name}'`, ENV_NAME, 64),
      apps: strings(s['apps'] ?? [], `apps of server '${name}'`, APP, 256),
      recipient: s['recipient'],
      hostKeys: (s['host_keys'] as unknown[]).map((k) => parseHostKey(String(k))),
    });
  }
  return out;
}

export function encodeServersFile(file: ServersFile): string {
  const servers: Record<string, unknown> = {};
  for (const name of [...file.servers.keys()].sort()) {
    const s = file.servers.get(name)!;
    servers[name] = {
      apps: [...s.apps].sort(),
      environments: [...s.environments].sort(),
      host_keys: s.hostKeys,
      recipient: s.recipient,
      target: s.target,
    };
  }
  return `${JSON.stringify({ servers, version: 1 }, null, 2)}\n`;
}
