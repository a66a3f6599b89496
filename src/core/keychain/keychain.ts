/**
 * The OS keychain, through @napi-rs/keyring (a maintained binding that ships prebuilt
 * binaries): the macOS Keychain, the Windows Credential Manager, and on Linux either the
 * Secret Service (GNOME Keyring, KWallet) or the kernel keyring (keyutils).
 *
 * The binding is an optional dependency and is loaded only here, the first time a keychain
 * is actually needed: commands that never touch the keychain never load native code.
 *
 * On Linux the binding, left to itself, falls back from the Secret Service to the kernel
 * keyring without saying so. hako never lets it choose: every entry is pinned to one store,
 * the store is recorded, and the kernel keyring (in memory, gone at reboot) is used only
 * when the person asks for it by name. Reading a store tells nothing about whether writing
 * works (a Secret Service without an unlocked collection answers "no entry"), so a store is
 * judged usable only after a probe entry was written, read back and deleted.
 */
import { randomBytes } from 'node:crypto';
import { HakoError } from '../errors.js';
import { displayText } from '../display.js';

/** Where an entry lives: one of Linux's two stores, or the platform's only keychain. */
export type KeychainStore = 'secret-service' | 'kernel' | 'os';

export const KEYCHAIN_STORES: readonly KeychainStore[] = ['secret-service', 'kernel', 'os'];

/** What a person may ask for: let hako pick the durable store, or name one (Linux). */
export type KeychainRequest = 'auto' | 'secret-service' | 'kernel';

/** How long one keychain call may take (an unlock dialog may be waiting for a person). */
const CALL_TIMEOUT_MS = 60_000;

interface AsyncEntryLike {
  setPassword(password: string, signal?: AbortSignal): Promise<void>;
  getPassword(signal?: AbortSignal): Promise<string | null>;
  deleteCredential(signal?: AbortSignal): Promise<boolean>;
}

interface Binding {
  AsyncEntry: new (service: string, account: string, options?: { linux?: { store?: 'secret-service' | 'keyutils' } }) => AsyncEntryLike;
  findCredentialsAsync(service: string, target?: string | null, signal?: AbortSignal): Promise<{ account: string; password: string }[]>;
}

let loaded: Promise<Binding> | undefined;

/** The binding, loaded once; a clear error when it is not installed for this platform. */
export function loadBinding(): Promise<Binding> {
  loaded ??= (async () => {
    try {
      const mod = (await import('@napi-rs/keyring')) as unknown as Binding & { default?: Binding };
      const b = mod.AsyncEntry ? mod : mod.default;
      if (!b?.AsyncEntry) throw new Error('no AsyncEntry');
      return b;
    } catch {
      throw new HakoError(
        'E_KEYCHAIN',
        `the keychain binding (@napi-rs/keyring) is not installed for this platform (${process.platform}-${process.arch})`,
        'install it beside hako (npm install @napi-rs/keyring; npm skips it where it has no prebuilt binary), or keep keys in key files (without --keychain)',
      );
    }
  })();
  return loaded;
}

/** The name people know a store by, for every message that says where a key went. */
export function backendName(store: KeychainStore): string {
  if (store === 'secret-service') return 'Secret Service';
  if (store === 'kernel') return 'kernel keyring';
  if (process.platform === 'darwin') return 'macOS Keychain';
  if (process.platform === 'win32') return 'Windows Credential Manager';
  return 'OS keychain';
}

/** One store of the OS keychain. Values are strings (keys are stored as base64 text). */
export class Keychain {
  readonly backend: string;

  constructor(
    readonly store: KeychainStore,
    private readonly binding: Binding,
    private readonly timeoutMs: number = CALL_TIMEOUT_MS,
  ) {
    this.backend = backendName(store);
  }

