/**
 * hako-secrets/runtime: what an app imports to read the secrets `hako run` handed it.
 *
 * The delivery is read once per process, when this module loads:
 *  - `HAKO_SECRETS_FD` set (`hako run --via fd3`): that descriptor must be a pipe or a socket
 *    (Node's `stdio: 'pipe'` gives a socket, a shell gives a FIFO). It is read to EOF, the
 *    envelope `{"env":…,"hako":1,"secrets":{…}}` is checked strictly, the descriptor is
 *    closed and the variable removed, so programs started from here inherit neither.
 *  - `HAKO_SECRETS_DIR` set (`--via files`): every `<NAME>_FILE` variable pointing into that
 *    folder is read.
 *  - neither (`--via env`, or no hako at all): values are environment variables.
 * An fd 3 that hako did not announce is never touched, so nothing blocks on it.
 *
 * `loadSecrets()` returns a read-only proxy: `secrets.NAME` is the string, a name that was
 * not delivered throws, and whatever enumerates, prints, serialises or clones the object
 * sees names at most, never a value. Errors name secrets, never values.
 *
 * Only node: built-ins, no other import: `hako typegen --lang ts` embeds the code between the
 * two marker lines verbatim, so a generated module behaves exactly like this one.
 */
// ---- hako runtime: begin ----
import { closeSync, fstatSync, readFileSync, readSync } from 'node:fs';
import { resolve, sep } from 'node:path';

/** A failure to read or use delivered secrets. `code` is stable; messages never hold a value. */
export class HakoSecretsError extends Error {
  readonly code: string;
  /** What went wrong, without the hint (`message` holds both, so an uncaught error shows both). */
  readonly reason: string;
  /** What to do about it. */
  readonly hint: string | undefined;

  constructor(code: string, reason: string, hint?: string) {
    super(hint === undefined ? reason : `${reason}; ${hint}`);
    this.name = 'HakoSecretsError';
    this.code = code;
    this.reason = reason;
    this.hint = hint;
  }
}

/** How the values arrived. */
export type SecretsVia = 'fd3' | 'files' | 'env';

export interface SecretsInfo {
  readonly via: SecretsVia;
  /** The hako environment, when the delivery says (fd3). */
  readonly env: string | undefined;
  /** Names that have a value, sorted. Empty in env mode without `names`. */
  readonly names: readonly string[];
}

export interface LoadSecretsOptions {
  /** The names the app uses; each must have a value unless it is also in `optional`. */
  readonly names?: readonly string[];
  /** Names that may be missing: reading one gives `undefined` instead of throwing. */
  readonly optional?: readonly string[];
}

/** What `loadSecrets()` returns without a more precise type. */
export type SecretsRecord = { readonly [name: string]: string };

const NAME_RULE = /^[A-Z_][A-Z0-9_]{0,127}$/;
const ENV_RULE = /^[a-z][a-z0-9-]{0,62}$/;
const ENVELOPE_VERSION = 1;
const MAX_ENVELOPE_BYTES = 64 * 1024 * 1024;
const MAX_WAIT_MS = 60_000;
/** Several copies of this code in one process (hako-secrets/runtime and generated modules) share one read. */
const DELIVERY_SLOT = Symbol.for('hako.runtime.delivery.v1');
const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const REDACTED = '[REDACTED]';

interface Delivery {
  readonly via: SecretsVia;
  readonly env: string | undefined;
  /** Values by name; undefined in env mode, where values are looked up in process.env. */
  readonly values: ReadonlyMap<string, string> | undefined;
}

type Outcome = { readonly ok: Delivery } | { readonly code: string; readonly reason: string; readonly hint: string | undefined };

/** Reads the delivery on first use and remembers it (or its error) for the whole process. */
function delivery(): Delivery {
  const holder = globalThis as unknown as Record<symbol, unknown>;
  let slot = holder[DELIVERY_SLOT];
  if (typeof slot !== 'function') {
    let outcome: Outcome;
    try {
      outcome = { ok: readDelivery(process.env) };
    } catch (err) {
      const e = err instanceof HakoSecretsError ? err : new HakoSecretsError('E_DELIVERY', 'reading the delivered secrets failed');
      outcome = { code: e.code, reason: e.reason, hint: e.hint };
    }
    // A function, not the data: printing globalThis shows [Function], never a value.
    slot = (): Outcome => outcome;
    Object.defineProperty(globalThis, DELIVERY_SLOT, { value: slot, enumerable: false, writable: false, configurable: false });
  }
  const outcome = (slot as () => Outcome)();
  if ('ok' in outcome) return outcome.ok;
  throw new HakoSecretsError(outcome.code, outcome.reason, outcome.hint);
}

