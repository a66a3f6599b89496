/** HAKO_KEY: one or more key bundles in an environment variable, the CI way in. */
import { HakoError } from '../errors.js';
import { parseKeyBundleList, type KeyBundle } from '../formats/key-bundle.js';
import type { KeyAnswer, KeyContext, KeySource, KeyTarget } from './key-source.js';

export class BundleEnvSource implements KeySource {
  readonly kind = 'bundle-env' as const;
  private bundles: KeyBundle[] | undefined;

  constructor(private readonly ctx: KeyContext) {}

  async find(target: KeyTarget): Promise<KeyAnswer> {
    const raw = this.ctx.env['HAKO_KEY'];
    if (!raw || raw.trim() === '') return { missed: 'HAKO_KEY is not set' };
    if (!this.bundles) {
      try {
        this.bundles = parseKeyBundleList(raw);
      } catch (err) {
        const e = err as HakoError;
        throw new HakoError(
          e.code,
          `HAKO_KEY: ${e.message}`,
          'set HAKO_KEY to the output of `hako key export` (several may be separated by commas)',
        );
      }
    }
    const mine = this.bundles.find((b) => b.keyId === target.keyId);
    if (!mine) return { missed: `HAKO_KEY holds no bundle for key id ${target.keyId}` };
    return { key: Buffer.from(mine.key), label: 'HAKO_KEY' };
  }
}
