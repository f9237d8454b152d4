/**
 * Bisync through a fault storm: the pair of bisync-kill9 (files on both sides, some on one side only;
 * then a round of changes on both sides, renames included) bisynced while about 10% of B2 calls fail
 * (500, 503, 503 with Retry-After, 429, dropped connections, replies cut after the server acted,
 * corrupted download bodies). Each storm run exits 0 or 4; after a 4 a fault-free re-run exits 0. Both
 * sides then hold exactly the union the test computed, byte for byte, with no conflict copy, and a
 * further run plans nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Checks } from './lib/checks.js';
import { failureLines, retriesLogged } from './lib/cli-output.js';
import { addCounts, buildSchedule, ERRORS, firedByKind, inject, sumCounts, type CallPlan } from './lib/faults.js';
import { totalCalls, tortureFixture, type TortureFixture } from './lib/fixture.js';
import { assertPlannedNothing, BisyncPair, bisyncMissing, runFacts } from './lib/bisync-pair.js';
import { seededRng } from './lib/rng.js';
import { report, size } from './report.js';

const RATE = 0.1;
const rng = seededRng('bisync-fault-storm');

let fx: TortureFixture;
before(async () => {
  fx = await tortureFixture();
});
after(() => fx?.close());

/** The calls of one bisync run moving about `up` files up and `down` down, and the faults each may take. */
function plan(up: number, down: number, renames: number, hides: number): CallPlan[] {
  const json = [...ERRORS, 'drop', 'cut'] as const;
  const dl = [...ERRORS, 'drop', 'corrupt'] as const;
  return [
    { call: 'b2_authorize_account', expected: 1, kinds: ERRORS, fixed: [{ after: 0, label: '503' }] },
    { call: 'b2_list_buckets', expected: 2, kinds: json, fixed: [{ after: 0, label: 'drop' }] },
    { call: 'b2_list_file_names', expected: 2, kinds: json, fixed: [{ after: 0, label: 'cut' }] },
    { call: 'b2_get_upload_url', expected: 16, kinds: json },
    { call: 'b2_upload_file', expected: up, kinds: json, fixed: [{ after: 1, label: 'cut' }] },
    { call: 'b2_download_file_by_id', expected: down, kinds: dl, fixed: [{ after: 1, label: 'corrupt' }] },
    { call: 'b2_download_file_by_name', expected: down, kinds: dl, fixed: [{ after: 1, label: 'corrupt' }] },
    { call: 'b2_copy_file', expected: renames, kinds: json, fixed: [{ after: 0, label: 'cut' }] },
    { call: 'b2_hide_file', expected: hides, kinds: json, fixed: [{ after: 0, label: 'cut' }] },
  ];
}

test('bisync through a storm of B2 faults exits 0 or 4, a re-run converges, both sides byte for byte', async (t) => {
  const missing = await bisyncMissing(fx);
  if (missing) return t.skip(missing);
  const t0 = Date.now();
  const pair = await BisyncPair.create(fx, 'torture-bisync-storm', 'storm/', rng);
  const localOnly = size(150, 40);
  const remoteOnly = size(150, 40);
  await pair.seed(size(300, 60), localOnly, remoteOnly);
  const checks = new Checks();
  const faults: Record<string, number> = {};
  const figures = { b2Calls: 0, retries: 0, exit4: 0, reruns: 0 };

  const storm = async (plans: CallPlan[], what: string): Promise<void> => {
    // fresh CLI state: b2sync authorizes again (through the storm)
    await rm(join(fx.dir, 'config'), { recursive: true, force: true });
    const schedule = buildSchedule(rng, plans, RATE);
    fx.emu.controls.resetCounters();
    inject(fx.emu, schedule);
    const r = await fx.run(['-v', ...pair.args()]);
    fx.emu.controls.clearFaults();
    const fired = firedByKind(schedule, fx.emu.controls.counters().calls);
    addCounts(faults, fired);
    figures.b2Calls += totalCalls(fx.emu);
    figures.retries += retriesLogged(r.stderr);
    console.log(`${what}: exit ${r.code}, ${totalCalls(fx.emu)} B2 calls, faults fired ${JSON.stringify(fired)}`);
    await checks.check(`${what}: exit 0 or 4`, () => assert.ok(r.code === 0 || r.code === 4, failureLines(r)));
    if (r.code === 4) {
      figures.exit4++;
      figures.reruns++;
      const again = await fx.run(['--json', ...pair.args()]);
      await checks.check(`${what}: the fault-free re-run exits 0`, () =>
        assert.equal(again.code, 0, failureLines(again)),
      );
    }
    const facts = runFacts(await fx.run(['--json', ...pair.args(['--dry-run'])]));
    await checks.check(`${what}: nothing left to do`, () =>
      assert.deepEqual(facts.plan.slice(0, 10), [], `${facts.plan.length} plan entries after the storm`),
    );
    await checks.check(`${what}: converged`, () => pair.assertConverged(what));
  };

  await storm(plan(localOnly, remoteOnly, 0, 0), 'first run');
  const counts = await pair.mutate(
    {
      newLocal: size(30, 8),
      newRemote: size(30, 8),
      changedLocal: size(30, 8),
      changedRemote: size(30, 8),
      deletedLocal: size(10, 3),
      deletedRemote: size(10, 3),
      renamedLocal: size(6, 2),
      renamedRemote: size(6, 2),
      folderRename: true,
    },
    1,
  );
  const up = counts.newLocal + counts.changedLocal;
  const down = counts.newRemote + counts.changedRemote;
  const renames = counts.renamedLocal + counts.folderRename;
  await storm(plan(up, down, renames, renames + counts.deletedLocal), 'after changes on both sides');
  const last = await fx.run(['--json', ...pair.args()]);
  await checks.check('a further run plans nothing', () => assertPlannedNothing(last, 'the further run'));

  const injected = sumCounts(faults);
  report('bisync-fault-storm', {
    seed: rng.seed,
    files: pair.expected.size,
    ...figures,
    faultsInjected: injected,
    faultShare: Number((injected / Math.max(1, figures.b2Calls)).toFixed(3)),
    faults,
    changes: counts,
    wallMs: Date.now() - t0,
    problems: checks.problems.length,
  });
  checks.assertNone('every check of the bisync storm passed');
});
