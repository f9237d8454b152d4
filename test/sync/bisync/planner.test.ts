import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planBisync, type PlannerInput } from '../../../src/sync/bisync/planner.js';
import type { BisyncOp, BisyncPlannerOptions, StateRecord } from '../../../src/sync/bisync/types.js';
import type { Entry } from '../../../src/sync/types.js';
import { compareB2Order, ListingOrderError } from '../../../src/sync/march.js';

const T = 1_700_000_000_000;
const NOW = Date.UTC(2026, 11, 7, 13, 5, 1);

function L(path: string, size = 3, mtimeMs = T, ino = size * 1000 + path.length, sha1?: string): Entry {
  return { path, size, mtimeMs, ino, localPath: `/x/${path}`, kind: 'file', ...(sha1 ? { sha1 } : {}) };
}
function R(path: string, size = 3, mtimeMs = T, fileId = `id-${path}-${size}-${mtimeMs}`, sha1 = `sha-${size}`): Entry {
  return { path, size, mtimeMs, fileId, sha1, kind: 'file' };
}
/** A state record for a path both sides held as L(path, ...) and R(path, ...). */
function S(path: string, size = 3, mtimeMs = T, ino = size * 1000 + path.length): StateRecord {
  return {
    path,
    local: { size, mtimeMs, ino },
    remote: { size, mtimeMs, fileId: `id-${path}-${size}-${mtimeMs}`, sha1: `sha-${size}` },
  };
}

async function* batches<T>(items: T[]): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += 2) yield items.slice(i, i + 2);
}

interface Result {
  ops: (BisyncOp & { late: boolean })[];
  keeps: StateRecord[];
  held: string[];
  counts: Awaited<ReturnType<typeof planBisync>>;
  hashed: string[];
}

async function plan(
  state: StateRecord[],
  local: Entry[],
  remote: Entry[],
  o: Partial<BisyncPlannerOptions> & {
    included?: (e: Entry) => boolean;
    hashes?: Record<string, string>;
    unsorted?: boolean;
  } = {},
): Promise<Result> {
  if (!o.unsorted) for (const list of [state, local, remote]) list.sort((a, b) => compareB2Order(a.path, b.path));
  const res: Result = { ops: [], keeps: [], held: [], hashed: [], counts: undefined as never };
  const input: PlannerInput = {
    state: batches(state),
    local: batches(local),
    remote: batches(remote),
    opts: { modifyWindowMs: 1, checksum: false, conflict: 'keep-both', localIs: 'path1', now: NOW, ...o },
    included: o.included ?? (() => true),
    hashLocal: async (e) => {
      res.hashed.push(e.path);
      return o.hashes?.[e.path];
    },
    stateRecords: state.length,
  };
  res.counts = await planBisync(input, {
    keep: (r) => void res.keeps.push(r),
    op: (op, late) => void res.ops.push({ ...op, late }),
    held: (p) => void res.held.push(p),
  });
  return res;
}

const kinds = (r: Result) => r.ops.map((o) => `${o.op} ${o.path}${'from' in o ? ` <- ${o.from}` : ''}`);

test('first run: one-sided names are copied, the same content settles, different content is a conflict', async () => {
  const r = await plan([], [L('a'), L('same'), L('x', 3, T + 5000)], [R('b'), R('same'), R('x', 4, T)]);
  assert.deepEqual(kinds(r), ['upload a', 'download b', 'settle same', 'conflict x']);
  const c = r.ops[3] as Extract<BisyncOp, { op: 'conflict' }>;
  assert.equal(c.winner, 'local'); // newer
  assert.equal(c.loserPath, 'x.conflict-20261207-130501-path2');
  assert.deepEqual(
    r.ops.map((o) => o.id),
    [0, 1, 2, 3],
  );
});

test('unchanged on both sides: only keep records, refreshed from the listings', async () => {
  const r = await plan([S('a'), S('b')], [L('a'), L('b')], [R('a'), R('b')]);
  assert.equal(r.ops.length, 0);
  assert.deepEqual(
    r.keeps.map((k) => k.path),
    ['a', 'b'],
  );
  assert.equal(r.keeps[0].remote.fileId, 'id-a-3-' + T);
});

test('a change on one side is copied to the other; a delete on one side is propagated', async () => {
  const r = await plan(
    [S('lchg'), S('rchg'), S('ldel'), S('rdel'), S('both')],
    [L('lchg', 9, T + 9000), L('rchg'), L('rdel')],
    [R('lchg'), R('rchg', 5, T + 5000), R('ldel')],
  );
  assert.deepEqual(kinds(r).sort(), ['delete-local rdel', 'delete-remote ldel', 'download rchg', 'upload lchg']);
  assert.equal(r.counts.deleteLocal, 1);
  assert.equal(r.counts.deleteRemote, 1);
  assert.equal(r.keeps.length, 0, 'a name deleted on both sides leaves the state');
});

