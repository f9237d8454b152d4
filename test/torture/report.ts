/**
 * Shared by the torture scenarios (test/torture/*.test.ts). Each scenario runs in its short form inside
 * `npm test` and in full under `npm run torture` (B2SYNC_TORTURE=full), and prints its figures as one
 * line `TORTURE {"scenario": ..., ...}` that docs/reliability.md quotes.
 */

/** True under `npm run torture`: scenarios use their full sizes (1,000 files, 20 kills, 60 s of load...). */
export const FULL = process.env.B2SYNC_TORTURE === 'full';

/** Picks the full-size or the short-form value of a parameter. */
export function size<T>(full: T, short: T): T {
  return FULL ? full : short;
}

/** Figures of one scenario run: files, bytes, faults injected by kind, retries, wall time... */
export type Figures = Record<string, number | string | boolean | Record<string, number>>;

/** Prints a scenario's figures as one machine-readable line. */
export function report(scenario: string, figures: Figures): void {
  console.log(`TORTURE ${JSON.stringify({ scenario, form: FULL ? 'full' : 'short', ...figures })}`);
}
