/**
 * The SOPS vectors in test/vectors/sops (real files written by sops 3.3–3.13, with the
 * keys their origin repositories publish; see its MANIFEST.md), and their expected reading.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers.js';

export const SOPS_VECTORS = join(REPO_ROOT, 'test', 'vectors', 'sops');

export interface Expected {
  file: string;
  format: 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';
  sops_version: string;
  data_key_hex: string;
  data_key_from: string;
  lastmodified: string;
  mac_ok: boolean;
  mac_plaintext: string;
  mac_only_encrypted: boolean;
  leaves: { path: string[]; aad: string; encrypted: boolean; type: string; value: unknown }[];
  comments: { aad: string; plaintext: string }[];
  plaintext: Record<string, unknown>;
}

export interface Vector {
  name: string;
  path: string;
  bytes: Buffer;
  expected: Expected;
  /** The age key file that opens it, if any. */
  ageKey: string | null;
}

const AGE_KEYS: Record<string, string> = {
  'sops-nix_secrets.yaml': 'sops-nix_age-keys.txt',
  'sops-age_secret.enc.yaml': 'sops-age_key.txt',
  'sops-age_secret.enc.json': 'sops-age_key.txt',
  'sops-age_secret.enc.env': 'sops-age_key.txt',
  'flux_algorithms-age.yaml': 'flux_age.txt',
  'flux_algorithms-age-pq.yaml': 'flux_age-pq.txt',
  'flux_global-secret.yaml': 'flux_age-global.txt',
  'flux_patches-merge1.yaml': 'flux_age.txt',
  'flux_envs-env.env': 'flux_age.txt',
  'flux_files-file.txt': 'flux_age.txt',
  'helm-secrets_secrets.age.yaml': 'helm-secrets_age-key.txt',
};

/** Vectors whose bytes are not as sops wrote them (reformatted by their origin repository). */
export const REFORMATTED = new Set(['sops-age_secret.enc.yaml', 'sops-age_secret.enc.json']);

export function loadVectors(): Vector[] {
  return readdirSync(join(SOPS_VECTORS, 'files'))
    .sort()
    .map((name) => {
      const path = join(SOPS_VECTORS, 'files', name);
      return {
        name,
        path,
        bytes: readFileSync(path),
        expected: JSON.parse(readFileSync(join(SOPS_VECTORS, 'expected', `${name}.json`), 'utf8')) as Expected,
        ageKey: AGE_KEYS[name] ? join(SOPS_VECTORS, 'keys', AGE_KEYS[name]!) : null,
      };
    });
}

/** The PGP secret key file that opens a PGP vector. */
export function pgpKeyFor(name: string): string {
  return join(SOPS_VECTORS, 'keys', name.startsWith('sops-nix_') ? 'sops-nix_pgp-key.asc' : 'sops_functional_tests_key.asc');
}
