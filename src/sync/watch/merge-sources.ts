/**
 * mergeSources: fan-in of several ChangeSources into one (the local watcher, the remote poll, the
 * webhook receiver). Each source has at most one next() outstanding, so nothing is read ahead of the
 * loop and each source keeps coalescing on its own; batches are handed out in the order they arrived.
 * A source that ends (next() → undefined) drops out; the merge ends when every source has, or when
 * `signal` fires. A source's failure is rethrown by the merged next().
 *
 * No Promise.race: racing the same long-pending promises (an idle webhook source, the stop signal) on
 * every call adds a reaction to each of them per call, kept until they settle — for days. Each
 * source's outstanding promise gets exactly one reaction, which queues what it settled with.
 */
import type { ChangeBatch, ChangeSource } from './types.js';

type Settled = { source: ChangeSource; batch?: ChangeBatch; error?: unknown; failed: boolean };

class MergedSource implements ChangeSource {
  /** Sources with a next() outstanding or settled but not yet taken. */
  private live = 0;
  private readonly arrived: Settled[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly sources: ChangeSource[],
    private readonly signal?: AbortSignal,
  ) {
    for (const s of sources) this.arm(s);
    signal?.addEventListener('abort', () => this.signalWake(), { once: true });
  }

  private arm(source: ChangeSource): void {
    this.live++;
    source.next().then(
      (batch) => this.arrive({ source, batch, failed: false }),
      (error: unknown) => this.arrive({ source, error, failed: true }),
    );
  }

  private arrive(s: Settled): void {
    if (this.closed) return;
    this.arrived.push(s);
    this.signalWake();
  }

  private signalWake(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async next(): Promise<ChangeBatch | undefined> {
    while (this.live > 0 && !this.closed && !this.signal?.aborted) {
      const r = this.arrived.shift();
      if (!r) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      this.live--;
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
    this.arrived.length = 0;
    this.signalWake();
    await Promise.allSettled(this.sources.map((s) => s.close()));
  }
}

export function mergeSources(sources: ChangeSource[], signal?: AbortSignal): ChangeSource {
  return new MergedSource(sources, signal);
}
