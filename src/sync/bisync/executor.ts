/**
 * Runs a sealed bisync plan in three passes over the op spool: renames and conflicts first (they
 * move names the transfers may need), then transfers, then deletions — only when every transfer
 * succeeded. Operations go through sync's Scheduler; each one done is journaled (its state change
 * applies at commit); one that fails or is left alone on purpose keeps its old record, so the next
 * run plans it again.
 */
import { throwIfAborted } from '../../core/abort.js';
import { isAbortError } from '../../core/errors.js';
import { DEFAULTS, SourceChangedError, type TransferTuning } from '../../transfer/index.js';
import type { Scheduler } from '../scheduler.js';
import { conflictOp } from './conflict-ops.js';
import type { BisyncExec } from './exec-context.js';
import type { Journal } from './journal.js';
import { deleteLocalOp, downloadOp, renameLocalOp } from './local-ops.js';
import type { PlanSpool } from '../plan-spool.js';
import { deleteRemoteOp, renameRemoteOp, uploadFrom } from './remote-ops.js';
import type { BisyncEvent, BisyncOp, BisyncPlanEntry, SideName } from './types.js';

export interface ExecutionRun {
  cx: BisyncExec;
  spool: PlanSpool<BisyncOp>;
  journal: Journal;
  scheduler: Scheduler;
  localIs: SideName;
  /** Local deletions are not allowed (B2's listing of a side was incomplete), or remote ones. */
  noDeletes?: { local?: string; remote?: string };
  signal?: AbortSignal;
  emit(e: BisyncEvent): void;
  /** retry: a source still changing (SourceChangedError), to be taken again once it settles. */
  error(item: string, message: string, retry?: boolean): void;
}

export interface ExecutionResult {
  done: Record<BisyncOp['op'], number>;
  failed: number;
}

/** The plan entry a user sees for an operation. */
export function planEntry(op: BisyncOp, localIs: SideName): BisyncPlanEntry {
  const e: BisyncPlanEntry = { action: op.op, path: op.path, reason: op.reason };
  if (op.size !== undefined) e.size = op.size;
  if ('from' in op) e.from = op.from;
  if (op.op === 'conflict') {
    e.winner = op.winner === 'local' ? localIs : localIs === 'path1' ? 'path2' : 'path1';
    if (op.loserPath) e.loserPath = op.loserPath;
  }
  return e;
}

async function perform(cx: BisyncExec, op: BisyncOp): Promise<boolean> {
  switch (op.op) {
    case 'upload':
      await uploadFrom(cx, op.local, op.path);
      return true;
    case 'download':
      return downloadOp(cx, op);
    case 'delete-local':
      return deleteLocalOp(cx, op);
    case 'delete-remote':
      return deleteRemoteOp(cx, op);
    case 'rename-local':
      return renameLocalOp(cx, op);
    case 'rename-remote':
      return renameRemoteOp(cx, op);
    case 'conflict':
      return conflictOp(cx, op);
    case 'settle':
      return true;
  }
}

/**
 * Does this operation run several parts or streams at once (the scheduler limits those)? As in sync:
 * an upload from largeFileCutoff (parts), a download from downloadParallelCutoff (ranged streams).
 */
export function runsInParallel(op: BisyncOp, tuning?: TransferTuning): boolean {
  const size = op.size ?? 0;
  if (op.op === 'upload') return size >= (tuning?.largeFileCutoff ?? DEFAULTS.largeFileCutoff);
  if (op.op === 'download') return size >= (tuning?.downloadParallelCutoff ?? DEFAULTS.downloadParallelCutoff);
  return false;
}

type Pass = 'moves' | 'transfers' | 'deletes';

function passOf(op: BisyncOp): Pass | undefined {
  if (op.op === 'settle') return undefined;
  if (op.op === 'upload' || op.op === 'download') return 'transfers';
  if (op.op === 'delete-local' || op.op === 'delete-remote') return 'deletes';
  return 'moves';
}

class Executor {
  readonly result: ExecutionResult = {
    done: {
      upload: 0,
      download: 0,
      'delete-local': 0,
      'delete-remote': 0,
      'rename-local': 0,
      'rename-remote': 0,
      conflict: 0,
      settle: 0,
    },
    failed: 0,
  };

  constructor(private readonly run: ExecutionRun) {}

  private async one(op: BisyncOp): Promise<void> {
    const { run } = this;
    const entry = planEntry(op, run.localIs);
    run.emit({ type: 'start', entry });
    try {
      if (!(await perform(run.cx, op))) return;
      run.journal.done(op.id);
      this.result.done[op.op]++;
      run.emit({ type: 'done', entry });
    } catch (e) {
      this.result.failed++;
      if (run.signal?.aborted && isAbortError(e)) return;
      run.error(op.path, `${op.op}: ${e instanceof Error ? e.message : String(e)}`, e instanceof SourceChangedError);
    }
  }

  /** Settled paths need no I/O: journaled at once. */
  private settle(op: BisyncOp): void {
    this.run.journal.done(op.id);
    this.result.done.settle++;
  }

  private refused(op: BisyncOp): string | undefined {
    const nd = this.run.noDeletes;
    if (op.op === 'delete-local') return nd?.local;
    if (op.op === 'delete-remote' || op.op === 'rename-remote') return nd?.remote;
    return undefined;
  }

  async pass(which: Pass): Promise<void> {
    const { run } = this;
    for await (const op of run.spool.items()) {
      if (run.signal?.aborted) break;
      if (which === 'moves' && op.op === 'settle') this.settle(op);
      if (passOf(op) !== which) continue;
      const why = this.refused(op);
      if (why !== undefined) {
        run.emit({ type: 'note', item: op.path, message: why });
        continue;
      }
      await run.scheduler.schedule(runsInParallel(op, run.cx.tuning), () => this.one(op));
    }
    await run.scheduler.drain();
  }
}

/** Run the plan's three passes; deletions only when nothing before them failed. */
export async function executeBisync(run: ExecutionRun): Promise<ExecutionResult> {
  const ex = new Executor(run);
  await ex.pass('moves');
  await ex.pass('transfers');
  throwIfAborted(run.signal);
  if (ex.result.failed === 0) await ex.pass('deletes');
  else {
    const message = `deletions not done because ${ex.result.failed} operation(s) failed; the next run does them`;
    run.error('bisync', message);
  }
  return ex.result;
}
