/**
 * Name rules from the format: environment names are lower-case words, secret names are
 * upper-case identifiers that work as environment variable names everywhere.
 */
import { HakoError } from './errors.js';
import { displayName } from './display.js';

export const ENV_NAME = /^[a-z][a-z0-9-]{0,62}$/;
export const SECRET_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;
export const KEY_ID = /^[0-9a-f]{16}$/;

export function assertEnvName(name: string): string {
  if (!ENV_NAME.test(name)) {
    throw new HakoError(
      'E_INVALID_NAME',
      `invalid environment name ${displayName(name)}`,
      'environment names are lower-case letters, digits and "-", starting with a letter (at most 63)',
    );
  }
  return name;
}

export function assertSecretName(name: string): string {
  if (!SECRET_NAME.test(name)) {
    throw new HakoError(
      'E_INVALID_NAME',
      `invalid secret name ${displayName(name)}`,
      'secret names are upper-case letters, digits and "_", not starting with a digit (at most 128), e.g. DATABASE_URL',
    );
  }
  return name;
}
