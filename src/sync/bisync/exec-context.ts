/** What bisync's operations (local-ops.ts, remote-ops.ts, conflict-ops.ts) share while a plan runs. */
import type { ExecContext } from '../execute.js';
import type { Side } from '../sides.js';
import type { TransferTuning, Progress } from '../../transfer/index.js';
import type { LocalNames } from './local-names.js';

export type LocalSide = Extract<Side, { kind: 'local' }>;
export type B2Side = Extract<Side, { kind: 'b2' }>;

export interface BisyncExec {
  local: LocalSide;
  remote: B2Side;
  /** sync's contexts for each direction (transferItem / deleteItem). */
  up: ExecContext;
  down: ExecContext;
  names: LocalNames;
  hardDelete: boolean;
  tuning?: TransferTuning;
  signal?: AbortSignal;
  /** Something was left alone on purpose (it changed since the listing): a 'note' event. */
  note(item: string, message: string): void;
  onProgress(path: string, p: Progress): void;
  /** Bytes moved each way (conflicts move bytes too). */
  moved: { up: { files: number; bytes: number }; down: { files: number; bytes: number } };
  /** Local files removed or moved away (bounded), for pruning the folders they leave empty. */
  vacated: string[];
  /** Folders an empty-folder marker from B2 made or kept in this run: not pruned. */
  markerDirs: Set<string>;
}

/** Local paths kept for pruning empty folders: bounded, so memory stays flat. */
export const MAX_VACATED = 100_000;

export function vacate(cx: BisyncExec, path: string): void {
  if (cx.vacated.length < MAX_VACATED) cx.vacated.push(path);
}
