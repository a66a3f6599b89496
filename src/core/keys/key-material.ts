/**
 * The variables that carry key material: hako reads them, and never passes them to any
 * program it starts (an editor, `hako run`'s child, SOPS_AGE_KEY_CMD, gh, wrangler).
 * RUNNER_SECRETS_KEY opens the local runner mirror.
 */

export function isKeyMaterialVar(name: string): boolean {
  return (
    name === 'HAKO_KEY' ||
    name.startsWith('HAKO_PASSPHRASE') ||
    name === 'HAKO_PACKAGE_PASSWORD' ||
    name === 'HAKO_AGE_KEY' ||
    name.startsWith('SOPS_AGE_KEY') ||
    name === 'RUNNER_SECRETS_KEY'
  );
}

export function withoutKeyMaterial(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!isKeyMaterialVar(k)) out[k] = v;
  return out;
}
