/**
 * kill -9 of bisync: a local folder and a bucket prefix of a few hundred files made by the test (some
 * on both sides, some on one side only), then rounds of changes on both sides (new files each side,
 * changed each side, deleted each side, renamed files and a renamed folder; never the same path on
 * both sides). Each round's `b2sync bisync` (the emulator slowing every call) is SIGKILLed at a seeded
 * random moment, sometimes twice, then run again to completion. After each kill no local file holds
 * torn bytes; after each completed re-run both sides hold exactly the union the test computed, byte
 * for byte (hashed here), with no conflict copy, no plan entry of kind conflict, and no B2 version
 * deleted (bisync hides). Finally a further run plans nothing. 20 kills in full, 4 in `npm test`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Checks } from './lib/checks.js';
import { failureLines } from './lib/cli-output.js';
import { tortureFixture, type TortureFixture } from './lib/fixture.js';
import { assertPlannedNothing, BisyncPair, bisyncMissing, runFacts, type RoundShape } from './lib/bisync-pair.js';
import { afterCalls, killWhen, type Trigger } from './lib/kill.js';
import { addCounts } from './lib/faults.js';
import { seededRng } from './lib/rng.js';
import { report, size } from './report.js';

const KILLS = size(20, 4);
const LATENCY_MS = size(30, 25);
/** Fewer transfers at once, so a run spans time and the kills fall in all its phases. */
const RUN_ARGS = ['--transfers', '4'];
const rng = seededRng('bisync-kill9');
/** Call names a bisync run makes (the trigger counts calls of these, whichever come first). */
const ANY = [
  'b2_authorize_account',
  'b2_list_buckets',
  'b2_list_file_names',
  'b2_get_upload_url',
  'b2_upload_file',
  'b2_download_file_by_id',
  'b2_download_file_by_name',
  'b2_copy_file',
  'b2_hide_file',
  'b2_get_file_info',
];

let fx: TortureFixture;
before(async () => {
  fx = await tortureFixture();
});
after(() => fx?.close());

function shape(round: number): RoundShape {
  const k = size(2, 1);
  return {
    newLocal: 3 * k,
    newRemote: 3 * k,
    changedLocal: 3 * k,
    changedRemote: 3 * k,
    deletedLocal: 2 * k,
    deletedRemote: 2 * k,
    renamedLocal: 2,
    renamedRemote: 2,
    folderRename: round % 3 === 2,
  };
}

test('bisync SIGKILLed at random moments recovers by re-running: both sides the expected union, no conflict copy', async (t) => {
  const missing = await bisyncMissing(fx);
  if (missing) return t.skip(missing);
  const t0 = Date.now();
  const pair = await BisyncPair.create(fx, 'torture-bisync', 'pair/', rng);
  await pair.seed(size(200, 70), size(40, 20), size(40, 20));
  const checks = new Checks();
  const figures = { kills: 0, doubleKills: 0, endedBeforeKill: 0, rounds: 0, recovered: 0, tempFilesLeft: 0 };
  const calls: Record<string, number> = {};
  const changes: Record<string, number> = {};
  // what a round's run costs, learnt from kill + re-run; the kill moments are drawn within it
  let estMs = 3000;
  let estCalls = 200;

  const timed = async <T>(fn: () => Promise<T>): Promise<T> => {
    fx.emu.controls.setLatency(LATENCY_MS);
    fx.emu.controls.resetCounters();
    try {
      return await fn();
    } finally {
      fx.emu.controls.setLatency(0);
      addCounts(calls, fx.emu.controls.counters().calls);
    }
  };
  const killOnce = async (round: number, swap: boolean): Promise<boolean> => {
    let trigger: Trigger;
    if (rng.next() < 0.5) {
      const at = Date.now() + rng.int(0, estMs);
      trigger = () => Date.now() >= at;
    } else trigger = afterCalls(fx.emu, ANY, rng.int(1, estCalls));
    const k = await timed(() => killWhen(fx, ['-v', ...pair.args(RUN_ARGS, swap)], trigger, 0));
    if (!k.killed) {
      figures.endedBeforeKill++;
      await checks.check(`round ${round}: a run that ended before its kill`, () =>
        assert.equal(k.result.code, 0, failureLines(k.result)),
      );
      return false;
    }
    figures.kills++;
    await checks.check(`round ${round}: after the kill`, () => pair.assertLocalNotTorn());
    return true;
  };

  for (let round = 0; figures.kills < KILLS && round < KILLS * 3; round++) {
    figures.rounds++;
    if (round > 0) addCounts(changes, await pair.mutate(shape(round), round));
    const swap = round % 2 === 1;
    const started = Date.now();
    const killed = await killOnce(round, swap);
    if (killed && rng.next() < 0.3 && figures.kills < KILLS) {
      // the recovering run killed too
      if (await killOnce(round, swap)) figures.doubleKills++;
    }
    const r = await timed(() => fx.run(['--json', ...pair.args(RUN_ARGS, swap)]));
    const runCalls = Object.values(fx.emu.controls.counters().calls).reduce((a, b) => a + b, 0);
    estMs = Math.max(500, Math.round((estMs + (Date.now() - started)) / 2));
    estCalls = Math.max(10, Math.round((estCalls + runCalls * 2) / 2));
    const facts = runFacts(r);
    if (facts.summary?.recovered) figures.recovered++;
    await checks.check(`round ${round}: the re-run exits 0`, () =>
      assert.equal(r.code, 0, `${failureLines(r)}\n${r.stdout.slice(-800)}`),
    );
    await checks.check(`round ${round}: no conflict planned`, () =>
      assert.deepEqual(
        facts.plan.filter((p) => p.action === 'conflict'),
        [],
      ),
    );
    await checks.check(`round ${round}: converged`, async () => {
      figures.tempFilesLeft = (await pair.assertConverged(`round ${round}`)).temps;
    });
  }

  const again = await timed(() => fx.run(['--json', ...pair.args(RUN_ARGS)]));
  await checks.check('a further run plans nothing', () => assertPlannedNothing(again, 'the further run'));
  await checks.check('no B2 version deleted', () =>
    assert.equal(calls.b2_delete_file_version ?? 0, 0, 'b2_delete_file_version calls'),
  );
  await checks.check(`${KILLS} kills`, () => assert.equal(figures.kills, KILLS, 'kills that landed'));

  report('bisync-kill9', {
    seed: rng.seed,
    files: pair.expected.size,
    latencyMs: LATENCY_MS,
    ...figures,
    changes,
    copyFile: calls.b2_copy_file ?? 0,
    hideFile: calls.b2_hide_file ?? 0,
    uploads: calls.b2_upload_file ?? 0,
    versions: await pair.versionCount(),
    wallMs: Date.now() - t0,
    problems: checks.problems.length,
  });
  checks.assertNone('every check after the bisync kills passed');
});

