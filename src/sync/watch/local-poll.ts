/**
 * `--watch-mode poll` (network file systems, where no OS watcher sees other machines' writes): walk the
 * tree every `pollMs` with the sync walk (remotes/local.ts: same names, same skipped entries) and compare
 * each file's size and mtime with the previous walk's. What changed goes through the same settle stage
 * as native events.
 *
 * Cheaper than a 'local-full' per tick: a full comparison would list the B2 side too (class C calls);
 * this costs one local walk and a map of path → "size:mtime" (about 100 bytes a file plus its name).
 * It is also the local watcher's fallback when the native watcher fails (ENOSPC): there the walks back
 * off while they find nothing (`maxMs`: the interval doubles after each quiet walk, up to maxMs, and
 * drops back to pollMs after a walk that found a change), so an idle tree costs ever fewer walks.
 */
import { join } from 'node:path';
import { walkLocal } from '../remotes/local.js';
import type { Kind, Sig } from './local-settle.js';
import { sigOf } from './local-settle.js';

export type Feed = (rel: string, abs: string, kind: Kind, sig: Sig) => void;

/** The wait after a walk: back to pollMs when it found something, else doubled, up to maxMs. */
export function nextInterval(current: number, found: number, pollMs: number, maxMs: number): number {
  return found > 0 ? pollMs : Math.min(maxMs, Math.max(pollMs, current * 2));
}

export interface PollerOptions {
  ignore?: (rel: string) => boolean;
  onError?: (message: string) => void;
  /** Back off while walks find nothing, up to this interval (default pollMs: no backoff). */
  maxMs?: number;
}

export class Poller {
  private seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  /** The wait before the next walk (pollMs, or more after quiet walks). */
  private intervalMs: number;
  private readonly maxMs: number;
  private walks = 0;
  private readonly abort = new AbortController();
  private stopped = false;
  private walking: Promise<void> | undefined;

  constructor(
    private readonly root: string,
    private readonly pollMs: number,
    private readonly feed: Feed,
    private readonly o: PollerOptions = {},
  ) {
    this.intervalMs = pollMs;
    this.maxMs = Math.max(pollMs, o.maxMs ?? pollMs);
  }

  get files(): number {
    return this.seen.size;
  }

  /** The wait before the next walk, ms (grows while walks find nothing, with maxMs). */
  get nextIntervalMs(): number {
    return this.intervalMs;
  }

  /** Walks done after the first (the baseline). */
  get walkCount(): number {
    return this.walks;
  }

  /** The first walk: what is there now is the baseline (the first batch is a full comparison anyway). */
  async start(): Promise<void> {
    await this.walk(false);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.walking;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.walking = this.walk(true).then(
        (found) => {
          this.walks++;
          this.intervalMs = nextInterval(this.intervalMs, found, this.pollMs, this.maxMs);
        },
        () => undefined,
      );
      void this.walking.finally(() => {
        this.walking = undefined;
        this.schedule();
      });
    }, this.intervalMs);
  }

  /** One walk compared with the previous one; resolves with the number of paths fed. */
  private async walk(report: boolean): Promise<number> {
    const next = new Map<string, string>();
    let found = 0;
    const feed: Feed = (...a) => {
      found++;
      this.feed(...a);
    };
    try {
      for await (const e of walkLocal(this.root, { signal: this.abort.signal })) {
        if (this.o.ignore?.(e.path)) continue;
        const value = `${e.size}:${e.mtimeMs}`;
        next.set(e.path, value);
        if (!report) continue;
        const before = this.seen.get(e.path);
        if (before === value) continue;
        feed(e.path, e.localPath ?? e.path, before === undefined ? 'create' : 'update', sigOf(e.localPath!));
      }
    } catch (e) {
      if (this.stopped) return found;
      this.o.onError?.(`poll walk failed: ${(e as Error).message}`);
      return found; // keep the previous baseline: the next walk compares against it
    }
    if (report)
      for (const rel of this.seen.keys()) if (!next.has(rel)) feed(rel, join(this.root, rel), 'delete', 'none');
    this.seen = next;
    return found;
  }
}
