/**
 * The agent's store: one SQLite database (WAL mode) in the state directory.
 *
 * It holds, per environment, the last few versions the agent accepted: each version's
 * values sealed under the device key (additional data "hako-agent:1:value:<env>:<version>:
 * <name>", so a row copied to another name, version or environment does not open), the
 * fingerprint of the repository entry it came from (the skip check of `hako sync`) and the
 * key id; the environment's current version and the key chain the agent pinned for it; the
 * apps, each with the version its instances run; the live instances (pid, process start
 * time, process group, port) so a restarted agent can find what a killed one left; and a
 * short event log (rolls, failures). Names, hashes and key ids are not secret; values are
 * never written unsealed, and deleted rows are overwritten (secure_delete).
 *
 * better-sqlite3 is a native addon, loaded only by the commands that open the store. Every
 * change that must be all-or-nothing runs in one transaction, so a SIGKILL at any moment
 * leaves the previous state or the next, never a mix.
 */
import { chmodSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { HakoError } from '../core/errors.js';
import { DeviceCipher } from './device-key.js';

export const SCHEMA_VERSION = 1;
export const DEFAULT_KEEP_VERSIONS = 5;
const MAX_EVENTS = 1000;
const CHECK_AAD = 'hako-agent:1:check';
const CHECK_TEXT = Buffer.from('hako agent store', 'utf8');

export interface VersionInfo {
  env: string;
  version: number;
  hash: string;
  keyId: string;
  receivedAt: number;
}

export interface EnvironmentInfo {
  env: string;
  current: VersionInfo | null;
  versions: number[];
  pin: string[] | null;
}

export interface AppRow {
  name: string;
  config: unknown;
  deployed: number | null;
  lastError: string | null;
  updatedAt: number;
}

export interface InstanceRow {
  pid: number;
  app: string;
  slot: number;
  version: number | null;
  pgid: number;
  startTime: string;
  port: number;
  filesDir: string | null;
  startedAt: number;
}

export interface EventRow {
  id: number;
  at: number;
  app: string | null;
  env: string | null;
  kind: string;
  message: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value ANY NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS environments (
  env TEXT PRIMARY KEY,
  current INTEGER,
  next_version INTEGER NOT NULL DEFAULT 1,
  pin TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS versions (
  env TEXT NOT NULL REFERENCES environments(env) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  entry_hash TEXT NOT NULL,
  key_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (env, version)
) STRICT;
CREATE TABLE IF NOT EXISTS secret_values (
  env TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  sealed BLOB NOT NULL,
  PRIMARY KEY (env, version, name),
  FOREIGN KEY (env, version) REFERENCES versions(env, version) ON DELETE CASCADE
) STRICT;
CREATE TABLE IF NOT EXISTS apps (
  name TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  deployed INTEGER,
  last_error TEXT,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS instances (
  pid INTEGER PRIMARY KEY,
  app TEXT NOT NULL,
  slot INTEGER NOT NULL,
  version INTEGER,
  pgid INTEGER NOT NULL,
  start_time TEXT NOT NULL,
  port INTEGER NOT NULL,
  files_dir TEXT,
  started_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  app TEXT,
  env TEXT,
  kind TEXT NOT NULL,
  message TEXT NOT NULL
) STRICT;
`;

function valueAad(env: string, version: number, name: string): string {
  return `hako-agent:1:value:${env}:${version}:${name}`;
}

type Db = BetterSqlite3.Database;

export class AgentStore {
  private constructor(
    private readonly db: Db,
    private readonly cipher: DeviceCipher,
    readonly keep: number,
  ) {}

  /** Opens (creating when asked) the database at `path` with the device key. */
  static async open(path: string, deviceKey: Uint8Array, opts: { create?: boolean; keep?: number } = {}): Promise<AgentStore> {
    const { default: Database } = await import('better-sqlite3');
    let db: Db;
    try {
      db = new Database(path, { fileMustExist: !opts.create });
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'error';
      throw new HakoError(
        'E_AGENT',
        `cannot open the agent store ${path} (${code})`,
        opts.create ? 'check the agent directory is writable' : 'set up the agent directory with `hako agent init`',
      );
    }
    try {
      chmodSync(path, 0o600);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('secure_delete = ON');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      const cipher = new DeviceCipher(deviceKey);
      const store = new AgentStore(db, cipher, opts.keep ?? DEFAULT_KEEP_VERSIONS);
      store.migrate(Boolean(opts.create));
      return store;
    } catch (err) {
      db.close();
      if (err instanceof HakoError) throw err;
      throw new HakoError(
        'E_AGENT',
        `the agent store ${path} does not open: ${(err as Error).message.slice(0, 200)}`,
        'restore the agent directory from a backup',
      );
    }
  }

  private migrate(create: boolean): void {
    const hasMeta = this.db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'").get() !== undefined;
    if (!hasMeta && !create)
      throw new HakoError('E_AGENT', 'the agent store is empty', 'set up the agent directory with `hako agent init`');
    this.db.transaction(() => {
      this.db.exec(SCHEMA);
      const row = this.db.prepare("SELECT value FROM meta WHERE key='schema'").get() as { value: Buffer | string } | undefined;
      if (!row) {
        this.db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
        this.db.prepare("INSERT INTO meta (key, value) VALUES ('check', ?)").run(this.cipher.seal(CHECK_AAD, CHECK_TEXT));
        return;
      }
      const version = Number(String(row.value));
      if (version > SCHEMA_VERSION) {
        throw new HakoError(
          'E_VERSION',
          `the agent store has schema ${version}; this hako reads ${SCHEMA_VERSION}`,
          'upgrade hako on this server',
        );
      }
      const check = this.db.prepare("SELECT value FROM meta WHERE key='check'").get() as { value: Buffer } | undefined;
      const opened = check && Buffer.isBuffer(check.value) ? this.cipher.open(CHECK_AAD, check.value) : null;
      if (!opened || !opened.equals(CHECK_TEXT)) {
        throw new HakoError(
          'E_WRONG_KEY',
          'the device key does not open this agent store',
          'the device.key file was replaced: restore the one the store was made with',
        );
      }
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ------------------------------------------------------------ environments

  /** Stores a new version of `env` with its values, makes it current and prunes old ones. */
  addVersion(env: string, hash: string, keyId: string, values: ReadonlyMap<string, string>, pin: readonly string[]): number {
    return this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO environments (env) VALUES (?)').run(env);
      const { next_version: version } = this.db.prepare('SELECT next_version FROM environments WHERE env = ?').get(env) as {
        next_version: number;
      };
      this.db
        .prepare('INSERT INTO versions (env, version, entry_hash, key_id, received_at) VALUES (?, ?, ?, ?, ?)')
        .run(env, version, hash, keyId, Date.now());
      const put = this.db.prepare('INSERT INTO secret_values (env, version, name, sealed) VALUES (?, ?, ?, ?)');
      for (const [name, value] of values)
        put.run(env, version, name, this.cipher.seal(valueAad(env, version, name), Buffer.from(value, 'utf8')));
      this.db
        .prepare('UPDATE environments SET current = ?, next_version = ?, pin = ? WHERE env = ?')
        .run(version, version + 1, JSON.stringify(pin), env);
      this.prune(env);
      return version;
    })();
  }

  /** The values of one stored version; throws when a value was changed or moved. */
  values(env: string, version: number): Map<string, string> {
    const rows = this.db
      .prepare('SELECT name, sealed FROM secret_values WHERE env = ? AND version = ? ORDER BY name')
      .all(env, version) as {
      name: string;
      sealed: Buffer;
    }[];
    if (rows.length === 0 && !this.version(env, version)) {
      throw new HakoError(
        'E_NO_ENV',
        `the agent has no version ${version} of environment '${env}'`,
        'push the environment again (hako sync)',
      );
    }
    const out = new Map<string, string>();
    for (const { name, sealed } of rows) {
      const bytes = this.cipher.open(valueAad(env, version, name), sealed);
      if (!bytes)
        throw new HakoError(
          'E_TAMPERED',
          `stored value ${name} of '${env}' (version ${version}) failed authentication`,
          'push the environment again (hako sync); if it repeats, the database was changed',
        );
      out.set(name, bytes.toString('utf8'));
    }
    return out;
  }

  version(env: string, version: number): VersionInfo | null {
    const r = this.db
      .prepare('SELECT env, version, entry_hash, key_id, received_at FROM versions WHERE env = ? AND version = ?')
      .get(env, version) as { env: string; version: number; entry_hash: string; key_id: string; received_at: number } | undefined;
    return r ? { env: r.env, version: r.version, hash: r.entry_hash, keyId: r.key_id, receivedAt: r.received_at } : null;
  }

  current(env: string): VersionInfo | null {
    const r = this.db.prepare('SELECT current FROM environments WHERE env = ?').get(env) as { current: number | null } | undefined;
    return r && r.current !== null ? this.version(env, r.current) : null;
  }

  pin(env: string): string[] | null {
    const r = this.db.prepare('SELECT pin FROM environments WHERE env = ?').get(env) as { pin: string | null } | undefined;
    return r && r.pin !== null ? (JSON.parse(r.pin) as string[]) : null;
  }

  /** Forgets the pinned chain of `env`: the next push is accepted as a first one (a person's decision). */
  forgetPin(env: string): boolean {
    return this.db.prepare('UPDATE environments SET pin = NULL WHERE env = ?').run(env).changes > 0;
  }

  environments(): EnvironmentInfo[] {
    const envs = this.db.prepare('SELECT env, current, pin FROM environments ORDER BY env').all() as {
      env: string;
      current: number | null;
      pin: string | null;
    }[];
    return envs.map((e) => ({
      env: e.env,
      current: e.current !== null ? this.version(e.env, e.current) : null,
      versions: (this.db.prepare('SELECT version FROM versions WHERE env = ? ORDER BY version').all(e.env) as { version: number }[]).map(
        (v) => v.version,
      ),
      pin: e.pin !== null ? (JSON.parse(e.pin) as string[]) : null,
    }));
  }

  /**
   * Undoes a version whose roll failed: `env` is current at `restore` again, and `failed` is
   * deleted unless some app still runs it. A local decision: no repository key is involved.
   */
  restoreVersion(env: string, failed: number, restore: number | null): void {
    this.db.transaction(() => {
      const cur = this.db.prepare('SELECT current FROM environments WHERE env = ?').get(env) as { current: number | null } | undefined;
      if (cur && cur.current === failed) this.db.prepare('UPDATE environments SET current = ? WHERE env = ?').run(restore, env);
      const used = this.db.prepare('SELECT 1 FROM apps WHERE json_extract(config, ?) = ? AND deployed = ?').get('$.env', env, failed);
      if (!used) this.db.prepare('DELETE FROM versions WHERE env = ? AND version = ?').run(env, failed);
    })();
  }

  private prune(env: string): void {
    const keep = this.db.prepare('SELECT version FROM versions WHERE env = ? ORDER BY version DESC LIMIT ?').all(env, this.keep) as {
      version: number;
    }[];
    if (keep.length < this.keep) return;
    const oldest = keep[keep.length - 1]!.version;
    this.db
      .prepare(
        `DELETE FROM versions WHERE env = ? AND version < ?
           AND version NOT IN (SELECT deployed FROM apps WHERE deployed IS NOT NULL AND json_extract(config, '$.env') = ?)`,
      )
      .run(env, oldest, env);
  }

  // ------------------------------------------------------------ apps

  putApp(name: string, config: unknown): void {
    this.db
      .prepare(
        'INSERT INTO apps (name, config, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at',
      )
      .run(name, JSON.stringify(config), Date.now());
  }

  removeApp(name: string): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM instances WHERE app = ?').run(name);
      return this.db.prepare('DELETE FROM apps WHERE name = ?').run(name).changes > 0;
    })();
  }

  apps(): AppRow[] {
    const rows = this.db.prepare('SELECT name, config, deployed, last_error, updated_at FROM apps ORDER BY name').all() as {
      name: string;
      config: string;
      deployed: number | null;
      last_error: string | null;
      updated_at: number;
    }[];
    return rows.map((r) => ({
      name: r.name,
      config: JSON.parse(r.config) as unknown,
      deployed: r.deployed,
      lastError: r.last_error,
      updatedAt: r.updated_at,
    }));
  }

  setDeployed(app: string, version: number | null, lastError: string | null): void {
    this.db.prepare('UPDATE apps SET deployed = ?, last_error = ?, updated_at = ? WHERE name = ?').run(version, lastError, Date.now(), app);
  }

  setLastError(app: string, lastError: string | null): void {
    this.db.prepare('UPDATE apps SET last_error = ?, updated_at = ? WHERE name = ?').run(lastError, Date.now(), app);
  }

  // ------------------------------------------------------------ instances

  addInstance(row: InstanceRow): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO instances (pid, app, slot, version, pgid, start_time, port, files_dir, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(row.pid, row.app, row.slot, row.version, row.pgid, row.startTime, row.port, row.filesDir, row.startedAt);
  }

  removeInstance(pid: number): void {
    this.db.prepare('DELETE FROM instances WHERE pid = ?').run(pid);
  }

  instances(): InstanceRow[] {
    const rows = this.db.prepare('SELECT * FROM instances ORDER BY app, slot, pid').all() as {
      pid: number;
      app: string;
      slot: number;
      version: number | null;
      pgid: number;
      start_time: string;
      port: number;
      files_dir: string | null;
      started_at: number;
    }[];
    return rows.map((r) => ({
      pid: r.pid,
      app: r.app,
      slot: r.slot,
      version: r.version,
      pgid: r.pgid,
      startTime: r.start_time,
      port: r.port,
      filesDir: r.files_dir,
      startedAt: r.started_at,
    }));
  }

  // ------------------------------------------------------------ events

  addEvent(kind: string, message: string, where: { app?: string; env?: string } = {}): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO events (at, app, env, kind, message) VALUES (?, ?, ?, ?, ?)')
        .run(Date.now(), where.app ?? null, where.env ?? null, kind, message);
      this.db.prepare('DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - ?').run(MAX_EVENTS);
    })();
  }

  events(limit: number, app?: string): EventRow[] {
    const rows = (
      app === undefined
        ? this.db.prepare('SELECT * FROM events ORDER BY id DESC LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM events WHERE app = ? ORDER BY id DESC LIMIT ?').all(app, limit)
    ) as EventRow[];
    return rows.reverse();
  }

  /** Runs PRAGMA integrity_check: "ok" for a sound database. */
  integrity(): string {
    const r = this.db.pragma('integrity_check', { simple: true });
    return String(r);
  }
}
