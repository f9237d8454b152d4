/**
 * kill -9: big transfers (put and get of a large file (48 MiB in full, 24 MiB short), sync up and sync down of trees with big
 * files) SIGKILLed at seeded random points, then re-run. Between the kill and the re-run no file under
 * a final name is wrong (locally its old bytes or its new bytes; on B2 the latest version of each name
 * is its old or its new bytes, or absent); the re-run exits 0 with everything byte for byte; a large
 * upload re-run sends at most one part again; and `b2sync cleanup` removes what kills leave behind.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Checks } from './lib/checks.js';
import { expectOk } from './lib/cli-output.js';
import {
  LARGE_FILE_SIZE,
  PART_SIZE,
  UPLOAD_ARGS as SHORT_UPLOAD_ARGS,
  tortureFixture,
  type TortureFixture,
} from './lib/fixture.js';
import { afterCalls, killWhen, tempReaches, type Trigger } from './lib/kill.js';
import { RemoteView } from './lib/remote.js';
import { seededRng } from './lib/rng.js';
import { hashTree, sha1, tempFiles, writeTree, type FileSpec } from './lib/tree.js';
import { report, size } from './report.js';

const B = 'torture-kill';
const KINDS = ['put', 'get', 'sync-up', 'sync-down'] as const;
type Kind = (typeof KINDS)[number];
const ROUNDS = size(20, 6);
/**
 * The large file: 48 MiB + 1 in full (10 parts of 5 MiB, uploaded with --upload-cutoff 32M), since 20
 * rounds of the 201 MB file took over 12 minutes here; the short form's 24 MiB + 1 in 1 MiB parts.
 */
const LARGE = size(48 * 1024 * 1024 + 1, LARGE_FILE_SIZE);
const UPLOAD_ARGS = size(['--upload-cutoff', '32M'], SHORT_UPLOAD_ARGS);
const PARTS = Math.ceil(LARGE / PART_SIZE);
const UPLOADS = ['b2_upload_file', 'b2_upload_part'];
const DOWNLOADS = ['b2_download_file_by_id', 'b2_download_file_by_name'];
const rng = seededRng('kill-9');

let fx: TortureFixture;
let remote: RemoteView;
const checks = new Checks();
const large = { path: '', sha1: '' };
/** B2 prefixes already uploaded whole (name -> SHA-1 under the prefix), for the get and sync-down rounds. */
const uploadedLarge: string[] = [];
const uploadedTrees: { prefix: string; files: Map<string, string> }[] = [];
const figures = { kills: 0, endedBeforeKill: 0, resumedUploads: 0, partsResent: 0, maxExtraParts: 0 };

before(async () => {
  fx = await tortureFixture();
  expectOk(await fx.run(['mkdir', `b2://${B}`]), 'mkdir');
  remote = await RemoteView.open(fx.emu, B);
  large.path = join(fx.dir, 'large.bin');
  const data = rng.bytes(LARGE);
  await writeFile(large.path, data);
  large.sha1 = sha1(data);
});
after(() => fx?.close());

/** The unfinished large file of a name, and how many of its parts B2 holds. */
async function unfinishedOf(name: string): Promise<{ fileId: string; parts: number } | undefined> {
  const u = (await remote.unfinished()).filter((f) => f.fileName === name);
  assert.ok(u.length <= 1, `${name}: at most one unfinished large file (${u.length})`);
  if (u.length === 0) return undefined;
  return { fileId: u[0]!.fileId, parts: new Set(await remote.partNumbers(u[0]!.fileId)).size };
}

/** Kills a run at `trigger` (+ 0-40 ms unless told), counting the kill or a run that ended first. */
async function killRun(args: string[], trigger: Trigger, what: string, delayMs = rng.int(0, 40)): Promise<void> {
  fx.emu.controls.resetCounters();
  const k = await killWhen(fx, args, trigger, delayMs);
  if (k.killed) figures.kills++;
  else {
    figures.endedBeforeKill++;
    await checks.check(`${what} (ended before its kill)`, () => expectOk(k.result, what));
  }
}

/**
 * Re-runs a large upload after a kill and checks it resumed: parts sent by the re-run <= parts B2
 * did not yet hold for the unfinished file + 1 (all PARTS when there was none to resume).
 */
