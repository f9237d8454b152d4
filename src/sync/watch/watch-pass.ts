/**
 * One pass of a watch run: a SyncRun over the whole trees (the first pass, a --poll or --rescan tick,
 * an overflow) or over the paths a batch named (restricted-listings.ts), through the phases runSync
 * uses, in its order: plan, safety stop, type changes, transfers, late deletions, refused deletions.
 * A restricted pass checks the safety stop against the sizes of the whole trees as the last full pass
 * counted them, so deleting one file of many is not "the source is empty". An item that failed
 * because the endpoint is away fails the pass (Outage retries it); other failures are reported.
 */
import { childSignal } from '../../core/abort.js';
import { localRootState } from '../remotes/local.js';
import { openListings, planPhase } from '../phases/plan.js';
import { safetyStop } from '../phases/safety-stop.js';
import {
  lateDeletePhase,
  prepareExecution,
  reportRefusedDeletes,
  transferPhase,
  typeChangePhase,
} from '../phases/execute.js';
import { missingSource, type Side } from '../sides.js';
import { DEFAULT_TRANSFERS, SyncRun } from '../sync-run.js';
import type { SyncEndpoint, SyncEvent, SyncOptions, SyncSummary } from '../types.js';
import type { Outage } from './outage.js';
import type { PendingWork } from './pending.js';
import { restrictedListings } from './restricted-listings.js';

export interface PassContext {
  srcEp: SyncEndpoint;
  dstEp: SyncEndpoint;
  src: Side;
  dst: Side;
  /** The sync options of every pass (onEvent is given per pass). */
  opts: SyncOptions;
  outage: Outage;
  /** Files on each side as the last full pass counted them, adjusted by the passes since. */
  totals: { src: number; dst: number };
}

/** A local side's state now (its root may have been removed or made since the last pass). */
async function current(side: Side): Promise<Side> {
  if (side.kind !== 'local') return side;
  const state = await localRootState(side.root);
  if (state === 'not-dir') throw new Error(`${side.root} is no longer a folder`);
  return { ...side, state };
}

/** The thrown form of an item that failed because the endpoint is away. */
class ItemOutage extends Error {
  constructor(path: string, cause: unknown) {
    super(`${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ItemOutage';
  }
}

async function planned(pc: PassContext, run: SyncRun, work: PendingWork): Promise<void> {
  await run.openHashing();
  await planPhase(run, work.full ? openListings(run) : await restrictedListings(run, work.paths.keys()));
  if (!work.full) {
    // The safety stop weighs these deletions against the whole trees, not against the paths named.
    run.counts.src.n = Math.max(run.counts.src.n, pc.totals.src - run.deletions);
    run.counts.dst.n = Math.max(run.counts.dst.n, pc.totals.dst);
  }
}

export async function runPass(
  pc: PassContext,
  work: PendingWork,
  onEvent: (e: SyncEvent) => void,
): Promise<SyncSummary> {
  let added = 0;
  const counting = (e: SyncEvent) => {
    if (e.type === 'done' && e.action.reason === 'new' && e.action.action !== 'delete') added++;
    onEvent(e);
  };
  // Each pass hangs its listeners on a signal of its own, taken off the run's when the pass is over.
  const passSignal = childSignal(pc.opts.signal, 4 * (pc.opts.transfers ?? DEFAULT_TRANSFERS) + 10);
  try {
    return await runOnSignal(pc, work, { ...pc.opts, signal: passSignal.signal, onEvent: counting }, () => added);
  } finally {
    passSignal.dispose();
  }
}

async function runOnSignal(
  pc: PassContext,
  work: PendingWork,
  opts: SyncOptions,
  added: () => number,
): Promise<SyncSummary> {
  const run = new SyncRun({
    srcEp: pc.srcEp,
    dstEp: pc.dstEp,
    src: await current(pc.src),
    dst: await current(pc.dst),
    opts,
  });
  if (run.srcMissing && !run.sync) throw missingSource(pc.srcEp);
  let outage: unknown;
  run.onItemError = (path, err) => {
    if (outage === undefined && pc.outage.isOutage(err)) outage = new ItemOutage(path, err);
  };
  await planned(pc, run, work);
  try {
    safetyStop(run);
    if (!pc.opts.dryRun) {
      const deletionsAllowed = await prepareExecution(run);
      await typeChangePhase(run, deletionsAllowed);
      await transferPhase(run, deletionsAllowed);
      await lateDeletePhase(run, deletionsAllowed);
      reportRefusedDeletes(run);
    }
  } finally {
    await run.dispose();
  }
  if (outage !== undefined) throw outage;
  const summary = run.finish();
  // Files on DST now: those listed (the whole tree on a full pass) plus the new ones, less the deleted.
  if (work.full) pc.totals = { src: run.counts.src.n, dst: Math.max(0, run.counts.dst.n + added() - summary.deleted) };
  else pc.totals.dst = Math.max(0, pc.totals.dst + added() - summary.deleted);
  return summary;
}
