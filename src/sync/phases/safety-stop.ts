/**
 * Safety stop, on the complete plan and before any change (dry runs too): in sync mode, a plan that
 * deletes anything while SRC is empty or missing, or that deletes more than half of DST, is refused
 * with SafetyStopError unless force.
 */
import { SafetyStopError } from '../errors.js';
import { describe } from '../sides.js';
import type { SyncRun } from '../sync-run.js';

export function safetyStop(run: SyncRun): void {
  const { deletions } = run;
  if (!run.sync || deletions === 0 || run.opts.force) return;
  const dstFiles = run.counts.dst.n;
  if (run.srcMissing || run.counts.src.n === 0) {
    const state = run.srcMissing ? 'missing' : run.filter.empty ? 'empty' : 'empty (after filters)';
    throw new SafetyStopError(
      `refusing to sync: the source ${describe(run.srcEp)} is ${state}, so every one of the ${dstFiles} files on the destination would be deleted; use --force to do it anyway`,
      deletions,
      dstFiles,
    );
  }
  if (deletions * 2 > dstFiles)
    throw new SafetyStopError(
      `refusing to sync: ${deletions} of the ${dstFiles} files on the destination ${describe(run.dstEp)} would be deleted (more than half); use --force to do it anyway`,
      deletions,
      dstFiles,
    );
}