async function resumedUpload(name: string, args: string[], what: string): Promise<void> {
  const before = await unfinishedOf(name);
  fx.emu.controls.resetCounters();
  const r = await fx.run(args);
  const sent = fx.emu.controls.counters().calls.b2_upload_part ?? 0;
  await checks.check(`${what}: re-run`, () => expectOk(r, `${what} re-run`));
  const missing = PARTS - (before?.parts ?? 0);
  if (before) figures.resumedUploads++;
  figures.partsResent += Math.max(0, sent - missing);
  figures.maxExtraParts = Math.max(figures.maxExtraParts, sent - missing);
  await checks.check(`${what}: resume`, () =>
    assert.ok(
      sent <= missing + 1,
      `the re-run sent ${sent} parts; B2 held ${before?.parts ?? 0} of ${PARTS} for ${before?.fileId ?? 'no unfinished file'}`,
    ),
  );
}

/** On B2 each name under prefix is absent (if it had no old version), its old bytes, or its new bytes. */
async function remoteNeverTorn(prefix: string, want: Map<string, string>, old: Map<string, string>, what: string) {
  const got = await remote.latestHashes(prefix);
  for (const [rel, h] of got) {
    const name = prefix + rel;
    const ok = h === want.get(rel) || (old.has(rel) && h === old.get(rel));
    await checks.check(`${what}: ${name}`, () => assert.ok(ok, `${name} on B2 is neither its old nor its new bytes`));
  }
  for (const rel of old.keys())
    await checks.check(`${what}: ${rel}`, () => assert.ok(got.has(rel), `${prefix + rel} vanished from B2`));
}

/** Locally each file under a final name holds its old bytes or its new bytes; temp files aside. */
async function localNeverTorn(dir: string, want: Map<string, string>, old: Map<string, string>, what: string) {
  for (const [name, h] of await hashTree(dir)) {
    if (name.endsWith('.b2sync-tmp')) continue;
    const ok = h === want.get(name) || h === old.get(name);
    await checks.check(`${what}: ${name}`, () => assert.ok(ok, `${name} is neither its old nor its new bytes`));
  }
}

async function sameAs(got: Map<string, string>, want: Map<string, string>, what: string): Promise<void> {
  await checks.check(what, () => assert.deepEqual([...got].sort(), [...want].sort(), what));
}

async function putRound(i: number): Promise<void> {
  const name = `put-${i}/large.bin`;
  const old = new Map<string, string>();
  if (i % 2 === 1) {
    // an older small version under the same name
    const p = join(fx.dir, `old-${i}.bin`);
    const data = rng.bytes(rng.int(100, 999));
    await writeFile(p, data);
    expectOk(await fx.run(['put', p, `b2://${B}/${name}`]), 'put of the old version');
    old.set('large.bin', sha1(data));
  }
  const args = ['put', ...UPLOAD_ARGS, large.path, `b2://${B}/${name}`];
  await killRun(args, afterCalls(fx.emu, ['b2_upload_part'], rng.int(1, PARTS - 2)), `put ${i}`);
  const want = new Map([['large.bin', large.sha1]]);
  await remoteNeverTorn(`put-${i}/`, want, old, `put ${i} after the kill`);
  await resumedUpload(name, args, `put ${i}`);
  await sameAs(await remote.latestHashes(`put-${i}/`), want, `put ${i}: B2 after the re-run`);
  uploadedLarge.push(name);
}

async function getRound(i: number): Promise<void> {
  const source = uploadedLarge.at(-1)!;
  const dir = join(fx.dir, `get-${i}`);
  await mkdir(dir);
  const old = new Map<string, string>();
  if (i % 2 === 1) {
    const data = rng.bytes(rng.int(100, 999));
    await writeFile(join(dir, 'large.bin'), data);
    old.set('large.bin', sha1(data));
  }
  const args = ['get', `b2://${B}/${source}`, join(dir, 'large.bin')];
  const at = Math.floor(LARGE * (0.05 + 0.9 * rng.next()));
  await killRun(args, tempReaches(dir, at), `get ${i}`);
  const want = new Map([['large.bin', large.sha1]]);
  await localNeverTorn(dir, want, old, `get ${i} after the kill`);
  await checks.check(`get ${i}: re-run`, async () => expectOk(await fx.run(args), `get ${i} re-run`));
  await sameAs(await hashTree(dir), want, `get ${i}: the folder after the re-run`);
}

function syncTreeSpec(i: number): FileSpec[] {
  const files: FileSpec[] = [];
  for (let j = 0; j < size(30, 12); j++) files.push({ name: `a${j % 3}/f${j}.bin`, size: rng.int(1024, 64 * 1024) });
  for (let j = 0; j < 2; j++) files.push({ name: `big/m${j}.bin`, size: rng.int(3, 6) * 1024 * 1024 + i });
  return files;
}

