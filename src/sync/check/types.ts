/** Public shapes of `check`: options, events, summary. Plain data. */
import type { FilterRules } from '../filter-rules.js';

export interface CheckOptions {
  /** Only look from SRC to DST: files only on DST are not reported. */
  oneWay?: boolean;
  /** Compare the bytes of every pair of the same size (reading B2 files in full) instead of SHA-1s. */
  download?: boolean;
  filters?: FilterRules;
  /** Pairs compared (hashed or read) in parallel; default 8. */
  checkers?: number;
  /** Where local SHA-1s are cached between runs (shared with sync --checksum); no cache when absent. */
  hashCacheDir?: string;
  signal?: AbortSignal;
  onEvent?: (e: CheckEvent) => void;
  /** Clock for age filters (tests); default Date.now(). */
  now?: number;
}

export type DifferenceKind = 'missing-on-destination' | 'missing-on-source' | 'differ';

export type CheckEvent =
  | { type: 'difference'; kind: DifferenceKind; path: string; reason: string; srcSize?: number; dstSize?: number }
  | { type: 'match'; path: string; by: 'sha1' | 'bytes' | 'size' }
  | { type: 'note'; item: string; message: string }
  | { type: 'warning'; item?: string; message: string }
  | { type: 'error'; item: string; message: string };

export interface CheckSummary {
  /** Pairs found equal by SHA-1 (or by bytes with download). */
  matching: number;
  /** Pairs of the same size that could not be compared further (no SHA-1 known on B2). */
  sizeOnly: number;
  missingOnSource: number;
  missingOnDestination: number;
  differing: number;
  /** Items that could not be listed or compared. */
  errors: number;
  /** Local files read for their SHA-1 (cache misses). */
  hashed: number;
  elapsedMs: number;
}

/** Differences found (missing on either side, or differing). */
export function differences(s: CheckSummary): number {
  return s.missingOnSource + s.missingOnDestination + s.differing;
}
