/**
 * File ↔ folder changes on a local destination. When SRC has "a/x" where DST has a file "a", the file
 * must go before "a/x" can be written; when SRC has a file "a" where DST has "a/x", the folder must be
 * emptied before "a" can be written. Those deletions are marked `early` (done before the transfers,
 * whatever the delete mode). Plan order is B2 order, where everything under "a/" sorts after "a" and
 * before "a0", so a short stack of recent paths finds every such pair while streaming.
 */
import { compareUtf8 } from '../wire/names.js';
import type { PlanItem } from './compare.js';

const MAX_OPEN = 64;

export class TypeChangeDetector {
  /** Transfer paths whose subtree may still come. */
  private readonly transfers: string[] = [];
  /** Deletions held back (not yet spooled) while a transfer beneath them may still come. */
  private readonly deletes: PlanItem[] = [];
  earlyCount = 0;

  constructor(private readonly push: (item: PlanItem) => Promise<void>) {}

  /** Take the next non-skip item in plan order. */
  async add(item: PlanItem): Promise<void> {
    const p = item.action.path;
    while (this.transfers.length && compareUtf8(p, this.transfers[this.transfers.length - 1] + '0') >= 0)
      this.transfers.pop();
    const passed: PlanItem[] = [];
    while (this.deletes.length && compareUtf8(p, this.deletes[this.deletes.length - 1].action.path + '0') >= 0)
      passed.push(this.deletes.pop()!);
    for (const d of passed.reverse()) await this.push(d);

    if (item.action.action === 'delete') {
      if (this.transfers.some((t) => p.startsWith(t + '/'))) this.markEarly(item);
      this.deletes.push(item);
      if (this.deletes.length > MAX_OPEN) await this.push(this.deletes.shift()!);
      return;
    }
    for (const d of this.deletes) if (p.startsWith(d.action.path + '/')) this.markEarly(d);
    this.transfers.push(p);
    if (this.transfers.length > MAX_OPEN) this.transfers.shift();
    await this.push(item);
  }

  async flush(): Promise<void> {
    for (const d of this.deletes.splice(0)) await this.push(d);
  }

  private markEarly(d: PlanItem): void {
    if (!d.early) this.earlyCount++;
    d.early = true;
  }
}
