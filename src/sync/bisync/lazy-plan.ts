/**
 * The run's plan file, begun only at the first change. A no-op run (every saved record kept as it
 * was, no operation) writes no plan and leaves the state file as it is: no plan to fsync, no state to
 * rewrite. At the first change, at path P, the saved records before P are exactly the records the
 * run kept unchanged so far (every other outcome for a saved record is a change, which would have
 * begun the plan), so they are copied from the state file, in order, and the plan goes on from P.
 * A change first seen after the march (a late op: renames, unpaired new names) copies them all.
 */
import { compareB2Order } from '../march.js';
import type { PairState, PlanWriter } from './state-store.js';
import type { BisyncOp, StateRecord } from './types.js';

export class LazyPlan {
  private writer?: PlanWriter;

  constructor(private readonly st: PairState) {}

  /** Begin the plan with the saved records before `path` (all of them when undefined). */
  private async begin(path: string | undefined): Promise<PlanWriter> {
    const w = await this.st.beginPlan();
    copy: for await (const batch of this.st.records())
      for (const rec of batch) {
        if (path !== undefined && compareB2Order(rec.path, path) >= 0) break copy;
        const p = w.keep(rec);
        if (p) await p;
      }
    this.writer = w;
    return w;
  }

  async keep(rec: StateRecord, same: boolean): Promise<void> {
    if (!this.writer && same) return;
    const w = this.writer ?? (await this.begin(rec.path));
    await w.keep(rec);
  }

  /** A saved record leaves the state or waits for rename pairing. */
  async changed(path: string): Promise<void> {
    if (!this.writer) await this.begin(path);
  }

  async op(op: BisyncOp, late: boolean): Promise<void> {
    const w = this.writer ?? (await this.begin(late ? undefined : op.path));
    await w.op(op, late);
  }

  /** Seal the plan; false when nothing changed (no plan was written). */
  async seal(): Promise<boolean> {
    if (!this.writer) return false;
    await this.writer.seal();
    return true;
  }
}
