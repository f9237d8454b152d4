/**
 * The transfer scheduler, apart from the phases: `transfers` items run at once, at most 2 × transfers
 * queued, and large items (which run their own parts in parallel) limited so that parts in flight over
 * all files stay within max(transfers, partConcurrency). Items do not start once the signal fired.
 * One scheduler may be shared by several runs (bisync runs one per direction).
 */
import pLimit, { type LimitFunction } from 'p-limit';

export interface SchedulerOptions {
  transfers: number;
  /** Parts one large transfer runs at once. */
  partConcurrency: number;
  signal?: AbortSignal;
}

export class Scheduler {
  private readonly limit: LimitFunction;
  private readonly largeLimit: LimitFunction;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxQueued: number;
  private readonly signal?: AbortSignal;

  constructor(o: SchedulerOptions) {
    const transfers = Math.max(1, o.transfers);
    const parts = Math.max(1, o.partConcurrency);
    this.limit = pLimit(transfers);
    this.largeLimit = pLimit(Math.max(1, Math.floor(Math.max(transfers, parts) / parts)));
    this.maxQueued = transfers * 2;
    this.signal = o.signal;
  }

  /** Queue `work` (waiting while the queue is full); it is skipped if the signal fired before it started. */
  async schedule(large: boolean, work: () => Promise<void>): Promise<void> {
    while (this.inFlight.size >= this.maxQueued) await Promise.race(this.inFlight);
    const guarded = async () => {
      if (this.signal?.aborted) return;
      await work();
    };
    const p: Promise<void> = (large ? this.largeLimit(() => this.limit(guarded)) : this.limit(guarded)).finally(() =>
      this.inFlight.delete(p),
    );
    this.inFlight.add(p);
  }

  /** Wait for everything queued so far. */
  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
  }
}
