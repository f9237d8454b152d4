/**
 * mergeSources: fan-in of several ChangeSources into one (the local watcher, the remote poll, the
 * webhook receiver). Each source has at most one next() outstanding, so nothing is read ahead of the
 * loop and each source keeps coalescing on its own; among batches ready at once, the source that
 * waited longest goes first. A source that ends (next() → undefined) drops out; the merge ends when
 * every source has, or when `signal` fires. A source's failure is rethrown by the merged next().
 */
import type { ChangeBatch, ChangeSource } from './types.js';

type Settled = { source: ChangeSource; batch?: ChangeBatch; error?: unknown; failed: boolean };

class MergedSource implements ChangeSource {
  /** One outstanding next() per live source, in the order they were (re)armed. */
  private readonly pending = new Map<ChangeSource, Promise<Settled>>();
  private readonly stopped: Promise<undefined>;
  private closed = false;

  constructor(
    private readonly sources: ChangeSource[],
    private readonly signal?: AbortSignal,
  ) {
    for (const s of sources) this.arm(s);
    this.stopped = new Promise((resolve) => {
      if (signal?.aborted) resolve(undefined);
      else signal?.addEventListener('abort', () => resolve(undefined), { once: true });
    });
  }

  private arm(source: ChangeSource): void {
    const p = source.next().then(
      (batch): Settled => ({ source, batch, failed: false }),
      (error: unknown): Settled => ({ source, error, failed: true }),
    );
    this.pending.set(source, p);
  }

  async next(): Promise<ChangeBatch | undefined> {
    while (this.pending.size > 0 && !this.closed && !this.signal?.aborted) {
      const r = await Promise.race([...this.pending.values(), this.stopped]);
      if (!r || this.closed) return undefined;
      this.pending.delete(r.source);
      if (r.failed) throw r.error;
      if (r.batch === undefined) continue; // this source ended
      this.arm(r.source);
      return r.batch;
    }
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.sources.map((s) => s.close()));
    this.pending.clear();
  }
}

export function mergeSources(sources: ChangeSource[], signal?: AbortSignal): ChangeSource {
  return new MergedSource(sources, signal);
}