test('deleting never beats a change: modified on one side, deleted on the other, is restored', async () => {
  const r = await plan([S('m1'), S('m2')], [L('m1', 7, T + 7000)], [R('m2', 8, T + 8000)]);
  assert.deepEqual(kinds(r), ['upload m1', 'download m2']);
  assert.ok(r.ops.every((o) => o.reason === 'restored (changed on the other side)'));
});

test('changed on both sides: the same content settles, else each policy picks its winner', async () => {
  const st = [S('f')];
  const lo = [L('f', 5, T + 2000)];
  const ro = [R('f', 6, T + 1000)];
  const settle = await plan(st, [L('f', 6, T + 3000)], ro, { hashes: { f: 'sha-6' } });
  assert.deepEqual(kinds(settle), ['settle f']);
  const want: Record<string, [string, string | undefined]> = {
    'keep-both': ['local', 'f.conflict-20261207-130501-path2'],
    newer: ['local', undefined],
    older: ['remote', 'f.conflict-20261207-130501-path1'],
    path1: ['local', undefined],
    path2: ['remote', 'f.conflict-20261207-130501-path1'],
  };
  for (const [policy, [winner, loserPath]] of Object.entries(want)) {
    const r = await plan(st, lo, ro, { conflict: policy as BisyncPlannerOptions['conflict'] });
    const c = r.ops[0] as Extract<BisyncOp, { op: 'conflict' }>;
    assert.equal(c.winner, winner, policy);
    assert.equal(c.loserPath, loserPath, policy);
    assert.equal(c.changes.length, loserPath ? 2 : 1, policy);
  }
  // With the local side as path2, path1 means B2.
  const r2 = await plan(st, lo, ro, { conflict: 'path1', localIs: 'path2' });
  assert.equal((r2.ops[0] as Extract<BisyncOp, { op: 'conflict' }>).winner, 'remote');
});

test('a local rename (same inode, size, mtime) becomes a B2 rename, not a delete and an upload', async () => {
  const moved = L('dir2/a', 3, T, 3000 + 'dir/a'.length); // same inode as the old dir/a
  const r = await plan([S('dir/a'), S('dir/b', 4)], [L('dir/b', 4), moved], [R('dir/a'), R('dir/b', 4)]);
  assert.deepEqual(kinds(r), ['rename-remote dir2/a <- dir/a']);
  assert.ok(r.ops[0].late);
  assert.equal(r.counts.deleteRemote, 0, 'a rename is not a deletion');
  assert.equal(r.counts.renames, 1);
});

test('a local rename found by SHA-1 when the inode differs; a B2 rename becomes a local rename', async () => {
  const r = await plan(
    [S('old-l'), S('old-r', 5)],
    [L('new-l', 3, T, 42), L('old-r', 5)],
    [R('old-l'), R('new-r', 5)],
    { hashes: { 'new-l': 'sha-3' } },
  );
  assert.deepEqual(kinds(r), ['rename-remote new-l <- old-l', 'rename-local new-r <- old-r']);
});

test('unpaired candidates fall back to their ordinary operations; a candidate pairs once', async () => {
  const r = await plan([S('a')], [L('b', 3, T, 3001), L('c', 3, T, 99)], [R('a')], { hashes: { c: 'sha-3' } });
  // b has a's inode: the rename; c has the same SHA-1, but a is taken: an upload.
  assert.deepEqual(kinds(r), ['rename-remote b <- a', 'upload c']);
});

test('held paths: a one-sided filter exclusion and twin names keep their old records', async () => {
  const twin = { ...L('tw'), twin: true };
  const r = await plan([S('big'), S('tw')], [L('big', 999), twin], [R('big'), R('tw')], {
    included: (e) => e.size < 100,
  });
  assert.deepEqual(r.held, ['big', 'tw']);
  assert.equal(r.ops.length, 0);
  assert.deepEqual(
    r.keeps.map((k) => k.path),
    ['big', 'tw'],
  );
  assert.equal(r.counts.held, 2);
});

test('a listing out of order throws', async () => {
  await assert.rejects(plan([], [L('b'), L('a')], [], { unsorted: true }), ListingOrderError);
});

test('a 100,000-path no-op plan emits only keeps', async () => {
  const n = 100_000;
  const names = Array.from({ length: n }, (_, i) => `f${String(i).padStart(6, '0')}`);
  const r = await plan(
    names.map((p) => S(p)),
    names.map((p) => L(p)),
    names.map((p) => R(p)),
  );
  assert.equal(r.keeps.length, n);
  assert.equal(r.ops.length, 0);
  assert.equal(r.counts.state, n);
});
