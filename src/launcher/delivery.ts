/**
 * How a child gets its values. A delivery says which variables the child gets,
 * whether it needs a pipe on fd 3, what to do once the child exists, and what to clean up.
 *
 * - env:   each value as a variable of the same name.
 * - fd3:   nothing but HAKO_SECRETS_FD=3 in the environment; the envelope is written into a
 *          pipe on fd 3 and hako closes its end, so the child reads to EOF.
 * - files: a private tmpfs folder (0700) with one 0400 file per value, HAKO_SECRETS_DIR and
 *          <NAME>_FILE in the environment, removed when the child ends.
 */
import type { ChildProcess } from 'node:child_process';
import { ENVELOPE_FD_VAR, encodeEnvelope } from './envelope.js';
import { writeEnvelope } from './fd3-writer.js';
import { writeSecretFiles } from './files-delivery.js';

export const DELIVERY_MODES = ['env', 'fd3', 'files'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

export interface Delivery {
  /** Variables to add to the child's environment (after key material is removed). */
  vars: ReadonlyMap<string, string>;
  /** True when the child needs a pipe on fd 3. */
  fd3: boolean;
  /** Called once the child has started. */
  started(child: ChildProcess): void;
  /** Removes whatever the delivery left behind; idempotent, safe in signal handlers. */
  cleanup(): void;
}

/** `notice` is told when files cannot be kept in memory (no tmpfs here) and go to disk. */
export function prepareDelivery(
  mode: DeliveryMode,
  env: string,
  secrets: ReadonlyMap<string, string>,
  processEnv: NodeJS.ProcessEnv,
  notice: (message: string) => void,
): Delivery {
  switch (mode) {
    case 'env':
      return { vars: secrets, fd3: false, started() {}, cleanup() {} };
    case 'fd3': {
      const envelope = encodeEnvelope(env, secrets);
      return {
        vars: new Map([[ENVELOPE_FD_VAR, '3']]),
        fd3: true,
        started: (child) => writeEnvelope(child, envelope),
        cleanup() {},
      };
    }
    case 'files': {
      const { dir, vars } = writeSecretFiles(secrets, processEnv);
      if (!dir.onTmpfs)
        notice(
          `--via files: no memory-backed folder here (set XDG_RUNTIME_DIR); the files are on disk in ${dir.path} until the program ends`,
        );
      return { vars, fd3: false, started() {}, cleanup: () => dir.remove() };
    }
  }
}
