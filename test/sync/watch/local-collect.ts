/**
 * Test helper for the local watcher: drains a change source in the background and waits, with a
 * generous deadline, for a condition on what arrived (no fixed sleeps).
 */
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangeBatch, ChangeSource, PathChange } from '../../../src/sync/watch/types.js';

export function tmpRoot(tag: string): string {
  return realpathSync(mkdtempSync(join(tmpdir(), `b2sync-${tag}-`)));
}

export class Collector {
  readonly batches: ChangeBatch[] = [];
  ended = false;
  /** Extra facts recorded when a batch arrives (e.g. a file's size at that moment). */
  onBatch?: (b: ChangeBatch) => void;
  private readonly running: Promise<void>;

  constructor(private readonly src: ChangeSource) {
    this.running = (async () => {
      for (;;) {
        const b = await src.next();
        if (!b) break;
        this.onBatch?.(b);
        this.batches.push(b);
      }
      this.ended = true;
    })();
  }

  /** Every local change so far, in arrival order. */
  changes(): PathChange[] {
    return this.batches.flatMap((b) => (b.origin === 'local' ? b.changes : []));
  }

  fulls(): string[] {
    return this.batches.flatMap((b) => (b.origin === 'local-full' ? [b.reason] : []));
  }

  has(path: string, kind?: PathChange['kind']): boolean {
    return this.changes().some((c) => c.path === path && (kind === undefined || c.kind === kind));
  }

  async until(what: string, cond: () => boolean, deadlineMs = 20_000): Promise<void> {
    const end = Date.now() + deadlineMs;
    while (!cond()) {
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.batches).slice(0, 2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async done(): Promise<void> {
    await this.src.close();
    await this.running;
  }
}
