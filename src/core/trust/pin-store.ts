/**
 * Pins: which key chain this machine last accepted for each environment of each checkout.
 *
 * Kept outside the repository, in $HAKO_HOME/trust/<id>.json, one file per checkout (id:
 * SHA-256 of the checkout's real path), so nothing a repository writer commits can change
 * them. An environment whose entry has no chain yet (a format-1 file) is pinned by key id.
 * Writes are atomic under a lock: two hako processes opening at once both end with a pin.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HakoError } from '../errors.js';
import { ENV_NAME, KEY_ID } from '../names.js';
import { hakoHome } from '../home.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { withFileLock } from '../fs/lock.js';
import { isJsonObject, parseStrictJson } from '../formats/strict-json.js';
import { parseChainLink } from '../formats/chain-link.js';

export interface Pin {
  keyId: string;
  /** The accepted chain (link texts), or [] for an environment that has none yet. */
  chain: string[];
  /** When it was accepted (ISO time), for `hako trust`. */
  at: string;
}

export interface CheckoutPins {
  root: string;
  environments: Map<string, Pin>;
}

export function pinFilePath(root: string, env: NodeJS.ProcessEnv): string {
  const id = createHash('sha256').update(root).digest('hex').slice(0, 32);
  return join(hakoHome(env), 'trust', `${id}.json`);
}

/** The pins of one checkout; none when the file does not exist. A damaged file is an error. */
export function readPins(root: string, env: NodeJS.ProcessEnv): CheckoutPins {
  const path = pinFilePath(root, env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { root, environments: new Map() };
    throw new HakoError('E_IO', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check $HAKO_HOME is readable');
  }
  const damaged = () =>
    new HakoError(
      'E_FORMAT',
      `the trust pins in ${path} are damaged`,
      `remove the file to start over (hako trust forget), then open each environment again`,
    );
  let root0: ReturnType<typeof parseStrictJson>;
  try {
    root0 = parseStrictJson(text, path);
  } catch {
    throw damaged();
  }
  const envs = isJsonObject(root0) && root0['version'] === 1 ? root0['environments'] : undefined;
  if (!isJsonObject(envs)) throw damaged();
  const out: CheckoutPins = { root, environments: new Map() };
  for (const [name, v] of Object.entries(envs)) {
    if (!ENV_NAME.test(name) || !isJsonObject(v)) throw damaged();
    const { key_id: keyId, chain, at } = v;
    if (typeof keyId !== 'string' || !KEY_ID.test(keyId) || typeof at !== 'string' || !Array.isArray(chain)) throw damaged();
    if (!chain.every((l) => typeof l === 'string' && parseChainLink(l) !== null)) throw damaged();
    out.environments.set(name, { keyId, chain: chain as string[], at });
  }
  return out;
}

/** Applies `change` to the freshest pins of a checkout, under a lock, and saves them. */
export async function updatePins(root: string, env: NodeJS.ProcessEnv, change: (pins: CheckoutPins) => void): Promise<void> {
  const path = pinFilePath(root, env);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new HakoError(
      'E_IO',
      `cannot create ${dirname(path)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      'check $HAKO_HOME is writable',
    );
  }
  await withFileLock(path, () => {
    const pins = readPins(root, env);
    change(pins);
    const environments: Record<string, unknown> = {};
    for (const [name, pin] of [...pins.environments].sort(([a], [b]) => (a < b ? -1 : 1))) {
      environments[name] = { at: pin.at, chain: pin.chain, key_id: pin.keyId };
    }
    writeFileAtomic(path, `${JSON.stringify({ environments, root, version: 1 }, null, 2)}\n`, { mode: 0o600, dirMode: 0o700 });
  });
}
