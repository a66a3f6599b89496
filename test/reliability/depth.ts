/**
 * How hard the reliability suite pushes, and what it reports.
 *
 * `npm test` runs every area with small case counts; `npm run test:deep` sets HAKO_DEEP=1 for
 * the full counts (10,000+ generated cases per parser, the whole tamper matrix, 200 SIGKILLs)
 * and HAKO_SUMMARY_FILE, where each area appends one JSON line that scripts/test-deep.mjs
 * prints as "area: N cases, F failures". HAKO_FUZZ_SEED replays a fast-check run.
 */
import { appendFileSync } from 'node:fs';

export const DEEP = process.env['HAKO_DEEP'] === '1';

/** The case count for an area: `fast` inside npm test, `deep` in the deep run. */
export function cases(fast: number, deep: number): number {
  return DEEP ? deep : fast;
}

/** fast-check parameters shared by every property (a fixed seed when one is given). */
export function fcParams(numRuns: number): { numRuns: number; seed?: number; endOnFailure: boolean } {
  const seed = Number(process.env['HAKO_FUZZ_SEED']);
  return Number.isInteger(seed) ? { numRuns, seed, endOnFailure: true } : { numRuns, endOnFailure: true };
}

export interface AreaResult {
  area: string;
  tried: number;
  failures: number;
  note?: string;
}

/** Records one area's figures for the deep run's summary (and shows them in the test log). */
export function recordArea(r: AreaResult): void {
  const file = process.env['HAKO_SUMMARY_FILE'];
  if (file) appendFileSync(file, `${JSON.stringify(r)}\n`);
  console.log(`[reliability] ${r.area}: ${r.tried} cases, ${r.failures} failures${r.note ? ` (${r.note})` : ''}`);
}

/** fast-check's report plus the error the failing case threw (its report omits it without shrinking). */
export function failureReport(d: { errorInstance: unknown; counterexample: unknown }, report: string | undefined): string {
  const e = d.errorInstance as Error | null;
  return `${report ?? 'property failed'}\nError: ${e?.message ?? String(e)}`;
}
