/** A ChangeSource a test pushes batches into (a real queue, not a mock of the server), and wait helpers. */
import type { ChangeBatch, ChangeSource, PathChange } from '../../../src/sync/watch/types.js';

export class ScriptedSource implements ChangeSource {
  private items: ChangeBatch[] = [];
  private waiting?: (b: ChangeBatch | undefined) => void;
  private ended = false;

  push(b: ChangeBatch): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w(b);
    } else this.items.push(b);
  }

  local(...changes: (PathChange | string)[]): void {
    this.push({
      origin: 'local',
      changes: changes.map((c) => (typeof c === 'string' ? { path: c, kind: 'update' } : c)),
    });
  }

  next(): Promise<ChangeBatch | undefined> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((r) => (this.waiting = r));
  }

  close(): Promise<void> {
    this.ended = true;
    this.waiting?.(undefined);
    this.waiting = undefined;
    return Promise.resolve();
  }
}

/** Poll `cond` until it holds (generous deadline: a loaded 2-core machine), else fail naming `what`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
