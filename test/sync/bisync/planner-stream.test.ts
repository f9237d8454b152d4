/** Bisync planner: held paths, counts, order errors, hashing in order with a bound, and a large no-op plan's memory. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { L, R, S, batches, opts, plan } from './planner-helpers.js';
import { planBisync } from '../../../src/sync/bisync/planner.js';
import { ListingOrderError } from '../../../src/sync/march.js';
import type { StateRecord } from '../../../src/sync/bisync/types.js';
import type { Entry } from '../../../src/sync/types.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live heap after a full collection. */
function heapAfterGc(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

const noSink = { keep: () => {}, op: () => {}, held: () => {} };

test('held: excluded by the filters on one side only → no op, the old record carried over, counted', async () => {
  const s = S('x', 5, 1000);
  const included = (e: Entry) => e.size <= 10;
  const res = await plan([s], [L('x', 20, 2000)], [R('x', 5, 1000)], { included });
  assert.equal(res.ops.length, 0);
  assert.deepEqual(res.keeps, [s]);
  assert.equal(res.held.length, 1);
  assert.equal(res.held[0].path, 'x');
  assert.match(res.held[0].why, /excluded by the filters on one side only \(local\)/);
  assert.equal(res.counts.held, 1);
  assert.equal(res.counts.local, 0);
  assert.equal(res.counts.remote, 1);
});

test('excluded everywhere: outside bisync, its state record carried over, not held', async () => {
  const s = S('skip/x', 5, 1000);
  const included = (e: Entry) => !e.path.startsWith('skip/');
  const res = await plan([s], [], [R('skip/x', 5, 1000), R('skip/y', 1, 1)], { included });
  assert.deepEqual(res.keeps, [s]);
  assert.equal(res.ops.length + res.held.length, 0);
  assert.equal(res.counts.remote, 0);
});

test('held: a local unicode twin → no op; its state record (if any) carried over', async () => {
  const s = S('é', 5, 1000);
  const res = await plan([s], [L('é', 6, 2000, { twin: true })], [R('é', 5, 1000)]);
  assert.equal(res.ops.length, 0);
  assert.deepEqual(res.keeps, [s]);
  assert.match(res.held[0].why, /unicode/);
  const fresh = await plan([], [L('é', 6, 2000, { twin: true })], []);
  assert.equal(fresh.ops.length + fresh.keeps.length, 0);
  assert.equal(fresh.counts.held, 1);
});

test('counts: state records, listed entries after filters, deletions, conflicts', async () => {
  const state = [S('a', 1, 1000), S('b', 2, 1000), S('c', 3, 1000), S('d', 4, 1000)];
  const local = [L('a', 1, 1000), L('c', 9, 9000), L('d', 7, 7000), L('f.tmp', 1, 1)];
  const remote = [R('b', 2, 1000), R('c', 3, 1000), R('d', 8, 8000)];
  const res = await plan(state, local, remote, { included: (e) => !e.path.endsWith('.tmp') });
  assert.deepEqual(res.counts, {
    state: 4,
    local: 3,
    remote: 3,
    deleteLocal: 1,
    deleteRemote: 1,
    renames: 0,
    conflicts: 1,
    held: 0,
  });
});

async function* raw<T>(xs: T[]): AsyncGenerator<T[]> {
  yield xs;
}

test('a listing out of order throws ListingOrderError (state, local and remote alike)', async () => {
  const bad = [L('b', 1, 1), L('a', 1, 1)];
  const input = (st: StateRecord[], lo: Entry[], re: Entry[]) => ({
    state: raw(st),
    local: raw(lo),
    remote: raw(re),
    opts: opts(),
    included: () => true,
    hashLocal: async () => undefined,
  });
  await assert.rejects(
    planBisync(input([], bad, []), noSink),
    (e) => e instanceof ListingOrderError && /local/.test(e.message),
  );
  await assert.rejects(
    planBisync(input([], [], bad), noSink),
    (e) => e instanceof ListingOrderError && /remote/.test(e.message),
  );
  const badState = [S('b', 1, 1), S('a', 1, 1)];
  await assert.rejects(
    planBisync(input(badState, [], []), noSink),
    (e) => e instanceof ListingOrderError && /state/.test(e.message),
  );
  await assert.rejects(planBisync(input([], [L('a', 1, 1), L('a', 1, 1)], []), noSink), ListingOrderError);
});

test('hashing: up to `checkers` in flight, results applied in path order among unhashed paths', async () => {
  const n = 40;
  const names = Array.from({ length: n }, (_, i) => `f${String(i).padStart(3, '0')}`);
  // Every even path needs a hash (--checksum with a known SHA-1); odd ones are decided at once.
  const state = names.map((p, i) => S(p, 5, 1000, i % 2 === 0 ? { lsha: 'h' } : {}));
  const local = names.map((p) => L(p, 5, 1000));
  const remote = names.map((p) => R(p, 5, 1000));
  let inFlight = 0;
  let maxInFlight = 0;
  const order: string[] = [];
  await planBisync(
    {
      state: batches(state, 7),
      local: batches(local, 5),
      remote: batches(remote, 3),
      opts: opts({ checksum: true, checkers: 4 }),
      included: () => true,
      hashLocal: async () => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((r) => setTimeout(r, Math.random() * 5));
        inFlight--;
        return 'h';
      },
    },
    { keep: (rec) => void order.push(rec.path), op: () => assert.fail('no op expected'), held: () => {} },
  );
  assert.deepEqual(order, names);
  assert.ok(maxInFlight <= 4, `max in flight ${maxInFlight}`);
  assert.ok(maxInFlight > 1, 'hashes overlapped');
});

async function* gen<T>(n: number, per: number, make: (i: number) => T): AsyncGenerator<T[]> {
  for (let i = 0; i < n; i += per) {
    const b: T[] = [];
    for (let j = i; j < Math.min(n, i + per); j++) b.push(make(j));
    yield b;
  }
}

test('a 200,000-path no-op plan emits only keeps, with a bounded heap', async () => {
  const n = 200_000;
  const name = (i: number) => `dir${String(i >> 10).padStart(4, '0')}/file${String(i).padStart(7, '0')}`;
  let keeps = 0;
  let peak = 0;
  const base = heapAfterGc();
  const counts = await planBisync(
    {
      state: gen(n, 1000, (i) => S(name(i), i % 5000, 1_700_000_000_000, { ino: i, rsha: 'x', fileId: `f${i}` })),
      local: gen(n, 16384, (i) => L(name(i), i % 5000, 1_700_000_000_000, { ino: i })),
      remote: gen(n, 100, (i) => R(name(i), i % 5000, 1_700_000_000_000, { fileId: `f${i}`, sha1: 'x' })),
      opts: opts(),
      included: () => true,
      hashLocal: async () => assert.fail('no hash needed'),
    },
    {
      keep: () => {
        if (++keeps % 20_000 === 0) peak = Math.max(peak, heapAfterGc() - base);
      },
      op: (op) => assert.fail(`unexpected op ${op.op} ${op.path}`),
      held: (p) => assert.fail(`unexpected held ${p}`),
    },
  );
  assert.equal(keeps, n);
  assert.equal(counts.state, n);
  // Holding every path would take well over 100 MB (three objects of ~200 bytes per path).
  assert.ok(peak < 32 * 1024 * 1024, `heap grew by ${(peak / 1048576).toFixed(1)} MB`);
});