const WATCH_KILLS = size(12, 3);
/** `bisync --watch` with short timers: changes settle in 100 ms, B2 is polled every second. */
const WATCH_ARGS = ['--watch', '--poll', '1s', '--settle', '100ms', '--transfers', '4'];

test('bisync --watch SIGKILLed while changes flow on both sides: a one-shot re-run converges, no conflict copy', async (t) => {
  const missing = await bisyncMissing(fx);
  if (missing) return t.skip(missing);
  const t0 = Date.now();
  const wrng = seededRng('bisync-kill9-watch');
  const pair = await BisyncPair.create(fx, 'torture-bisync-watch', 'wpair/', wrng, '-watch');
  await pair.seed(size(120, 40), size(20, 10), size(20, 10));
  const checks = new Checks();
  const figures = {
    kills: 0,
    rounds: 0,
    recovered: 0,
    watchExitedBeforeKill: 0,
    changesBeforeKills: 0,
    tempFilesLeft: 0,
  };
  const first = await fx.run(['--json', ...pair.args()]);
  assert.equal(first.code, 0, failureLines(first));
  let estMs = 3000;
  for (let round = 1; figures.kills < WATCH_KILLS && round <= WATCH_KILLS * 2; round++) {
    figures.rounds++;
    const swap = round % 2 === 0;
    fx.emu.controls.resetCounters();
    fx.emu.controls.setLatency(LATENCY_MS);
    const started = Date.now();
    const { child, done } = fx.start(['--json', ...pair.args(WATCH_ARGS, swap)]);
    let changed = 0;
    child.stdout!.on('data', (c: Buffer) => (changed += c.toString().split('"type":"change"').length - 1));
    try {
      // the watch is up (its first pass listed B2), then the changes flow while it runs
      const up = afterCalls(fx.emu, ['b2_list_file_names'], 1);
      while (!up() && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
      const mutating = pair.mutate(shape(round), round);
      // the kill: while the test is still changing things, after the watch made some changes, or at a
      // moment within a pass's span
      const how = wrng.next();
      if (how < 0.3) await new Promise((r) => setTimeout(r, wrng.int(0, 300)));
      else if (how < 0.7) {
        const n = wrng.int(1, 12);
        const end = Date.now() + 20_000;
        while (changed < n && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 2));
      } else {
        await mutating;
        await new Promise((r) => setTimeout(r, wrng.int(0, estMs)));
      }
      if (child.exitCode === null) child.kill('SIGKILL');
      figures.changesBeforeKills += changed;
      await mutating;
    } finally {
      const r = await done;
      fx.emu.controls.setLatency(0);
      if (r.code === 137) figures.kills++;
      else figures.watchExitedBeforeKill++;
      await checks.check(`watch round ${round}: killed, not ended`, () => assert.equal(r.code, 137, failureLines(r)));
    }
    await checks.check(`watch round ${round}: after the kill`, () => pair.assertLocalNotTorn());
    const r = await fx.run(['--json', ...pair.args(RUN_ARGS, swap)]);
    estMs = Math.max(500, Math.round((estMs + (Date.now() - started)) / 2));
    const facts = runFacts(r);
    if (facts.summary?.recovered) figures.recovered++;
    await checks.check(`watch round ${round}: the one-shot re-run exits 0`, () =>
      assert.equal(r.code, 0, `${failureLines(r)}\n${r.stdout.slice(-800)}`),
    );
    await checks.check(`watch round ${round}: no conflict planned`, () =>
      assert.deepEqual(
        facts.plan.filter((p) => p.action === 'conflict'),
        [],
      ),
    );
    await checks.check(`watch round ${round}: converged`, async () => {
      figures.tempFilesLeft = (await pair.assertConverged(`watch round ${round}`)).temps;
    });
  }
  const again = await fx.run(['--json', ...pair.args(RUN_ARGS)]);
  await checks.check('a further run plans nothing', () => assertPlannedNothing(again, 'the further run'));
  await checks.check(`${WATCH_KILLS} kills of bisync --watch`, () => assert.equal(figures.kills, WATCH_KILLS));
  report('bisync-kill9-watch', {
    seed: wrng.seed,
    files: pair.expected.size,
    latencyMs: LATENCY_MS,
    ...figures,
    wallMs: Date.now() - t0,
    problems: checks.problems.length,
  });
  checks.assertNone('every check after the bisync --watch kills passed');
});
