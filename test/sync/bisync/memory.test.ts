/**
 * Memory: committing a plan over a 200,000-record state and streaming the result keeps the retained heap
 * flat. Holding 200,000 StateRecords would retain well over 40 MB (measured below for comparison); the
 * bound is 20 MB over the start (the journal bitset, two read batches, the writer's 256 KB buffer, and
 * GC slack).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PairState } from '../../../src/sync/bisync/state-store.js';
import type { BisyncOp, StateRecord } from '../../../src/sync/bisync/types.js';
import type { Entry } from '../../../src/sync/types.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const N = 200_000;
const E: Entry = { path: 'x', size: 0, mtimeMs: 0, kind: 'file' };
const rec = (i: number, v = 1): StateRecord => ({
  path: `dir${String(Math.floor(i / 1000)).padStart(4, '0')}/file-${String(i).padStart(7, '0')}.dat`,
  local: { size: i * v, mtimeMs: 1_700_000_000_000 + i, ino: 1_000_000 + i, sha1: 'a'.repeat(40) },
  remote: { size: i * v, mtimeMs: 1_700_000_000_000 + i, fileId: `4_z${'0'.repeat(20)}${i}`, sha1: 'a'.repeat(40) },
});

test('commit of a 200,000-record plan and streaming the state keep the heap flat', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bmem-'));
  const s = await PairState.open({
    stateDir: dir,
    localRoot: '/l',
    bucketId: 'b',
    bucketName: 'bk',
    prefix: '',
    command: 't',
  });
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const timer = setInterval(() => {
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 100);
  const w = await s.beginPlan();
  let id = 0;
  for (let i = 0; i < N; i++) {
    if (i % 10 === 0) {
      const op: BisyncOp = {
        id: id++,
        path: rec(i).path,
        reason: 'changed',
        op: 'settle',
        local: E,
        remote: E,
        changes: [{ path: rec(i).path, before: rec(i), after: rec(i, 2) }],
      };
      await w.op(op, false);
    } else await w.keep(rec(i));
  }
  await w.seal();
  const j = await s.journal();
  for (let k = 0; k < id; k += 2) j.done(k);
  const r = await s.commit();
  assert.equal(r.records, N);
  let n = 0;
  for await (const b of s.records()) n += b.length;
  assert.equal(n, N);
  clearInterval(timer);
  gc();
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  const growth = (peak - base) / 1e6;
  // For comparison: what holding the records would retain.
  const held = Array.from({ length: N }, (_, i) => rec(i));
  gc();
  const holding = (process.memoryUsage().heapUsed - base) / 1e6;
  console.log(
    `retained heap growth ${growth.toFixed(1)} MB (holding ${held.length} records: ${holding.toFixed(0)} MB)`,
  );
  assert.ok(growth < 20, `heap grew ${growth.toFixed(1)} MB`);
  await s.release();
  await rm(dir, { recursive: true });
});