async function syncUpRound(i: number): Promise<void> {
  const prefix = `sync-${i}/`;
  const src = join(fx.dir, `up-${i}`);
  const spec = syncTreeSpec(i);
  const want = await writeTree(src, spec, rng);
  want.set('big/large.bin', large.sha1);
  await copyFile(large.path, join(src, 'big', 'large.bin'));
  // older versions of every third name, uploaded whole first
  const oldDir = join(fx.dir, `up-old-${i}`);
  const old = await writeTree(
    oldDir,
    spec.filter((_, j) => j % 3 === 0).map((f) => ({ name: f.name, size: rng.int(100, 999) })),
    rng,
  );
  expectOk(await fx.run(['sync', oldDir, `b2://${B}/${prefix}`]), 'sync of the old versions');
  const args = ['sync', ...UPLOAD_ARGS, src, `b2://${B}/${prefix}`];
  const uploads = spec.length - old.size + PARTS;
  await killRun(args, afterCalls(fx.emu, UPLOADS, rng.int(1, Math.max(1, uploads - 2))), `sync up ${i}`);
  await remoteNeverTorn(prefix, want, old, `sync up ${i} after the kill`);
  await resumedUpload(`${prefix}big/large.bin`, args, `sync up ${i}`);
  await sameAs(await remote.latestHashes(prefix), want, `sync up ${i}: B2 after the re-run`);
  uploadedTrees.push({ prefix, files: want });
}

async function syncDownRound(i: number): Promise<void> {
  const { prefix, files: want } = uploadedTrees.at(-1)!;
  const dst = join(fx.dir, `down-${i}`);
  const names = [...want.keys()];
  const oldSpec = names.filter((_, j) => j % 3 === 1).map((name) => ({ name, size: rng.int(100, 999) }));
  const old = await writeTree(dst, [...oldSpec, { name: 'extra.txt', size: 10 }], rng);
  const args = ['sync', `b2://${B}/${prefix}`, dst];
  await killRun(args, afterCalls(fx.emu, DOWNLOADS, rng.int(1, names.length - 1)), `sync down ${i}`);
  await localNeverTorn(dst, want, old, `sync down ${i} after the kill`);
  await checks.check(`sync down ${i}: re-run`, async () => expectOk(await fx.run(args), `sync down ${i} re-run`));
  await sameAs(await hashTree(dst), want, `sync down ${i}: the folder after the re-run`);
}

const ROUND: Record<Kind, (i: number) => Promise<void>> = {
  put: putRound,
  get: getRound,
  'sync-up': syncUpRound,
  'sync-down': syncDownRound,
};

test('big transfers SIGKILLed at random points never leave a wrong file; re-runs resume and complete', async () => {
  const t0 = Date.now();
  for (let i = 0; i < ROUNDS; i++) {
    const t = Date.now();
    await ROUND[KINDS[i % KINDS.length]!](i);
    console.log(`round ${i} ${KINDS[i % KINDS.length]}: ${Date.now() - t} ms`);
  }

  // What kills leave when nobody re-runs: an unfinished large file and a kept partial download.
  const leftName = 'left/large.bin';
  await killRun(
    ['put', ...UPLOAD_ARGS, large.path, `b2://${B}/${leftName}`],
    afterCalls(fx.emu, ['b2_upload_part'], 3),
    'put left',
  );
  const leftDir = join(fx.dir, 'get-left');
  await mkdir(leftDir);
  const getArgs = ['get', `b2://${B}/${uploadedLarge[0]!}`, join(leftDir, 'large.bin')];
  // at once when the temp file appears: a short download could otherwise finish within the delay
  await killRun(getArgs, tempReaches(leftDir, 1), 'get left', 0);
  const unfinishedBefore = (await remote.unfinished()).length;
  const tempsBefore = (await tempFiles(fx.dir)).length;
  await checks.check('something left for cleanup', () =>
    assert.ok(unfinishedBefore >= 1 && tempsBefore >= 1, `${unfinishedBefore} unfinished, ${tempsBefore} temp files`),
  );
  await checks.check('cleanup b2://', async () => expectOk(await fx.run(['cleanup', `b2://${B}`]), 'cleanup b2://'));
  await checks.check('cleanup local', async () => expectOk(await fx.run(['cleanup', fx.dir]), 'cleanup local'));
  await checks.check('no unfinished large file', async () => assert.deepEqual(await remote.unfinished(), []));
  await checks.check('no temp file', async () => assert.deepEqual(await tempFiles(fx.dir), []));
  await rm(leftDir, { recursive: true, force: true });

  report('kill-9', {
    seed: rng.seed,
    transfers: ROUNDS,
    largeFileBytes: LARGE,
    partsPerLargeFile: PARTS,
    ...figures,
    unfinishedCleaned: unfinishedBefore,
    tempFilesCleaned: tempsBefore,
    wallMs: Date.now() - t0,
    problems: checks.problems.length,
  });
  checks.assertNone('every check after the kills passed');
});
