/**
 * The agent's control protocol, version 1: JSON lines. The local CLI speaks it over the Unix
 * socket in the state directory; remote clients over `ssh host hako agent rpc` (stdin/stdout),
 * so SSH authenticates them and the agent opens no port.
 *
 *   request:  {"v":1,"id":7,"method":"status","params":{}}
 *   reply:    {"v":1,"id":7,"ok":true,"result":{…}}
 *             {"v":1,"id":7,"ok":false,"error":{"code":"E_…","message":"…","hint":"…"}}
 *
 * Everything is checked before anything runs: the version (only 1; the error lists the
 * supported ones), the method, and every field (unknown fields are refused, types and
 * lengths bounded), since anyone who reaches the socket or can send rpc lines is the input.
 * The rpc channel accepts only the methods a sync client needs; app management (which
 * decides what programs run) is for the local socket, so an SSH key restricted to
 * `command="hako agent rpc"` can push environments but cannot start programs.
 */
import { HakoError } from '../core/errors.js';
import { ENTRY_HASH } from '../core/formats/entry-hash.js';
import { ENV_NAME } from '../core/names.js';
import { APP_NAME } from './app-config.js';

export const PROTOCOL_VERSION = 1;
export const SUPPORTED_VERSIONS = [PROTOCOL_VERSION];
/** The longest request line accepted (an entry of thousands of secrets fits). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

export type Channel = 'socket' | 'rpc';

export type Request =
  | { method: 'hello'; params: Record<string, never> }
  | { method: 'status'; params: Record<string, never> }
  | { method: 'recipient'; params: Record<string, never> }
  | { method: 'environment-hash'; params: { env: string } }
  | { method: 'push-environment'; params: { env: string; entry: Record<string, unknown>; hash: string } }
  | { method: 'app-list'; params: Record<string, never> }
  | { method: 'app-status'; params: { app: string } }
  | { method: 'logs-tail'; params: { app: string; lines: number } }
  | { method: 'app-add'; params: { config: Record<string, unknown> } }
  | { method: 'app-rm'; params: { app: string } }
  | { method: 'trust-forget'; params: { env: string } };

export type Method = Request['method'];
export type RequestId = number | string;
export interface Envelope {
  id: RequestId;
  request: Request;
}

const RPC_METHODS: ReadonlySet<Method> = new Set([
  'hello',
  'status',
  'recipient',
  'environment-hash',
  'push-environment',
  'app-list',
  'app-status',
  'logs-tail',
]);
const SOCKET_ONLY: ReadonlySet<Method> = new Set(['app-add', 'app-rm', 'trust-forget']);
export const METHODS: readonly Method[] = [...RPC_METHODS, ...SOCKET_ONLY];

export function methodsFor(channel: Channel): Method[] {
  return METHODS.filter((m) => channel === 'socket' || RPC_METHODS.has(m));
}

export class ProtocolError extends HakoError {
  constructor(
    message: string,
    readonly id: RequestId | null,
    hint?: string,
  ) {
    super('E_PROTOCOL', message, hint);
  }
}

type Params = Record<string, unknown>;

const PARAMS: Record<Method, (p: Params, fail: (m: string) => never) => Params> = {
  hello: (p, fail) => only(p, [], fail),
  status: (p, fail) => only(p, [], fail),
  recipient: (p, fail) => only(p, [], fail),
  'app-list': (p, fail) => only(p, [], fail),
  'environment-hash': (p, fail) => {
    only(p, ['env'], fail);
    return { env: envName(p['env'], fail) };
  },
  'push-environment': (p, fail) => {
    only(p, ['env', 'entry', 'hash'], fail);
    const entry = p['entry'];
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail('params.entry must be the environment entry object');
    const hash = p['hash'];
    if (typeof hash !== 'string' || !ENTRY_HASH.test(hash)) fail('params.hash must be "sha256:" and 64 lower-case hex digits');
    return { env: envName(p['env'], fail), entry, hash };
  },
  'app-status': (p, fail) => {
    only(p, ['app'], fail);
    return { app: appName(p['app'], fail) };
  },
  'app-rm': (p, fail) => {
    only(p, ['app'], fail);
    return { app: appName(p['app'], fail) };
  },
  'logs-tail': (p, fail) => {
    only(p, ['app', 'lines'], fail);
    const lines = p['lines'] ?? 100;
    if (typeof lines !== 'number' || !Number.isInteger(lines) || lines < 1 || lines > 10_000)
      fail('params.lines must be an integer from 1 to 10000');
    return { app: appName(p['app'], fail), lines };
  },
  'app-add': (p, fail) => {
    only(p, ['config'], fail);
    const config = p['config'];
    if (typeof config !== 'object' || config === null || Array.isArray(config)) fail('params.config must be an object');
    return { config };
  },
  'trust-forget': (p, fail) => {
    only(p, ['env'], fail);
    return { env: envName(p['env'], fail) };
  },
};

function only(p: Params, allowed: string[], fail: (m: string) => never): Params {
  for (const k of Object.keys(p)) if (!allowed.includes(k)) fail(`unknown field params.${safe(k)}`);
  return p;
}

function envName(v: unknown, fail: (m: string) => never): string {
  if (typeof v !== 'string' || !ENV_NAME.test(v)) fail('params.env must be an environment name');
  return v as string;
}

function appName(v: unknown, fail: (m: string) => never): string {
  if (typeof v !== 'string' || !APP_NAME.test(v)) fail('params.app must be an app name');
  return v as string;
}

/** A field name as it may be shown in an error: printable ASCII, at most 40 characters. */
function safe(k: string): string {
  return JSON.stringify(k.slice(0, 40).replace(/[^\x20-\x7e]/g, '?'));
}

