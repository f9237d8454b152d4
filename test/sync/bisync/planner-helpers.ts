/** In-memory inputs for the bisync planner's unit tests: entries, state records, and a recording sink. */
import { compareB2Order } from '../../../src/sync/march.js';
import { planBisync } from '../../../src/sync/bisync/planner.js';
import type { BisyncCounts, BisyncOp, BisyncPlannerOptions, StateRecord } from '../../../src/sync/bisync/types.js';
import type { Entry } from '../../../src/sync/types.js';

export const NOW = Date.UTC(2026, 11, 7, 14, 5, 9);
export const STAMP = '20261207-140509';

export function L(path: string, size: number, mtimeMs: number, extra: Partial<Entry> = {}): Entry {
  return { path, size, mtimeMs, localPath: `/loc/${path}`, ino: 1000 + size, kind: 'file', ...extra };
}

export function R(path: string, size: number, mtimeMs: number, extra: Partial<Entry> = {}): Entry {
  return { path, size, mtimeMs, fileId: `id-${path}-${size}-${mtimeMs}`, kind: 'file', ...extra };
}

/** A state record matching L(path, size, mtime) and R(path, size, mtime) as built above. */
export function S(
  path: string,
  size: number,
  mtimeMs: number,
  x: { ino?: number; lsha?: string; rsha?: string; fileId?: string } = {},
): StateRecord {
  const rec: StateRecord = {
    path,
    local: { size, mtimeMs, ino: x.ino ?? 1000 + size },
    remote: { size, mtimeMs, fileId: x.fileId ?? `id-${path}-${size}-${mtimeMs}` },
  };
  if (x.lsha) rec.local.sha1 = x.lsha;
  if (x.rsha) rec.remote.sha1 = x.rsha;
  return rec;
}

export interface Result {
  keeps: StateRecord[];
  ops: BisyncOp[];
  late: boolean[];
  held: { path: string; why: string }[];
  counts: BisyncCounts;
  hashed: string[];
}

export interface RunOpts extends Partial<BisyncPlannerOptions> {
  /** SHA-1 by path for hashLocal (missing: unreadable). */
  hashes?: Record<string, string>;
  included?: (e: Entry) => boolean;
  batch?: number;
}

export async function* batches<T>(items: T[], n: number): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += n) yield items.slice(i, i + n);
}

const sorted = <T extends { path: string }>(xs: T[]) => [...xs].sort((a, b) => compareB2Order(a.path, b.path));

export function opts(o: Partial<BisyncPlannerOptions> = {}): BisyncPlannerOptions {
  return { modifyWindowMs: 1, checksum: false, conflict: 'keep-both', localIs: 'path1', now: NOW, ...o };
}

export async function plan(state: StateRecord[], local: Entry[], remote: Entry[], o: RunOpts = {}): Promise<Result> {
  const res: Result = { keeps: [], ops: [], late: [], held: [], counts: undefined as never, hashed: [] };
  const n = o.batch ?? 2;
  res.counts = await planBisync(
    {
      state: batches(sorted(state), n),
      local: batches(sorted(local), n),
      remote: batches(sorted(remote), n),
      opts: opts(o),
      included: o.included ?? (() => true),
      hashLocal: async (e) => {
        res.hashed.push(e.path);
        await new Promise((r) => setImmediate(r));
        return o.hashes?.[e.path];
      },
    },
    {
      keep: (rec) => void res.keeps.push(rec),
      op: (op, late) => {
        res.ops.push(op);
        res.late.push(late);
      },
      held: (path, why) => void res.held.push({ path, why }),
    },
  );
  return res;
}

/** The one op of a result (asserting there is exactly one and nothing else). */
export function only(res: Result): BisyncOp {
  if (res.ops.length !== 1 || res.keeps.length !== 0) {
    throw new Error(
      `expected one op, got ${JSON.stringify(res.ops.map((o) => [o.op, o.path]))} and ${res.keeps.length} keeps`,
    );
  }
  return res.ops[0];
}
