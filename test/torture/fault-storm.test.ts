/**
 * Fault storm: a tree (mostly 1-64 KiB files, a few of several MiB, one above the large-file cutoff:
 * 200 MB in full, 16 MiB short) synced up and then down while about 10% of B2 calls fail: 500, 503, 503 with Retry-After,
 * 429, connections dropped before the reply, replies cut short after the server acted (lost replies to
 * b2_start_large_file, b2_finish_large_file and b2_upload_file among them) and corrupted download
 * bodies. Both syncs must exit 0 with every file byte-identical (hashed by this test), no temp file, no
 * unfinished large file, and a fault-free re-sync must move nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Checks } from './lib/checks.js';
import { assertMovedNothing, expectOk, retriesLogged } from './lib/cli-output.js';
import { addCounts, buildSchedule, ERRORS, firedByKind, inject, sumCounts, type CallPlan } from './lib/faults.js';
import {
  LARGE_FILE_SIZE,
  PART_SIZE,
  UPLOAD_ARGS,
  totalCalls,
  tortureFixture,
  type TortureFixture,
} from './lib/fixture.js';
import { RemoteView } from './lib/remote.js';
import { seededRng } from './lib/rng.js';
import { assertSameTree, hashTree, tempFiles, totalBytes, writeTree, type FileSpec } from './lib/tree.js';
import { report, size } from './report.js';

const B = 'torture-storm';
const RATE = 0.1;
const rng = seededRng('fault-storm');
const SMALL = size(992, 145);
const MID = size(7, 4);
const MIB = 1024 * 1024;

function treeSpec(): FileSpec[] {
  const files: FileSpec[] = [];
  for (let i = 0; i < SMALL; i++)
    files.push({ name: `d${i % 10}/s${i % 3}/f${i}.bin`, size: rng.int(1024, 64 * 1024) });
  for (let i = 0; i < MID; i++)
    files.push({ name: `big/m${i}.bin`, size: size(rng.int(5, 30), rng.int(1, 3)) * MIB + i });
  files.push({ name: 'big/large.bin', size: LARGE_FILE_SIZE });
  return files;
}

/** Calls of a sync up and the faults each may take; the lost replies the issue names are placed on purpose. */
function upPlan(): CallPlan[] {
  const json = [...ERRORS, 'drop', 'cut'] as const;
  const parts = Math.ceil(LARGE_FILE_SIZE / PART_SIZE);
  return [
    { call: 'b2_authorize_account', expected: 1, kinds: ERRORS, fixed: [{ after: 0, label: '503' }] },
    { call: 'b2_list_buckets', expected: 2, kinds: json, fixed: [{ after: 0, label: 'drop' }] },
    { call: 'b2_list_file_names', expected: 1, kinds: json, fixed: [{ after: 0, label: 'cut' }] },
    { call: 'b2_get_upload_url', expected: 24, kinds: json },
    { call: 'b2_upload_file', expected: SMALL + MID, kinds: json, fixed: [{ after: 3, label: 'cut' }] },
    { call: 'b2_list_unfinished_large_files', expected: 1, kinds: ERRORS },
    { call: 'b2_start_large_file', expected: 1, kinds: json, fixed: [{ after: 0, label: 'cut' }] },
    { call: 'b2_get_upload_part_url', expected: 6, kinds: json },
    { call: 'b2_upload_part', expected: parts, kinds: json },
    { call: 'b2_finish_large_file', expected: 1, kinds: json, fixed: [{ after: 0, label: 'cut' }] },
  ];
}

function downPlan(): CallPlan[] {
  const json = [...ERRORS, 'drop', 'cut'] as const;
  const dl = [...ERRORS, 'drop', 'corrupt'] as const;
  const files = SMALL + MID + 1;
  return [
    { call: 'b2_list_buckets', expected: 2, kinds: json },
    { call: 'b2_list_file_names', expected: 2, kinds: json, fixed: [{ after: 0, label: 'cut' }] },
    { call: 'b2_download_file_by_id', expected: files, kinds: dl, fixed: [{ after: 2, label: 'corrupt' }] },
    { call: 'b2_download_file_by_name', expected: files, kinds: dl, fixed: [{ after: 2, label: 'corrupt' }] },
  ];
}

