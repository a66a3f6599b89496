/**
 * How a child gets its values. A delivery says which variables the child gets,
 * whether it needs a pipe on fd 3, what to do once the child exists, and what to clean up.
 *
 * - env:   each value as a variable of the same name.
 * - fd3:   nothing but HAKO_SECRETS_FD=3 in the environment; the envelope is written into a
 *          pipe on fd 3 and hako closes its end, so the child reads to EOF.
 * - files: a private folder in memory (0700) with one 0400 file per value, HAKO_SECRETS_DIR
 *          and <NAME>_FILE in the environment, removed when the child ends; on disk only
 *          with allowDisk.
 */
import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
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

/**
 * `notice` is told when files go to disk (only with `allowDisk`, where no memory-backed
 * folder exists) and when leftovers of a killed run were swept.
 */
export function prepareDelivery(
  mode: DeliveryMode,
  env: string,
  secrets: ReadonlyMap<string, string>,
  processEnv: NodeJS.ProcessEnv,
  notice: (message: string) => void,
  opts: { allowDisk?: boolean } = {},
): Delivery {
  switch (mode) {
    case 'env':
      return { vars: secrets, fd3: false, started() {}, cleanup() {} };
    case 'fd3': {
      const envelope = encodeEnvelope(env, secrets);
      let pipe: Writable | null = null;
      return {
        vars: new Map([[ENVELOPE_FD_VAR, '3']]),
        fd3: true,
        started: (child) => {
          pipe = writeEnvelope(child, envelope);
        },
        // Once the child is gone, hako's end goes too, written or not: a grandchild that keeps
        // fd 3 open without reading must not keep hako waiting (nor alive) after the child.
        cleanup() {
          pipe?.destroy();
        },
      };
    }
    case 'files': {
      const { dir, vars } = writeSecretFiles(secrets, processEnv, { allowDisk: opts.allowDisk ?? false, notice });
      if (!dir.onTmpfs)
        notice(`--via files --allow-disk: no memory-backed folder here; the files are on disk in ${dir.path} until the program ends`);
      return { vars, fd3: false, started() {}, cleanup: () => dir.remove() };
    }
  }
}
