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

/** The changes made on both sides between runs, the same for the one-shot and the watch storms. */
function changeShape() {
  return {
    newLocal: size(30, 8),
    newRemote: size(30, 8),
    changedLocal: size(30, 8),
    changedRemote: size(30, 8),
    deletedLocal: size(10, 3),
    deletedRemote: size(10, 3),
    renamedLocal: size(6, 2),
    renamedRemote: size(6, 2),
    folderRename: true,
  };
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
  const counts = await pair.mutate(changeShape(), 1);
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

/** The fields of a round shape for one side ('Local' or 'Remote'): new, changed, deleted. */
function pick<T extends Record<string, unknown>>(shape: T, side: 'Local' | 'Remote'): Partial<T> {
  return Object.fromEntries(
    Object.entries(shape).filter(([k]) => k.endsWith(side) && !k.startsWith('renamed')),
  ) as Partial<T>;
}

test('bisync --watch through a storm of B2 faults while changes flow: SIGTERM exits 0, a one-shot re-run converges', async (t) => {
  const missing = await bisyncMissing(fx);
  if (missing) return t.skip(missing);
  const t0 = Date.now();
  const wrng = seededRng('bisync-fault-storm-watch');
  const pair = await BisyncPair.create(fx, 'torture-bisync-storm-watch', 'wstorm/', wrng, '-watch');
  await pair.seed(size(200, 40), size(50, 15), size(50, 15));
  const checks = new Checks();
  const first = await fx.run(['--json', ...pair.args()]);
  assert.equal(first.code, 0, failureLines(first));
  const shape = changeShape();
  const up = shape.newLocal + shape.changedLocal;
  const down = shape.newRemote + shape.changedRemote;
  // a watch lists B2 at every poll and every scoped pass: faults spread over that many listings
  const plans = plan(up, down, shape.renamedLocal + 2, shape.renamedLocal + shape.deletedLocal + 2).map((p) =>
    p.call === 'b2_list_file_names' ? { ...p, expected: 60 } : p,
  );
  const schedule = buildSchedule(wrng, plans, RATE);
  // the B2 side changes before the storm (the test's own calls would take its faults), the local side
  // while the watch runs through it
  const none = { newLocal: 0, newRemote: 0, changedLocal: 0, changedRemote: 0, deletedLocal: 0, deletedRemote: 0 };
  const remoteCounts = await pair.mutate(
    { ...none, renamedLocal: 0, renamedRemote: shape.renamedRemote, folderRename: false, ...pick(shape, 'Remote') },
    1,
  );
  await rm(join(fx.dir, 'config'), { recursive: true, force: true });
  fx.emu.controls.resetCounters();
  inject(fx.emu, schedule);
  const { child, done } = fx.start([
    '--json',
    ...pair.args(['--watch', '--poll', '1s', '--settle', '100ms', '--transfers', '4']),
  ]);
  let counts: Record<string, number> = { ...remoteCounts };
  let stopped: Awaited<typeof done> | undefined;
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  try {
    const wait = async (what: string, cond: () => boolean, ms = 60_000) => {
      const end = Date.now() + ms;
      while (!cond()) {
        if (child.exitCode !== null || Date.now() > end) throw new Error(`bisync --watch: waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // the B2 changes pulled through the storm (the local tree holds the expected names) before the local ones
    let localNames = '';
    const want = [...pair.expected.keys()].sort().join('\n');
    // a download's temp file renamed away mid-walk fails that one look (ENOENT); the next one, 100 ms on, sees the tree
    const refresh = setInterval(() => {
      void pair
        .localTree()
        .then((t) => (localNames = [...t.files.keys()].sort().join('\n')))
        .catch(() => undefined);
    }, 100);
    try {
      await wait('the B2 changes pulled', () => localNames === want);
    } finally {
      clearInterval(refresh);
    }
    const localCounts = await pair.mutate({ ...shape, ...pick(none, 'Remote'), renamedRemote: 0 }, 2);
    counts = addCounts({ ...localCounts }, counts);
    // every local change made on B2 by the watch (one 'change' line on the remote side each), through the storm
    const wanted = shape.newLocal + shape.changedLocal + shape.deletedLocal + shape.renamedLocal;
    const pushed = new Set<string>();
    const seen = () => {
      for (const l of out.split('\n')) {
        if (!l.includes('"type":"change"') || !l.includes('"side":"remote"')) continue;
        const c = JSON.parse(l) as { action: string; path: string };
        pushed.add(`${c.action} ${c.path}`);
      }
      return pushed.size >= wanted + localCounts.folderRename;
    };
    await checks.check('the watch pushed every local change through the storm', () =>
      wait('the local changes pushed', seen),
    );
  } finally {
    child.kill('SIGTERM');
    stopped = await done;
    fx.emu.controls.clearFaults();
  }
  const calls = fx.emu.controls.counters().calls;
  const fired = firedByKind(schedule, calls);
  await checks.check('SIGTERM: the watch exits 0', () => assert.equal(stopped?.code, 0, failureLines(stopped!)));
  const outages = (stopped?.stdout.match(/"type":"outage","action":"start"/g) ?? []).length;
  let r = await fx.run(['--json', ...pair.args()]);
  if (r.code === 4) r = await fx.run(['--json', ...pair.args()]);
  const facts = runFacts(r);
  await checks.check('the one-shot re-run exits 0', () => assert.equal(r.code, 0, failureLines(r)));
  await checks.check('no conflict planned', () =>
    assert.deepEqual(
      facts.plan.filter((p) => p.action === 'conflict'),
      [],
    ),
  );
  await checks.check('converged', () => pair.assertConverged('after the watch storm'));
  const last = await fx.run(['--json', ...pair.args()]);
  await checks.check('a further run plans nothing', () => assertPlannedNothing(last, 'the further run'));
  report('bisync-fault-storm-watch', {
    seed: wrng.seed,
    files: pair.expected.size,
    b2Calls: Object.values(calls).reduce((a, b) => a + b, 0),
    faultsInjected: sumCounts(fired),
    faults: fired,
    outageNotices: outages,
    leftForTheReRun: facts.plan.length,
    changes: counts,
    wallMs: Date.now() - t0,
    problems: checks.problems.length,
  });
  checks.assertNone('every check of the bisync --watch storm passed');
});