let fx: TortureFixture;
before(async () => {
  fx = await tortureFixture();
});
after(() => fx?.close());

test('a tree synced up and down through a storm of B2 faults arrives byte for byte, leaving nothing behind', async () => {
  const t0 = Date.now();
  const spec = treeSpec();
  const src = join(fx.dir, 'src');
  const dst = join(fx.dir, 'dst');
  const want = await writeTree(src, spec, rng);
  await mkdir(dst);
  expectOk(await fx.run(['mkdir', `b2://${B}`]), 'mkdir');
  // The bucket exists: the fresh CLI runs below authorize again (the token cache is dropped).
  await rm(join(fx.dir, 'config'), { recursive: true, force: true });

  // Every check runs and is reported, so one run shows all that went wrong, not just the first.
  const checks = new Checks();
  const check = (what: string, fn: () => unknown) => checks.check(what, fn);
  const faults: Record<string, number> = {};
  let calls = 0;
  let retries = 0;
  const storm = async (plans: CallPlan[], args: string[], what: string): Promise<void> => {
    const schedule = buildSchedule(rng, plans, RATE);
    fx.emu.controls.resetCounters();
    inject(fx.emu, schedule);
    const r = await fx.run(['-v', ...args]);
    fx.emu.controls.clearFaults();
    const fired = firedByKind(schedule, fx.emu.controls.counters().calls);
    const n = totalCalls(fx.emu);
    console.log(
      `${what}: ${n} B2 calls, faults fired ${JSON.stringify(fired)}, retries logged ${retriesLogged(r.stderr)}`,
    );
    addCounts(faults, fired);
    calls += n;
    retries += retriesLogged(r.stderr);
    await check(what, () => expectOk(r, what));
  };

  const tUp = Date.now();
  await storm(upPlan(), ['sync', ...UPLOAD_ARGS, src, `b2://${B}/`], 'sync up');
  const upMs = Date.now() - tUp;
  const remote = await RemoteView.open(fx.emu, B);
  await check('bucket', async () => assertSameTree(await remote.latestHashes(), want, 'the bucket after sync up'));
  await check('unfinished', async () =>
    assert.deepEqual(await remote.unfinished(), [], 'no unfinished large file after sync up'),
  );

  const tDown = Date.now();
  await storm(downPlan(), ['sync', `b2://${B}/`, dst], 'sync down');
  const downMs = Date.now() - tDown;
  await check('temp files', async () => assert.deepEqual(await tempFiles(dst), [], 'no temp file left in dst'));
  await check('folder', async () => assertSameTree(await hashTree(dst), want, 'the folder after sync down'));
  const upAgain = await fx.run(['--json', 'sync', ...UPLOAD_ARGS, src, `b2://${B}/`]);
  await check('re-sync up', () => assertMovedNothing(upAgain, 'fault-free re-sync up'));
  const downAgain = await fx.run(['--json', 'sync', `b2://${B}/`, dst]);
  await check('re-sync down', () => assertMovedNothing(downAgain, 'fault-free re-sync down'));

  const injected = sumCounts(faults);
  report('fault-storm', {
    seed: rng.seed,
    files: spec.length,
    bytes: totalBytes(spec),
    b2Calls: calls,
    faultsInjected: injected,
    faultShare: Number((injected / calls).toFixed(3)),
    faults,
    retries,
    syncUpMs: upMs,
    syncDownMs: downMs,
    wallMs: Date.now() - t0,
    problems: checks.problems.length,
  });
  checks.assertNone('every check of the storm passed');
});
