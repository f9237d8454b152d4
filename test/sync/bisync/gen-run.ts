/** A seeded bisync run for the crash test: the initial state, what the planner would emit, and the order ops complete in. */
import type { BisyncOp, StateRecord } from '../../../src/sync/bisync/types.js';
import type { Entry } from '../../../src/sync/types.js';

export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}
const E: Entry = { path: 'x', size: 0, mtimeMs: 0, kind: 'file' };
function rec(path: string, v: number): StateRecord {
  return {
    path,
    local: { size: v, mtimeMs: v * 1000, ino: v },
    remote: { size: v, mtimeMs: v * 1000, fileId: `id-${v}` },
  };
}
export type Emit = { kind: 'keep'; rec: StateRecord } | { kind: 'op'; op: BisyncOp; late: boolean };

export interface GenRun {
  initial: StateRecord[];
  emit: Emit[];
  ops: BisyncOp[];
  doneOrder: number[];
}

/** 6,000 paths: keeps, changes, deletes, new files (in order) and renames (late), a few thousand ops. */
export function genRun(seed: number, n = 6000): GenRun {
  const r = rng(seed);
  const initial: StateRecord[] = [];
  const emit: Emit[] = [];
  const ops: BisyncOp[] = [];
  const late: BisyncOp[] = [];
  const mk = (path: string, changes: BisyncOp['changes']): BisyncOp => ({
    id: -1,
    path,
    reason: 'changed',
    changes,
    op: 'settle',
    local: E,
    remote: E,
  });
  for (let i = 0; i < n; i++) {
    const path = `d${Math.floor(i / 1000)}/f${String(i).padStart(6, '0')}`;
    const x = r();
    const old = rec(path, i + 1);
    if (x < 0.15) {
      emit.push({ kind: 'op', op: mk(path, [{ path, after: rec(path, i + 100000) }]), late: false });
      continue;
    }
    initial.push(old);
    if (x < 0.5) emit.push({ kind: 'keep', rec: old });
    else if (x < 0.75)
      emit.push({ kind: 'op', op: mk(path, [{ path, before: old, after: rec(path, i + 200000) }]), late: false });
    else if (x < 0.9) emit.push({ kind: 'op', op: mk(path, [{ path, before: old }]), late: false });
    else
      late.push(
        mk(`moved/${path}`, [
          { path, before: old },
          { path: `moved/${path}`, after: { ...old, path: `moved/${path}` } },
        ]),
      );
  }
  initial.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  for (const o of late) emit.push({ kind: 'op', op: o, late: true });
  for (const e of emit) if (e.kind === 'op') ops.push(Object.assign(e.op, { id: ops.length }));
  const doneOrder = ops.map((o) => o.id);
  for (let i = doneOrder.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [doneOrder[i], doneOrder[j]] = [doneOrder[j], doneOrder[i]];
  }
  return { initial, emit, ops, doneOrder };
}

/** The state after the ops in `done` completed, sorted. */
export function expectedState(run: GenRun, done: Set<number>): StateRecord[] {
  const m = new Map<string, StateRecord>();
  for (const e of run.emit) if (e.kind === 'keep') m.set(e.rec.path, e.rec);
  for (const o of run.ops)
    for (const c of o.changes) {
      const v = done.has(o.id) ? c.after : c.before;
      if (v) m.set(c.path, v);
    }
  return [...m.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}
