/**
 * The variables that carry key material: hako reads them, and never passes them to any
 * program it starts (an editor, `hako run`'s child, SOPS_AGE_KEY_CMD, gh, wrangler).
 *
 * The rule is a pattern, so a variable a later feature adds is covered the day it appears:
 * every `HAKO_` name with a word (between underscores) that names key material: KEY, KEYS,
 * PASSPHRASE, PASSWORD, PASSWD, PASS, PIN, SECRET, TOKEN, SEED, PRIVATE, IDENTITY,
 * IDENTITIES, CREDENTIAL(S). `HAKO_KEY`, `HAKO_PASSPHRASE_<ENV>`, `HAKO_NEW_PASSPHRASE`,
 * `HAKO_AGE_KEY` and a future `HAKO_PACKAGE_PASSWORD` all match. Not matched, and so passed
 * on: `HAKO_SECRETS_FD` and `HAKO_SECRETS_DIR` (the pointers a delivery sets; "SECRETS" is
 * not in the list), `HAKO_ENV`, `HAKO_HOME`, `HAKO_TRUST_<ENV>` (a public pin). And sops's
 * own: `SOPS_AGE_KEY*`, `SOPS_AGE_SSH_PRIVATE_KEY_FILE`; and `RUNNER_SECRETS_KEY`, which
 * opens the local runner mirror.
 */

const KEY_WORDS: ReadonlySet<string> = new Set([
  'KEY',
  'KEYS',
  'PASSPHRASE',
  'PASSPHRASES',
  'PASSWORD',
  'PASSWORDS',
  'PASSWD',
  'PASS',
  'PIN',
  'SECRET',
  'TOKEN',
  'TOKENS',
  'SEED',
  'PRIVATE',
  'IDENTITY',
  'IDENTITIES',
  'CREDENTIAL',
  'CREDENTIALS',
]);

export function isKeyMaterialVar(name: string): boolean {
  const upper = name.toUpperCase();
  if (upper.startsWith('SOPS_AGE_KEY') || upper === 'SOPS_AGE_SSH_PRIVATE_KEY_FILE' || upper === 'RUNNER_SECRETS_KEY') return true;
  if (!upper.startsWith('HAKO_')) return false;
  return upper
    .slice(5)
    .split('_')
    .some((word) => KEY_WORDS.has(word));
}

export function withoutKeyMaterial(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!isKeyMaterialVar(k)) out[k] = v;
  return out;
}
