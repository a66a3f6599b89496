/**
 * An app the agent runs: which environment, which command, how many instances, the public
 * port its proxy serves, the health path, and how values reach it. Every field is checked
 * here, whether it comes from the CLI, the control socket or the store, with the same rules;
 * anything unknown is refused, so a typo never silently means a default.
 */
import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { HakoError } from '../core/errors.js';
import { ENV_NAME, SECRET_NAME } from '../core/names.js';
import { DELIVERY_MODES, type DeliveryMode } from '../launcher/delivery.js';

export const APP_NAME = /^[a-z][a-z0-9-]{0,62}$/;
export const MAX_INSTANCES = 32;

export interface AppConfig {
  name: string;
  env: string;
  cmd: string[];
  cwd: string | null;
  instances: number;
  host: string;
  port: number;
  health: string;
  via: DeliveryMode;
  /** Secret names the person allowed to be handed over as process-control variables. */
  allow: string[];
  healthTimeoutMs: number;
  drainTimeoutMs: number;
  graceMs: number;
}

export const APP_DEFAULTS = {
  cwd: null,
  instances: 2,
  host: '127.0.0.1',
  health: '/health',
  via: 'fd3' as DeliveryMode,
  allow: [] as string[],
  healthTimeoutMs: 30_000,
  drainTimeoutMs: 30_000,
  graceMs: 10_000,
};

const FIELDS = [
  'name',
  'env',
  'cmd',
  'cwd',
  'instances',
  'host',
  'port',
  'health',
  'via',
  'allow',
  'healthTimeoutMs',
  'drainTimeoutMs',
  'graceMs',
];
const HEALTH_PATH = /^\/[\x21-\x7e]{0,1023}$/;

function bad(field: string, rule: string): never {
  throw new HakoError('E_USAGE', `app ${field}: ${rule}`, 'see hako agent app add --help');
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(field, `must be an integer from ${min} to ${max}`);
  return v as number;
}

/** A complete, checked config from untrusted input (missing optional fields take defaults). */
export function parseAppConfig(input: unknown): AppConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) bad('config', 'must be an object');
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FIELDS.includes(k)) bad(JSON.stringify(k.slice(0, 40)), 'unknown field');
  const name = o['name'];
  if (typeof name !== 'string' || !APP_NAME.test(name))
    bad('name', 'lower-case letters, digits and "-", starting with a letter (at most 63)');
  const env = o['env'];
  if (typeof env !== 'string' || !ENV_NAME.test(env)) bad('env', 'must be an environment name');
  const cmd = o['cmd'];
  if (!Array.isArray(cmd) || cmd.length === 0 || cmd.length > 256) bad('cmd', 'must be 1 to 256 words');
  for (const w of cmd as unknown[]) {
    if (typeof w !== 'string' || w.length > 4096 || w.includes('\0'))
      bad('cmd', 'each word is a string of at most 4096 characters without NUL');
  }
  if ((cmd as string[])[0] === '') bad('cmd', 'the program name is empty');
  const cwd = o['cwd'] ?? APP_DEFAULTS.cwd;
  if (cwd !== null && (typeof cwd !== 'string' || !isAbsolute(cwd) || cwd.length > 4096 || cwd.includes('\0')))
    bad('cwd', 'must be an absolute path');
  const host = o['host'] ?? APP_DEFAULTS.host;
  if (typeof host !== 'string' || isIP(host) === 0) bad('host', 'must be an IP address to listen on (127.0.0.1, 0.0.0.0, ::)');
  const health = o['health'] ?? APP_DEFAULTS.health;
  if (typeof health !== 'string' || !HEALTH_PATH.test(health))
    bad('health', 'must be a path starting with "/" (printable ASCII, no spaces)');
  const via = o['via'] ?? APP_DEFAULTS.via;
  if (typeof via !== 'string' || !(DELIVERY_MODES as readonly string[]).includes(via)) bad('via', `one of ${DELIVERY_MODES.join(', ')}`);
  const allow = o['allow'] ?? APP_DEFAULTS.allow;
  if (!Array.isArray(allow) || allow.length > 256 || allow.some((a) => typeof a !== 'string' || !SECRET_NAME.test(a)))
    bad('allow', 'must be secret names');
  return {
    name: name as string,
    env: env as string,
    cmd: [...(cmd as string[])],
    cwd: cwd as string | null,
    instances: int(o['instances'] ?? APP_DEFAULTS.instances, 'instances', 1, MAX_INSTANCES),
    host: host as string,
    port: int(o['port'], 'port', 1, 65535),
    health: health as string,
    via: via as DeliveryMode,
    allow: [...new Set(allow as string[])].sort(),
    healthTimeoutMs: int(o['healthTimeoutMs'] ?? APP_DEFAULTS.healthTimeoutMs, 'healthTimeoutMs', 100, 600_000),
    drainTimeoutMs: int(o['drainTimeoutMs'] ?? APP_DEFAULTS.drainTimeoutMs, 'drainTimeoutMs', 0, 600_000),
    graceMs: int(o['graceMs'] ?? APP_DEFAULTS.graceMs, 'graceMs', 0, 600_000),
  };
}
