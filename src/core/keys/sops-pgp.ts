/**
 * PGP master keys of SOPS files, through the `gpg` binary (as SOPS itself does): `enc` is
 * an ASCII-armored OpenPGP message of the data key. gpg finds the secret key in the user's
 * keyring (GNUPGHOME) and asks gpg-agent for any passphrase. When gpg is not installed,
 * PGP keys are reported as unavailable, never as an error of the file.
 */
import { spawnSync } from 'node:child_process';
import { withoutKeyMaterial } from './key-material.js';

function gpgBinary(env: NodeJS.ProcessEnv): string {
  return env['SOPS_GPG_EXEC'] || 'gpg';
}

export class GpgMissingError extends Error {}

function run(env: NodeJS.ProcessEnv, args: string[], input: Uint8Array | string): Buffer {
  const r = spawnSync(gpgBinary(env), args, {
    input,
    env: withoutKeyMaterial(env),
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 1024 * 1024,
  });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new GpgMissingError('gpg is not installed');
    throw new Error(`cannot run gpg (${(r.error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (r.status !== 0) {
    const why = r.stderr
      .toString('utf8')
      .split('\n')
      .find((l) => /decryption failed|No secret key|public key not found|skipped/i.test(l));
    throw new Error(`gpg failed${why ? `: ${why.replace(/^gpg: /, '').slice(0, 120)}` : ` (exit ${r.status})`}`);
  }
  return r.stdout;
}

/** The payload of a PGP `enc`, or null when gpg has no secret key for it. */
export function gpgDecrypt(enc: string, env: NodeJS.ProcessEnv): Uint8Array | null {
  try {
    return new Uint8Array(run(env, ['--batch', '--quiet', '--no-tty', '--decrypt'], enc));
  } catch (err) {
    if (err instanceof GpgMissingError) return null;
    if (/No secret key/i.test((err as Error).message)) return null;
    throw err;
  }
}

/** Encrypts a payload to a fingerprint; the armored message, without a final newline (SOPS 3.13). */
export function gpgEncrypt(fingerprint: string, payload: Uint8Array, env: NodeJS.ProcessEnv): string {
  const out = run(
    env,
    ['--batch', '--quiet', '--no-tty', '--trust-model', 'always', '--armor', '--encrypt', '--recipient', fingerprint],
    payload,
  );
  return out.toString('utf8').replace(/\n+$/, '');
}
