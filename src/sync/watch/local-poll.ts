/**
 * `--watch-mode poll` (network file systems, where no OS watcher sees other machines' writes): walk the
 * tree every `pollMs` with the sync walk (remotes/local.ts: same names, same skipped entries) and compare
 * each file's size and mtime with the previous walk's. What changed goes through the same settle stage
 * as native events.
 *
 * Cheaper than a 'local-full' per tick: a full comparison would list the B2 side too (class C calls);
 * this costs one local walk and a map of path → "size:mtime" (about 100 bytes a file plus its name).
 */
import { join } from 'node:path';
import { walkLocal } from '../remotes/local.js';
import type { Kind, Sig } from './local-settle.js';
import { sigOf } from './local-settle.js';

export type Feed = (rel: string, abs: string, kind: Kind, sig: Sig) => void;

export class Poller {
  private seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private stopped = false;
  private walking: Promise<void> | undefined;

  constructor(
    private readonly root: string,
    private readonly pollMs: number,
    private readonly feed: Feed,
    private readonly ignore?: (rel: string) => boolean,
    private readonly onError?: (message: string) => void,
  ) {}

  get files(): number {
    return this.seen.size;
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
      this.walking = this.walk(true).finally(() => {
        this.walking = undefined;
        this.schedule();
      });
    }, this.pollMs);
  }

  private async walk(report: boolean): Promise<void> {
    const next = new Map<string, string>();
    try {
      for await (const e of walkLocal(this.root, { signal: this.abort.signal })) {
        if (this.ignore?.(e.path)) continue;
        const value = `${e.size}:${e.mtimeMs}`;
        next.set(e.path, value);
        if (!report) continue;
        const before = this.seen.get(e.path);
        if (before === value) continue;
        this.feed(e.path, e.localPath ?? e.path, before === undefined ? 'create' : 'update', sigOf(e.localPath!));
      }
    } catch (e) {
      if (this.stopped) return;
      this.onError?.(`poll walk failed: ${(e as Error).message}`);
      return; // keep the previous baseline: the next walk compares against it
    }
    if (report)
      for (const rel of this.seen.keys()) if (!next.has(rel)) this.feed(rel, join(this.root, rel), 'delete', 'none');
    this.seen = next;
  }
}
