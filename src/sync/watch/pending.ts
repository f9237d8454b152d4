/**
 * The changes a watch loop still has to handle: distinct paths per side (a Set, so a path changed a
 * thousand times is one entry), and whether a side needs a full comparison. Bounded: past `maxPaths`
 * distinct paths the side turns into one full comparison instead of growing, so memory stays flat
 * however many events arrive while a pass runs or the endpoint is away.
 */
import type { ChangeBatch, PathChange } from './types.js';

export const DEFAULT_MAX_PENDING = 10_000;

/** What one pass takes: the paths to compare, or a full comparison. */
export interface PendingWork {
  full: boolean;
  /** Why a full pass (the first reason seen). */
  reason?: string;
  paths: Map<string, PathChange['kind']>;
}

export class PendingChanges {
  private paths = new Map<string, PathChange['kind']>();
  private full = false;
  private reason?: string;
  private waiter?: () => void;

  constructor(private readonly maxPaths = DEFAULT_MAX_PENDING) {}

  get size(): number {
    return this.full ? Math.max(1, this.paths.size) : this.paths.size;
  }

  get empty(): boolean {
    return !this.full && this.paths.size === 0;
  }

  /** Take a batch from a source: its paths, or a full comparison. */
  addBatch(b: ChangeBatch): void {
    if ('changes' in b) for (const c of b.changes) this.addPath(c.path, c.kind);
    else this.addFull(b.reason);
  }

  addPath(path: string, kind: PathChange['kind'] = 'unknown'): void {
    if (this.full) return;
    this.paths.delete(path); // the latest kind wins, in arrival order
    this.paths.set(path, kind);
    if (this.paths.size > this.maxPaths) this.addFull(`more than ${this.maxPaths} pending changes`);
    this.wake();
  }

  addFull(reason: string): void {
    if (!this.full) this.reason = reason;
    this.full = true;
    this.paths.clear();
    this.wake();
  }

  /** Everything pending, leaving nothing. */
  take(): PendingWork {
    const w: PendingWork = { full: this.full, reason: this.reason, paths: this.paths };
    this.paths = new Map();
    this.full = false;
    this.reason = undefined;
    return w;
  }

  /** Put back what a failed pass took (newer changes to the same paths stay newer). */
  restore(w: PendingWork): void {
    if (w.full) this.addFull(w.reason ?? 'retry');
    else for (const [p, k] of w.paths) if (!this.paths.has(p)) this.addPath(p, k);
  }

  /** Resolves once something is pending (at once when something is). */
  wait(signal?: AbortSignal): Promise<void> {
    if (!this.empty || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        this.waiter = undefined;
        resolve();
      };
      this.waiter = done;
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Wake a waiter with nothing new (the sources ended, the loop should look again). */
  notify(): void {
    this.wake();
  }

  private wake(): void {
    this.waiter?.();
  }
}