/** Parses and checks one request line for `channel`; throws ProtocolError (with the id when known). */
export function parseRequest(line: string, channel: Channel): Envelope {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new ProtocolError('a request line is not JSON', null, 'send one JSON object per line');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ProtocolError('a request must be a JSON object', null);
  const o = raw as Record<string, unknown>;
  const idRaw = o['id'];
  const id: RequestId | null =
    (typeof idRaw === 'number' && Number.isSafeInteger(idRaw) && idRaw >= 0) ||
    (typeof idRaw === 'string' && /^[\x21-\x7e]{1,64}$/.test(idRaw))
      ? idRaw
      : null;
  const fail = (m: string, hint?: string): never => {
    throw new ProtocolError(m, id, hint);
  };
  if (o['v'] !== PROTOCOL_VERSION) {
    fail(
      `unsupported protocol version ${typeof o['v'] === 'number' ? o['v'] : safe(String(o['v']))}`,
      `this agent speaks version ${SUPPORTED_VERSIONS.join(', ')}; upgrade hako on the older side`,
    );
  }
  if (id === null) fail('"id" must be a non-negative integer or a short printable string');
  for (const k of Object.keys(o)) if (!['v', 'id', 'method', 'params'].includes(k)) fail(`unknown field ${safe(k)}`);
  const method = o['method'];
  if (typeof method !== 'string' || !(METHODS as readonly string[]).includes(method)) {
    fail(`unknown method ${safe(String(method))}`, `methods: ${methodsFor(channel).join(', ')}`);
  }
  if (channel === 'rpc' && !RPC_METHODS.has(method as Method)) {
    fail(`method ${method} is not available over hako agent rpc`, 'manage apps on the server itself (hako agent app …)');
  }
  const params = o['params'] ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) fail('"params" must be an object');
  const checked = PARAMS[method as Method](params as Params, (m) => fail(m));
  return { id: id!, request: { method, params: checked } as Request };
}

export function replyLine(id: RequestId | null, result: unknown): string {
  return `${JSON.stringify({ v: PROTOCOL_VERSION, id, ok: true, result })}\n`;
}

export function errorLine(id: RequestId | null, err: unknown): string {
  const e =
    err instanceof HakoError
      ? { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) }
      : { code: 'E_INTERNAL', message: 'internal error in the agent (see its log)' };
  const extra = err instanceof ProtocolError && e.code === 'E_PROTOCOL' ? { supported: SUPPORTED_VERSIONS } : {};
  return `${JSON.stringify({ v: PROTOCOL_VERSION, id, ok: false, error: { ...e, ...extra } })}\n`;
}

/** Reads a reply line (client side): the result, or the agent's error as a HakoError. */
export function parseReply(
  line: string,
): { id: RequestId | null; ok: true; result: unknown } | { id: RequestId | null; ok: false; error: HakoError } {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new HakoError('E_PROTOCOL', 'the agent answered something that is not JSON', 'check hako is the same version on both sides');
  }
  if (typeof o !== 'object' || o === null || o['v'] !== PROTOCOL_VERSION)
    throw new HakoError('E_PROTOCOL', 'the agent answered in an unknown protocol version', 'upgrade hako on the older side');
  const id = (o['id'] ?? null) as RequestId | null;
  if (o['ok'] === true) return { id, ok: true, result: o['result'] };
  const e = (o['error'] ?? {}) as { code?: string; message?: string; hint?: string };
  const code = typeof e.code === 'string' && /^E_[A-Z_]{1,40}$/.test(e.code) ? e.code : 'E_AGENT';
  return {
    id,
    ok: false,
    error: new HakoError(
      code as 'E_AGENT',
      `agent: ${String(e.message ?? 'error').slice(0, 2000)}`,
      typeof e.hint === 'string' ? e.hint.slice(0, 2000) : undefined,
    ),
  };
}