  private entry(service: string, account: string): AsyncEntryLike {
    const opts =
      this.store === 'secret-service'
        ? { linux: { store: 'secret-service' as const } }
        : this.store === 'kernel'
          ? { linux: { store: 'keyutils' as const } }
          : undefined;
    try {
      return new this.binding.AsyncEntry(service, account, opts);
    } catch (err) {
      throw this.failure('cannot reach', err);
    }
  }

  async get(service: string, account: string): Promise<string | null> {
    try {
      return await this.entry(service, account).getPassword(AbortSignal.timeout(this.timeoutMs));
    } catch (err) {
      throw this.failure('cannot read from', err);
    }
  }

  async set(service: string, account: string, value: string): Promise<void> {
    try {
      await this.entry(service, account).setPassword(value, AbortSignal.timeout(this.timeoutMs));
    } catch (err) {
      throw this.failure('cannot write to', err);
    }
  }

  /** True when an entry was deleted, false when there was none. */
  async delete(service: string, account: string): Promise<boolean> {
    try {
      return await this.entry(service, account).deleteCredential(AbortSignal.timeout(this.timeoutMs));
    } catch (err) {
      throw this.failure('cannot delete from', err);
    }
  }

  /**
   * The accounts stored under `service`, where the store can enumerate (not the kernel
   * keyring); null where it cannot.
   */
  async accounts(service: string): Promise<string[] | null> {
    if (this.store === 'kernel') return null;
    try {
      const found = await this.binding.findCredentialsAsync(service, null, AbortSignal.timeout(this.timeoutMs));
      return found.map((c) => c.account);
    } catch (err) {
      throw this.failure('cannot search', err);
    }
  }

  /**
   * Whether the store answers at all, without writing: looks up an entry that does not exist.
   * Nothing matches, so nothing asks to be unlocked; a locked keyring still answers.
   */
  async answers(): Promise<void> {
    await this.get(PROBE_SERVICE, `probe-${randomBytes(8).toString('hex')}`);
  }

  /** Writes, reads back and deletes a throw-away entry; throws with the store's own reason. */
  async probe(): Promise<void> {
    const account = `probe-${randomBytes(8).toString('hex')}`;
    const token = randomBytes(12).toString('base64');
    await this.set(PROBE_SERVICE, account, token);
    const back = await this.get(PROBE_SERVICE, account);
    await this.delete(PROBE_SERVICE, account);
    if (back !== token) {
      throw new HakoError('E_KEYCHAIN', `the ${this.backend} did not give back what was written to it`, 'check the keychain service');
    }
  }

  private failure(what: string, err: unknown): HakoError {
    if (err instanceof HakoError) return err;
    return new HakoError('E_KEYCHAIN', `${what} the ${this.backend}: ${reasonOf(err, this.timeoutMs)}`, hintFor(this.store));
  }
}

const PROBE_SERVICE = 'hako-probe';

