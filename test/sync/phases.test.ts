/** Pure parts of the sync phases: the safety stop on a run's counters, and the scheduler's bounds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetyStopError } from '../../src/sync/errors.js';
import { safetyStop } from '../../src/sync/phases/safety-stop.js';
import { Scheduler } from '../../src/sync/scheduler.js';
import { SyncRun } from '../../src/sync/sync-run.js';
import type { Side } from '../../src/sync/sides.js';
import type { SyncOptions } from '../../src/sync/types.js';

/** A local → B2 run built without the network: the B2 side is never called by these phases. */
function runWith(opts: Partial<SyncOptions>, srcState: 'dir' | 'missing' = 'dir'): SyncRun {
  const src: Side = { kind: 'local', root: '/src', state: srcState };
  const dst: Side = { kind: 'b2', client: {} as never, bucketName: 'b', bucketId: 'id', prefix: '' };
  return new SyncRun({
    srcEp: { kind: 'local', path: '/src' },
    dstEp: { kind: 'b2', client: {} as never, bucketName: 'b', prefix: '' },
    src,
    dst,
    opts: { mode: 'sync', ...opts },
  });
}

test('safetyStop: refuses an empty or missing source and more than half of DST deleted; force and copy pass', () => {
  const r = runWith({});
  r.counts.dst.n = 10;
  r.deletions = 10;
  assert.throws(
    () => safetyStop(r),
    (e: unknown) => e instanceof SafetyStopError && /is empty/.test(e.message),
  );
  r.counts.src.n = 4;
  r.deletions = 6;
  assert.throws(() => safetyStop(r), /6 of the 10 files.*more than half/);
  r.deletions = 5;
  assert.doesNotThrow(() => safetyStop(r));
  const missing = runWith({}, 'missing');
  missing.deletions = 1;
  missing.counts.dst.n = 1;
  assert.throws(() => safetyStop(missing), /is missing/);
  const forced = runWith({ force: true });
  forced.deletions = 3;
  forced.counts.dst.n = 3;
  assert.doesNotThrow(() => safetyStop(forced));
  const copy = runWith({ mode: 'copy' });
  copy.deletions = 3;
  assert.doesNotThrow(() => safetyStop(copy));
});

test('Scheduler: at most `transfers` run at once, large ones limited by partConcurrency, none after abort', async () => {
  const s = new Scheduler({ transfers: 4, partConcurrency: 2 });
  let running = 0;
  let peak = 0;
  let largeRunning = 0;
  let largePeak = 0;
  const work = (large: boolean) => async () => {
    running++;
    if (large) largeRunning++;
    peak = Math.max(peak, running);
    largePeak = Math.max(largePeak, largeRunning);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    if (large) largeRunning--;
  };
  for (let i = 0; i < 20; i++) await s.schedule(i % 2 === 0, work(i % 2 === 0));
  await s.drain();
  assert.equal(peak, 4);
  assert.equal(largePeak, 2);

  const ac = new AbortController();
  const aborted = new Scheduler({ transfers: 1, partConcurrency: 1, signal: ac.signal });
  let ran = 0;
  await aborted.schedule(false, async () => {
    ran++;
    ac.abort();
  });
  await aborted.schedule(false, async () => {
    ran++;
  });
  await aborted.drain();
  assert.equal(ran, 1);
});

test('SyncRun: a local destination gets a type-change detector; options take their defaults', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'b2sync-run-'));
  const r = new SyncRun({
    srcEp: { kind: 'b2', client: {} as never, bucketName: 'b', prefix: '' },
    dstEp: { kind: 'local', path: dir },
    src: { kind: 'b2', client: {} as never, bucketName: 'b', bucketId: 'id', prefix: '' },
    dst: { kind: 'local', root: dir, state: 'dir' },
    opts: { mode: 'copy', dryRun: true },
  });
  assert.ok(r.typeChanges);
  assert.equal(r.transferAction, 'download');
  assert.equal(r.transfers, 16);
  assert.deepEqual(r.summary.plan, []);
  assert.equal(runWith({}).typeChanges, undefined);
});
