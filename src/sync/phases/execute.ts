/**
 * Execution phases over the sealed plan spool (not run in a dry run): type changes (deletions in the
 * way of a file ↔ folder change, before any transfer), transfers (with deletions when deleteMode is
 * 'during'), late deletions (deleteMode 'after', only when every transfer succeeded), and the report
 * of deletions refused by --max-delete. Items go through the run's scheduler.
 */
import { mkdir } from 'node:fs/promises';
import { throwIfAborted } from '../../core/abort.js';
import { isAbortError } from '../../core/errors.js';
import { DEFAULTS, type TransferTuning } from '../../transfer/index.js';
import type { PlanItem } from '../compare.js';
import { deleteItem, pruneEmptyDirs, transferItem } from '../execute.js';
import { describe } from '../sides.js';
import type { SyncRun } from '../sync-run.js';

/** Local paths kept for pruning empty folders: bounded, so memory stays flat. */
const MAX_PRUNE_PATHS = 100_000;

/** Size from which a transfer runs several parts (or streams) at once. */
function largeCutoffFor(run: SyncRun): number {
  const tuning = run.opts.tuning as (TransferTuning & { largeCopyCutoff?: number }) | undefined;
  if (run.transferAction === 'upload') return tuning?.largeFileCutoff ?? DEFAULTS.largeFileCutoff;
  if (run.transferAction === 'download') return tuning?.downloadParallelCutoff ?? DEFAULTS.downloadParallelCutoff;
  return tuning?.largeCopyCutoff ?? DEFAULTS.largeCopyCutoff;
}

async function runItem(run: SyncRun, it: PlanItem): Promise<void> {
  run.emit({ type: 'start', action: it.action });
  try {
    if (it.action.action === 'delete') {
      await deleteItem(it, run.exec);
      run.summary.deleted++;
      const localPath = run.dst.kind === 'local' ? it.dst?.localPath : undefined;
      if (localPath && run.deletedLocal.length < MAX_PRUNE_PATHS) run.deletedLocal.push(localPath);
    } else {
      const bytes = await transferItem(it, run.exec);
      run.summary.transferred.files++;
      run.summary.transferred.bytes += bytes;
    }
    run.emit({ type: 'done', action: it.action });
  } catch (e) {
    if (it.action.action !== 'delete') run.transferFailures++;
    if (run.signal?.aborted && isAbortError(e)) return;
    run.onItemError?.(it.action.path, e);
    const message = e instanceof Error ? e.message : String(e);
    run.error(it.action.path, `${it.action.action}: ${message}`);
  }
}

function schedule(run: SyncRun, it: PlanItem, largeCutoff: number): Promise<void> {
  const large = it.action.action !== 'delete' && (it.action.size ?? 0) >= largeCutoff;
  return run.scheduler.schedule(large, () => runItem(run, it));
}

/** Schedule a deletion unless --max-delete is reached (then it is only counted). */
async function scheduleDelete(run: SyncRun, it: PlanItem): Promise<void> {
  const max = run.opts.maxDelete;
  if (max !== undefined && run.deletesStarted >= max) {
    run.deletesRefused++;
    return;
  }
  run.deletesStarted++;
  await schedule(run, it, Infinity);
}

async function drain(run: SyncRun): Promise<void> {
  await run.scheduler.drain();
  throwIfAborted(run.signal);
}

/**
 * Seal the plan and make the local destination root. Returns whether deletions may run: none at all
 * when part of the source could not be read (its destination copies would look like extras).
 */
export async function prepareExecution(run: SyncRun): Promise<boolean> {
  await run.spool.seal();
  if (run.dst.kind === 'local' && run.spool.count > 0) await mkdir(run.dst.root, { recursive: true });
  if (run.srcIncomplete > 0 && run.deletions > 0) {
    const message = `${run.deletions} deletion(s) not done because ${run.srcIncomplete} source item(s) could not be read`;
    run.warnError(describe(run.srcEp), message);
    return false;
  }
  return true;
}

/** File ↔ folder changes on a local destination: clear the way before any transfer. */
export async function typeChangePhase(run: SyncRun, deletionsAllowed: boolean): Promise<void> {
  if (!deletionsAllowed || !run.typeChanges || run.typeChanges.earlyCount === 0 || run.dst.kind !== 'local') return;
  const early: string[] = [];
  for await (const it of run.spool.items()) {
    if (run.signal?.aborted) break;
    if (!it.early) continue;
    await scheduleDelete(run, it);
    if (it.dst?.localPath && early.length < MAX_PRUNE_PATHS) early.push(it.dst.localPath);
  }
  await drain(run);
  for (const p of early) await pruneEmptyDirs(run.dst.root, p);
}

function deleteDuring(run: SyncRun): boolean {
  return (run.opts.deleteMode ?? 'after') === 'during';
}

/** Every transfer, and with deleteMode 'during' the (non-early) deletions, in plan order. */
export async function transferPhase(run: SyncRun, deletionsAllowed: boolean): Promise<void> {
  const during = deleteDuring(run) && deletionsAllowed;
  const largeCutoff = largeCutoffFor(run);
  for await (const it of run.spool.items()) {
    if (run.signal?.aborted) break;
    if (run.renamedPaths.size > 0 && run.renamedPaths.has(it.action.path)) continue;
    if (it.action.action !== 'delete') await schedule(run, it, largeCutoff);
    else if (during && !it.early) await scheduleDelete(run, it);
  }
  await drain(run);
}

/** deleteMode 'after': the remaining deletions, only when every transfer succeeded. */
export async function lateDeletePhase(run: SyncRun, deletionsAllowed: boolean): Promise<void> {
  const late = run.deletions - (run.typeChanges?.earlyCount ?? 0);
  if (!run.sync || deleteDuring(run) || late <= 0 || !deletionsAllowed) return;
  if (run.transferFailures > 0) {
    const message = `${late} deletion(s) not done because ${run.transferFailures} transfer(s) failed (deletions happen only after every transfer succeeded)`;
    run.warnError(describe(run.dstEp), message);
    return;
  }
  for await (const it of run.spool.items()) {
    if (run.signal?.aborted) break;
    if (run.renamedPaths.size > 0 && run.renamedPaths.has(it.action.path)) continue;
    if (it.action.action === 'delete' && !it.early) await scheduleDelete(run, it);
  }
  await drain(run);
  if (run.dst.kind === 'local' && !run.opts.createEmptySrcDirs)
    for (const p of run.deletedLocal) await pruneEmptyDirs(run.dst.root, p);
}

/** Deletions that --max-delete refused: one error naming how many. */
export function reportRefusedDeletes(run: SyncRun): void {
  if (run.deletesRefused === 0) return;
  run.error(
    describe(run.dstEp),
    `--max-delete ${run.opts.maxDelete} reached: ${run.deletesRefused} file(s) not deleted`,
  );
}
