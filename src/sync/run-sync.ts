/**
 * runSync: a one-way run as named phases over one state object (SyncRun, sync-run.ts):
 *
 * 1. plan (phases/plan.ts): march → compare → plan entries into the spool; 'plan' events.
 * 2. safety stop (phases/safety-stop.ts): SRC empty/missing or more than half of DST deleted.
 * 3. type changes (phases/execute.ts): deletions in the way of a file ↔ folder change, first.
 * 4. transfers: with deleteMode 'during', deletions in plan order too.
 * 5. late deletions: deleteMode 'after', only when every transfer succeeded.
 * 6. summary: --max-delete refusals, elapsed time.
 *
 * The scheduler (scheduler.ts) bounds what runs at once, apart from the phases. Reuse: watch runs
 * planPhase on listings restricted to the changed paths (bisync has its own planner and executor,
 * sync/bisync/). See docs/sync.md, "How a run is built".
 */
import { planPhase, openListings } from './phases/plan.js';
import { safetyStop } from './phases/safety-stop.js';
import {
  lateDeletePhase,
  prepareExecution,
  reportRefusedDeletes,
  transferPhase,
  typeChangePhase,
} from './phases/execute.js';
import { SyncRun } from './sync-run.js';
import type { SyncEndpoint, SyncOptions, SyncSummary } from './types.js';

export { DEFAULT_TRANSFERS, DEFAULT_CHECKERS } from './sync-run.js';

export async function runSync(srcEp: SyncEndpoint, dstEp: SyncEndpoint, opts: SyncOptions): Promise<SyncSummary> {
  const run = await SyncRun.open(srcEp, dstEp, opts);
  await run.openHashing();
  await planPhase(run, openListings(run));
  try {
    safetyStop(run);
    if (opts.dryRun) return run.finish();
    const deletionsAllowed = await prepareExecution(run);
    await typeChangePhase(run, deletionsAllowed);
    await transferPhase(run, deletionsAllowed);
    await lateDeletePhase(run, deletionsAllowed);
    reportRefusedDeletes(run);
    return run.finish();
  } finally {
    await run.dispose();
  }
}