/** The binding's own reason, one line, without anything but its text. */
export function reasonOf(err: unknown, timeoutMs: number = CALL_TIMEOUT_MS): string {
  if (err instanceof HakoError) return err.message;
  const e = err as { name?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return displayText(msg.split('\n')[0]!.replace(/^Platform failure: /, ''), 200);
}

function hintFor(store: KeychainStore): string {
  if (store === 'secret-service')
    return 'the Secret Service needs a D-Bus session (DBUS_SESSION_BUS_ADDRESS) and an unlocked keyring (GNOME Keyring, KWallet)';
  if (store === 'kernel') return 'the kernel keyring needs a session keyring this user can write (keyctl session)';
  return 'unlock the keychain, or check that this session can reach it';
}

/** The store an entry was recorded in, opened without a probe (for reading and deleting). */
export async function openKeychain(store: KeychainStore): Promise<Keychain> {
  if (process.platform !== 'linux' && store !== 'os') {
    throw new HakoError(
      'E_KEYCHAIN',
      `this entry was stored in the ${backendName(store)}, which exists only on Linux`,
      'import the key again on this machine',
    );
  }
  if (process.platform === 'linux' && store === 'os') {
    throw new HakoError('E_KEYCHAIN', "this entry was stored in another platform's keychain", 'import the key again on this machine');
  }
  return new Keychain(store, await loadBinding());
}

/**
 * The keychain to store something new in, checked by a probe before anything changes.
 * On Linux `auto` means the Secret Service: when only the kernel keyring answers, this
 * refuses and says how to choose it on purpose, because keys there are gone at reboot.
 */
export async function chooseKeychain(request: KeychainRequest): Promise<Keychain> {
  if (process.platform !== 'linux') {
    if (request !== 'auto') {
      throw new HakoError('E_USAGE', `--keychain-store ${request} exists only on Linux`, 'leave it out: this platform has one keychain');
    }
    const kc = new Keychain('os', await loadBinding());
    await kc.probe();
    return kc;
  }
  const binding = await loadBinding();
  if (request === 'kernel') {
    const kc = new Keychain('kernel', binding);
    await kc.probe();
    return kc;
  }
  const ss = new Keychain('secret-service', binding);
  try {
    await ss.probe();
    return ss;
  } catch (err) {
    if (request === 'secret-service' || !(err instanceof HakoError)) throw err;
    const kernel = new Keychain('kernel', binding);
    let kernelWorks = true;
    try {
      await kernel.probe();
    } catch {
      kernelWorks = false;
    }
    if (kernelWorks) {
      throw new HakoError(
        'E_KEYCHAIN',
        `no Secret Service answered (${err.message.replace(/^cannot write to the Secret Service: /, '')}); only the kernel keyring is usable here, and it forgets keys at reboot`,
        'start a keyring (GNOME Keyring, KWallet) in a D-Bus session, or, to keep the key in the kernel keyring anyway, add --keychain-store kernel and keep another copy (hako key export)',
      );
    }
    throw new HakoError(
      'E_KEYCHAIN',
      `no keychain is usable here: ${err.message}; the kernel keyring is not writable either`,
      `${hintFor('secret-service')}; or keep the key in a key file (without --keychain)`,
    );
  }
}

/** What this machine offers as a keychain, as far as can be told without asking anyone. */
export interface KeychainStatus {
  /** Whether a keychain answered here. */
  usable: boolean;
  store: KeychainStore | null;
  /** The backend that answered ("Secret Service", "kernel keyring", …), or null. */
  backend: string | null;
  /** False for the kernel keyring (memory only); null when none answered. */
  durable: boolean | null;
  /** Why the preferred store did not answer, when it did not. */
  reason: string | null;
}

/**
 * Which keychain answers here, cheaply and without a prompt: the Secret Service (or the
 * platform's keychain) is only asked for an entry that does not exist, which never pops up
 * an unlock dialog, so a locked keyring counts as answering; on Linux, when it does not
 * answer, the kernel keyring gets the full write-read-delete probe (it has no dialogs and
 * lives in memory). Each call gives up after `timeoutMs`.
 */
export async function keychainStatus(timeoutMs: number): Promise<KeychainStatus> {
  let binding: Binding;
  try {
    binding = await loadBinding();
  } catch (err) {
    return { usable: false, store: null, backend: null, durable: null, reason: reasonOf(err) };
  }
  const first = new Keychain(process.platform === 'linux' ? 'secret-service' : 'os', binding, timeoutMs);
  let reason: string;
  try {
    await first.answers();
    return { usable: true, store: first.store, backend: first.backend, durable: true, reason: null };
  } catch (err) {
    reason = reasonOf(err, timeoutMs);
  }
  if (process.platform === 'linux') {
    const kernel = new Keychain('kernel', binding, timeoutMs);
    try {
      await kernel.probe();
      return { usable: true, store: 'kernel', backend: kernel.backend, durable: false, reason };
    } catch (err) {
      reason = `${reason}; ${reasonOf(err, timeoutMs)}`;
    }
  }
  return { usable: false, store: null, backend: null, durable: null, reason };
}
