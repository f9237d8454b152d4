/**
 * Commit: the sealed plan's in-order and late parts merged by path into a new state file. A keep passes
 * through; an op change gives `after` when its op is in the journal, else `before` (none: the path is
 * dropped). When a path appears more than once (a planner fault), the last one (late after in-order)
 * wins. Streams both parts; memory holds the journal's bitset and two batches.
 */
import { compareB2Order } from '../march.js';
import { readJournal, type Bitset } from './journal.js';
import { PLAN_HEADER, readPlanPart, type PlanItem, type PlanSeal } from './plan-file.js';
import { StateFileWriter } from './state-file.js';
import type { StateRecord } from './types.js';

class Cursor {
  buf: PlanItem[] = [];
  i = 0;
  done = false;
  constructor(private readonly it: AsyncIterator<PlanItem[]>) {}
  /** Make sure an item is buffered, or the end reached. */
  async fill(): Promise<void> {
    while (this.i >= this.buf.length && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else {
        this.buf = r.value;
        this.i = 0;
      }
    }
  }
  peek(): PlanItem | undefined {
    return this.i < this.buf.length ? this.buf[this.i] : undefined;
  }
}

function resolve(it: PlanItem, done: Bitset): StateRecord | undefined {
  if ('keep' in it) return it.keep;
  return done.has(it.op) ? it.change.after : it.change.before;
}

/** Take every item on `path` from `c`; the last one's record (or `rec` when it has none). */
async function takeSame(c: Cursor, path: string, state: { rec?: StateRecord; n: number }, done: Bitset) {
  for (;;) {
    if (c.i >= c.buf.length) await c.fill();
    const it = c.peek();
    if (!it || it.path !== path) return;
    state.rec = resolve(it, done);
    state.n++;
    c.i++;
  }
}

export interface CommitResult {
  records: number;
  /** Ops the journal marked done. */
  done: number;
  /** Paths the plan held more than once (should be 0). */
  duplicates: number;
}

export async function commitPlan(f: {
  plan: string;
  journal: string;
  state: string;
  seal: PlanSeal;
}): Promise<CommitResult> {
  const { seal } = f;
  const done = await readJournal(f.journal, seal.ops);
  const start = Buffer.byteLength(PLAN_HEADER);
  const a = new Cursor(
    readPlanPart(f.plan, { start, end: seal.lateAt, count: seal.inOrder, name: 'in-order' })[Symbol.asyncIterator](),
  );
  const b = new Cursor(
    readPlanPart(f.plan, { start: seal.lateAt, end: seal.sealAt, count: seal.late, name: 'late' })[
      Symbol.asyncIterator
    ](),
  );
  const w = await StateFileWriter.create(f.state);
  let duplicates = 0;
  try {
    for (;;) {
      if (a.i >= a.buf.length) await a.fill();
      if (b.i >= b.buf.length) await b.fill();
      const x = a.peek();
      const y = b.peek();
      if (!x && !y) break;
      const path = !y ? x!.path : !x ? y.path : compareB2Order(x.path, y.path) <= 0 ? x.path : y.path;
      const st: { rec?: StateRecord; n: number } = { n: 0 };
      await takeSame(a, path, st, done);
      await takeSame(b, path, st, done);
      if (st.n > 1) duplicates++;
      if (st.rec) {
        const p = w.add(st.rec.path === path ? st.rec : { ...st.rec, path });
        if (p) await p;
      }
    }
  } catch (err) {
    await w.abort();
    throw err;
  }
  return { records: await w.finish(), done: done.count, duplicates };
}
