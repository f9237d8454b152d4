/**
 * The `bisync --watch` loop (docs/watch.md, "bisync --watch"): a full pass first, then one pass per
 * change batch through the pair held open (its lock kept for the whole run): local or webhook paths →
 * a scoped pass over them (bisync-pair.ts: only those names planned, the rest of the state carried
 * over); 'local-full' (a --rescan tick, a watcher fallback) and 'remote-full' (a --poll tick) → a full
 * pass. Each pass runs through the outage guard (the endpoint away: retried with backoff, the batch
 * kept, caught up when it returns). Paths whose operation failed are retried with the next pass; a
 * pass that fails (or a safety stop) after the first is reported and watching goes on, up to
 * MAX_FAILED_PASSES in a row. The signal ends the loop after the pass in flight stopped cleanly (its
 * state committed).
 */
import { isAbortError } from '../../core/errors.js';
import type { BisyncPair } from '../bisync/bisync-pair.js';
import type { BisyncSummary } from '../bisync/types.js';
import { SafetyStopError } from '../errors.js';
import type { ChangeBatch, ChangeSource, WatchEvent } from './types.js';

export interface BisyncWatchOptions {
  pair: BisyncPair;
  /** The merged change sources (local watcher, remote poll, webhooks). */
  source: ChangeSource;
  signal: AbortSignal;
  emit: (e: WatchEvent) => void;
  /** Each pass runs through this (Outage.run: retried while the endpoint is away). */
  outage: { run<T>(op: () => Promise<T>): Promise<T> };
  /** After each pass that ran (the status line). */
  afterPass?: (s: BisyncSummary, kind: 'full' | 'scoped') => void | Promise<void>;
  /** Distinct paths waiting before they are dropped for one full pass (memory stays flat). Default 10,000. */
  maxPending?: number;
}

export interface BisyncWatchResult {
  passes: number;
  /** Why the loop ended: 'signal' or 'sources ended'. */
  reason: string;
}

type Work = { full: true } | { full: false; paths: string[] };

/** What the next pass covers. */
class Pending {
  full?: string;
  readonly paths = new Set<string>();
  constructor(private readonly max: number) {}

  add(b: ChangeBatch): void {
    if ('changes' in b) {
      for (const c of b.changes) this.addPath(c.path);
      return;
    }
    this.full ??= b.reason;
    this.paths.clear();
  }

  addPath(path: string): void {
    if (this.full) return;
    this.paths.add(path);
    if (this.paths.size > this.max) {
      this.full = `more than ${this.max} paths changed at once`;
      this.paths.clear();
    }
  }

  get empty(): boolean {
    return !this.full && this.paths.size === 0;
  }

  take(): Work {
    const w: Work = this.full ? { full: true } : { full: false, paths: [...this.paths] };
    this.full = undefined;
    this.paths.clear();
    return w;
  }
}

/** Passes failing in a row (not an outage, which is waited out, nor a safety stop) before the loop gives up. */
export const MAX_FAILED_PASSES = 5;

/** Run the loop until the signal fires (or every source ended); the caller closes the pair and the sources. */
export async function runBisyncWatch(o: BisyncWatchOptions): Promise<BisyncWatchResult> {
  const pending = new Pending(o.maxPending ?? 10_000);
  const retry = new Set<string>();
  let passes = 0;
  let failedInARow = 0;
  const pass = async (work: Work, first: boolean): Promise<boolean> => {
    const kind = work.full ? 'full' : 'scoped';
    let s: BisyncSummary;
    try {
      s = await o.outage.run(() => (work.full ? o.pair.pass() : o.pair.pass({ paths: work.paths })));
    } catch (e) {
      if (o.signal.aborted || isAbortError(e)) return false;
      // the first pass failed or was refused: nothing is watched yet, the user must look (exit 1 / 2, as bisync)
      if (first) throw e;
      const why = e instanceof Error ? e.message : String(e);
      if (e instanceof SafetyStopError) {
        // a stable refusal until the user acts: the next full pass (a --poll tick) asks again
        o.emit({ type: 'error', message: `${why} (the changes are left as they are; watching on)` });
        return true;
      }
      if (++failedInARow >= MAX_FAILED_PASSES) throw e;
      o.emit({ type: 'error', message: `${why} (retried with the next change; watching on)` });
      if (!work.full) for (const p of work.paths) retry.add(p);
      return true;
    }
    failedInARow = 0;
    passes++;
    for (const err of s.errors) if (err.item !== 'bisync' && retry.size < 10_000) retry.add(err.item);
    await o.afterPass?.(s, kind);
    return true;
  };
  if (!(await pass({ full: true }, true))) return { passes, reason: 'signal' };
  for (;;) {
    if (o.signal.aborted) return { passes, reason: 'signal' };
    const batch = await o.source.next();
    if (!batch) return { passes, reason: o.signal.aborted ? 'signal' : 'sources ended' };
    pending.add(batch);
    for (const p of retry) pending.addPath(p);
    retry.clear();
    if (pending.empty) continue;
    if (!(await pass(pending.take(), false))) return { passes, reason: 'signal' };
  }
}