function readDelivery(env: NodeJS.ProcessEnv): Delivery {
  const fdText = env['HAKO_SECRETS_FD'];
  if (fdText !== undefined) {
    delete env['HAKO_SECRETS_FD'];
    return { via: 'fd3', ...readEnvelope(fdText) };
  }
  const dir = env['HAKO_SECRETS_DIR'];
  if (dir !== undefined) return { via: 'files', env: undefined, values: readFiles(dir, env) };
  return { via: 'env', env: undefined, values: undefined };
}

function readEnvelope(fdText: string): { env: string; values: Map<string, string> } {
  if (!/^[0-9]{1,9}$/.test(fdText) || Number(fdText) < 3) {
    throw new HakoSecretsError(
      'E_DELIVERY',
      'HAKO_SECRETS_FD must be a descriptor number of 3 or more',
      'start the program with hako run --via fd3',
    );
  }
  const fd = Number(fdText);
  let isPipe: boolean;
  try {
    const st = fstatSync(fd);
    isPipe = st.isFIFO() || st.isSocket();
  } catch {
    throw new HakoSecretsError(
      'E_DELIVERY',
      `HAKO_SECRETS_FD is ${fd} but descriptor ${fd} is not open`,
      'start the program with hako run --via fd3 (a program it starts in turn does not inherit the pipe)',
    );
  }
  // Not ours: leave it open and do not read it, so nothing blocks on a terminal or a file.
  if (!isPipe)
    throw new HakoSecretsError(
      'E_DELIVERY',
      `HAKO_SECRETS_FD is ${fd} but descriptor ${fd} is not a pipe or socket`,
      'start the program with hako run --via fd3',
    );
  let bytes: Buffer;
  try {
    bytes = readToEnd(fd);
  } finally {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
  }
  try {
    return parseEnvelope(bytes);
  } finally {
    bytes.fill(0);
  }
}

function readToEnd(fd: number): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(64 * 1024);
  let total = 0;
  let waited = 0;
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EINTR') continue;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
          // A non-blocking socket: wait for the writer without spinning.
          if (waited >= MAX_WAIT_MS)
            throw new HakoSecretsError(
              'E_DELIVERY',
              `nothing arrived on descriptor ${fd} for ${MAX_WAIT_MS / 1000} s`,
              'start the program with hako run --via fd3',
            );
          const pause = Math.min(1 + waited, 50);
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
          waited += pause;
          continue;
        }
        throw new HakoSecretsError('E_DELIVERY', `reading descriptor ${fd} failed (${code ?? 'error'})`);
      }
      if (n === 0) break;
      waited = 0;
      total += n;
      if (total > MAX_ENVELOPE_BYTES)
        throw new HakoSecretsError('E_FORMAT', `the secrets envelope is larger than ${MAX_ENVELOPE_BYTES} bytes`);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    buf.fill(0);
    for (const c of chunks) c.fill(0);
  }
}

