/**
 * Memory with 50,000 files: the planning pipeline (local walk → filter → march → compare) must not hold
 * the tree. Samples retained heap (after a full GC) every 10,000 entries and RSS; asserts the retained
 * heap stays within 8 MB of the start (holding 50,000 entries would take well over that). Not timed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import type { RunningEmulator } from '../../src/emulator/api.js';
import type { B2Client } from '../../src/client/b2-client.js';
import { runSync } from '../../src/sync/index.js';
import { decide } from '../../src/sync/compare.js';
import { march } from '../../src/sync/march.js';
import { PlanSpool } from '../../src/sync/plan-spool.js';
import { walkLocal } from '../../src/sync/remotes/local.js';
import type { Entry } from '../../src/sync/types.js';
import { cleanup, local, makeClient, newBucket, remote, startTestEmulator, tempDir } from './fixture.js';

const DIRS = 100;
const PER_DIR = 500;
const N = DIRS * PER_DIR;
let root: string;
let emu: RunningEmulator;
let client: B2Client;

before(async () => {
  root = await tempDir();
  for (let d = 0; d < DIRS; d++) {
    // Empty files, created synchronously (much faster than 50,000 promise-based writes).
    const dir = join(root, `dir${String(d).padStart(3, '0')}`);
    mkdirSync(dir);
    for (let i = 0; i < PER_DIR; i++) closeSync(openSync(join(dir, `file-${String(i).padStart(4, '0')}.txt`), 'w'));
  }
  emu = await startTestEmulator();
  client = makeClient(emu);
});
after(async () => {
  await client.close();
  await emu.close();
  await cleanup(root);
});

// A collector to call before sampling, so samples show retained memory rather than garbage.
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Samples retained heap (after a full GC) and RSS; growth is the largest retained heap above the start. */
function sampler() {
  gc();
  const base = process.memoryUsage();
  let heap = base.heapUsed;
  let rss = base.rss;
  return {
    sample() {
      gc();
      const m = process.memoryUsage();
      heap = Math.max(heap, m.heapUsed);
      rss = Math.max(rss, m.rss);
    },
    report(label: string) {
      const growth = (heap - base.heapUsed) / 1e6;
      console.log(
        `${label}: retained heap peak ${(heap / 1e6).toFixed(0)} MB (+${growth.toFixed(1)} MB over the start), peak RSS ${(rss / 1e6).toFixed(0)} MB`,
      );
      return growth;
    },
  };
}

test('a dry-run sync plan of 50,000 local files against B2 keeps heap flat and lists once', async () => {
  const { bucketName } = await newBucket(client, 'mem');
  emu.controls.resetCounters();
  const m = sampler();
  let plans = 0;
  const t0 = Date.now();
  const s = await runSync(local(root), remote(client, bucketName), {
    mode: 'sync',
    dryRun: true,
    keepPlan: false,
    onEvent: (e) => {
      if (e.type === 'plan' && ++plans % 10_000 === 0) m.sample();
    },
  });
  const growth = m.report(`dry-run plan of ${N} files in ${Date.now() - t0} ms`);
  assert.equal(plans, N);
  assert.equal(s.plan, undefined);
  assert.equal(emu.controls.counters().calls['b2_list_file_names'], 1);
  assert.ok(growth < 8, `retained heap grew ${growth.toFixed(1)} MB`);
});

test('a no-op march of 50,000 local files against an equal listing compares every pair with flat memory', async () => {
  // The destination listing: the same names and sizes, generated in B2 order (compared by size).
  async function* listing(): AsyncGenerator<Entry> {
    for (let d = 0; d < DIRS; d++)
      for (let i = 0; i < PER_DIR; i++)
        yield {
          path: `dir${String(d).padStart(3, '0')}/file-${String(i).padStart(4, '0')}.txt`,
          size: 0,
          mtimeMs: 0,
          kind: 'file',
        };
  }
  const m = sampler();
  let skips = 0;
  let n = 0;
  for await (const pair of march(walkLocal(root), listing())) {
    const it = await decide(pair, { mode: 'sync', compare: 'size-only', modifyWindowMs: 1, transferAction: 'upload' });
    if (it?.action.action === 'skip') skips++;
    if (++n % 10_000 === 0) m.sample();
  }
  const growth = m.report(`no-op march of ${N} pairs`);
  assert.equal(skips, N);
  assert.ok(growth < 8, `retained heap grew ${growth.toFixed(1)} MB`);
});

test('the plan spool moves to disk past its memory limit and reads back in order', async () => {
  const spool = new PlanSpool(1000);
  const m = sampler();
  for (let i = 0; i < N; i++) {
    await spool.push({
      action: { action: 'upload', path: `p/${String(i).padStart(6, '0')}`, reason: 'new', size: i },
      src: { path: `p/${i}`, size: i, mtimeMs: i, kind: 'file', localPath: `/x/p/${i}` },
    });
    if (i % 10_000 === 0) m.sample();
  }
  await spool.seal();
  let k = 0;
  for await (const it of spool.items()) {
    assert.equal(it.action.size, k++);
    if (k % 10_000 === 0) m.sample();
  }
  assert.equal(k, N);
  const growth = m.report(`plan spool of ${N} items`);
  await spool.dispose();
  assert.ok(growth < 8, `retained heap grew ${growth.toFixed(1)} MB`);
});