function parseEnvelope(bytes: Uint8Array): { env: string; values: Map<string, string> } {
  const bad = (what: string): never => {
    throw new HakoSecretsError(
      'E_FORMAT',
      `the secrets envelope ${what}`,
      'start the program with hako run --via fd3 from the same hako version',
    );
  };
  let root: unknown;
  try {
    // Never pass on the parser's message: it quotes the input, which holds values.
    root = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return bad('is not UTF-8 JSON');
  }
  if (!isPlainObject(root)) return bad('is not a JSON object');
  const version = root['hako'];
  if (typeof version === 'number' && Number.isInteger(version) && version > ENVELOPE_VERSION) {
    throw new HakoSecretsError(
      'E_VERSION',
      `the secrets envelope has version ${version}; this runtime reads version ${ENVELOPE_VERSION}`,
      'upgrade hako and run hako typegen again',
    );
  }
  if (version !== ENVELOPE_VERSION) bad(`must have "hako": ${ENVELOPE_VERSION}`);
  for (const key of Object.keys(root)) {
    if (key !== 'env' && key !== 'hako' && key !== 'secrets')
      bad(/^[A-Za-z0-9_]{1,40}$/.test(key) ? `has an unknown field "${key}"` : 'has an unknown field');
  }
  const env = root['env'];
  if (typeof env !== 'string' || !ENV_RULE.test(env)) return bad('has no valid "env"');
  const secrets = root['secrets'];
  if (!isPlainObject(secrets)) return bad('has no "secrets" object');
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(secrets)) {
    if (!NAME_RULE.test(name)) bad('holds an invalid secret name');
    if (typeof value !== 'string') bad(`holds a non-string value for ${name}`);
    values.set(name, value as string);
  }
  return { env, values };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readFiles(dir: string, env: NodeJS.ProcessEnv): Map<string, string> {
  const folder = resolve(dir) + sep;
  const values = new Map<string, string>();
  for (const [key, path] of Object.entries(env)) {
    if (!key.endsWith('_FILE') || path === undefined) continue;
    const name = key.slice(0, -'_FILE'.length);
    if (!NAME_RULE.test(name) || !resolve(path).startsWith(folder)) continue;
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new HakoSecretsError(
        'E_DELIVERY',
        `cannot read the file of ${name} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        'start the program with hako run --via files',
      );
    }
    try {
      values.set(name, new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      throw new HakoSecretsError('E_FORMAT', `the file of ${name} is not UTF-8`);
    } finally {
      bytes.fill(0);
    }
  }
  return values;
}

const INFO = new WeakMap<object, SecretsInfo>();

/**
 * The delivered secrets as a redacting, read-only object. Pass `names` (and `optional`) to
 * fail at start when a required name has no value, and to read those names in env mode.
 */
export function loadSecrets<T extends object = SecretsRecord>(options: LoadSecretsOptions = {}): Readonly<T> {
  const d = delivery();
  const optional = new Set(options.optional ?? []);
  const wanted = [...(options.names ?? []), ...optional];
  for (const name of wanted) {
    if (!NAME_RULE.test(name))
      throw new HakoSecretsError(
        'E_USAGE',
        `invalid secret name ${JSON.stringify(name.slice(0, 40))}`,
        'names are upper-case letters, digits and "_"',
      );
  }
  // env mode: with names, a snapshot of those variables; without, live look-ups.
  const values = d.values ?? (wanted.length > 0 ? fromEnvironment(wanted) : undefined);
  const missing = values ? (options.names ?? []).filter((n) => !optional.has(n) && !values.has(n)) : [];
  if (missing.length > 0) {
    const how = d.via === 'env' ? 'as environment variables' : d.via === 'fd3' ? 'on the fd 3 pipe' : 'as files';
    throw new HakoSecretsError(
      'E_MISSING_REQUIRED',
      `required secrets were not delivered ${how}: ${[...new Set(missing)].sort().join(', ')}`,
      `set them in the environment${d.env ? ` '${d.env}'` : ''} (hako set NAME) and start the program with hako run`,
    );
  }
  const secrets = redacting(values, optional);
  INFO.set(secrets, Object.freeze({ via: d.via, env: d.env, names: Object.freeze(values ? [...values.keys()].sort() : []) }));
  return secrets as Readonly<T>;
}

function fromEnvironment(names: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const name of names) {
    const v = process.env[name];
    if (v !== undefined) values.set(name, v);
  }
  return values;
}

/** How the secrets of an object from `loadSecrets()` arrived, and which names they have. */
export function secretsInfo(secrets: object): SecretsInfo {
  const info = INFO.get(secrets);
  if (!info) throw new HakoSecretsError('E_USAGE', 'secretsInfo() takes an object returned by loadSecrets()');
  return info;
}

/**
 * The proxy. Values live only in the closure below: the target and its prototype hold
 * methods that print names, and util.inspect (which looks at the target of a proxy, not
 * through it) finds the same custom inspector there.
 */
function redacting(values: ReadonlyMap<string, string> | undefined, optional: ReadonlySet<string>): object {
  const lookup = (name: string): string | undefined => (values ? values.get(name) : process.env[name]);
  const names = (): string[] => (values ? [...values.keys()].sort() : []);
  const label = (): string => (values ? `[hako secrets: ${names().join(', ')}]` : '[hako secrets: from environment variables]');
  const readOnly = (): never => {
    throw new HakoSecretsError('E_READ_ONLY', 'hako secrets are read-only');
  };
  const proto = Object.create(Object.prototype, {
    toString: { value: label },
    toJSON: { value: () => Object.fromEntries(names().map((n) => [n, REDACTED])) },
    [Symbol.toPrimitive]: { value: label },
    [Symbol.toStringTag]: { value: 'HakoSecrets' },
    [INSPECT]: { value: label },
  }) as object;
  const target = Object.create(proto) as object;
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === 'string' && NAME_RULE.test(prop)) {
        const v = lookup(prop);
        if (v !== undefined || optional.has(prop)) return v;
        const known = names();
        throw new HakoSecretsError(
          'E_NO_SECRET',
          `secret ${prop} was not delivered to this program${known.length ? ` (delivered: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''})` : ''}`,
          `set it (hako set ${prop}) in the environment hako run uses, or check the spelling`,
        );
      }
      return Reflect.get(t, prop, receiver);
    },
    has(t, prop) {
      if (typeof prop === 'string' && NAME_RULE.test(prop)) return lookup(prop) !== undefined;
      return Reflect.has(t, prop);
    },
    // Nothing is an own property: keys, values, entries, spread, descriptors, ownKeys,
    // for…in and Object.assign all see an empty object.
    ownKeys: () => [],
    getOwnPropertyDescriptor: () => undefined,
    set: readOnly,
    defineProperty: readOnly,
    deleteProperty: readOnly,
    setPrototypeOf: () => false,
    preventExtensions: () => false,
  });
}

// Read now, not at first use: the descriptor is closed before the app can start anything.
try {
  delivery();
} catch {
  /* remembered; loadSecrets() throws it */
}
// ---- hako runtime: end ----
