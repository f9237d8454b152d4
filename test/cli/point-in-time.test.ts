/**
 * ls/get/sync/copy --at against the emulator: a history of uploads, re-uploads and hides made at known
 * times with the emulator's file clock (started days in the past, moved a day between steps), then the
 * tree at each moment listed, downloaded and restored byte for byte.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';

const DAY = 86_400_000;
const B = 'pit-bucket';
let fx: Fixture;
/** Moments half a day after each step: T[0] before anything, T[1] after step 1, ... */
const T: number[] = [];

/** The tree expected at each moment. */
const TREES: Record<string, string>[] = [
  {},
  { 'a.txt': 'a1', 'b.txt': 'b1', 'd/c.txt': 'c1', 'keep.txt': 'k1' },
  { 'a.txt': 'a2-longer', 'd/c.txt': 'c1', 'keep.txt': 'k1', 'new.txt': 'n1' },
  { 'a.txt': 'a2-longer', 'b.txt': 'b3', 'keep.txt': 'k1', 'new.txt': 'n1' },
];

async function put(name: string, text: string): Promise<void> {
  expectCode(await fx.run(['put', '-', `b2://${B}/${name}`], { input: text }), 0);
}
async function hide(name: string): Promise<void> {
  expectCode(await fx.run(['rm', `b2://${B}/${name}`]), 0);
}
/** Finish a step: the moment half a day later is T[k], then the clock moves to the next day. */
function step(): void {
  T.push(fx.emu.controls.advanceClock(DAY / 2));
  fx.emu.controls.advanceClock(DAY / 2);
}
const iso = (ms: number) => new Date(ms).toISOString();

before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
  fx.emu.controls.advanceClock(-10 * DAY);
  step(); // T[0]: the bucket is empty
  for (const [k, v] of Object.entries(TREES[1])) await put(k, v);
  step();
  await put('a.txt', 'a2-longer'); // re-upload
  await hide('b.txt'); // delete
  await put('new.txt', 'n1');
  step();
  await put('b.txt', 'b3'); // back after a hide
  await hide('d/c.txt');
  step();
  await put('keep.txt', 'k-later'); // after every moment asked for
  await hide('new.txt');
});
after(() => fx.close());

async function lsAt(at: string, path = ''): Promise<Record<string, number>> {
  const r = await fx.json(['ls', '--at', at, `b2://${B}/${path}`]);
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  return Object.fromEntries(r.records.map((x) => [x.path as string, x.size as number]));
}
const sizes = (tree: Record<string, string>) =>
  Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, Buffer.byteLength(v)]));

async function readTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[relative(dir, p).split('\\').join('/')] = await readFile(p, 'utf8');
    }
  };
  await walk(dir);
  return out;
}

test('ls --at lists the tree as it was at each moment (hides, re-uploads, later uploads)', async () => {
  for (let k = 1; k < TREES.length; k++) assert.deepEqual(await lsAt(iso(T[k])), sizes(TREES[k]), `T${k}`);
  assert.deepEqual(await lsAt(iso(T[1]), 'd/'), { 'c.txt': 2 });
  assert.deepEqual(await lsAt(iso(T[2]), 'a.txt'), { 'a.txt': 9 });
  // An age (minutes before real time) that lands between step 3 and step 4.
  const age = `${Math.round((Date.now() - T[3]) / 60_000)}m`;
  assert.deepEqual(await lsAt(age), sizes(TREES[3]));
});

test('ls --at a moment when the path did not exist exits 3', async () => {
  const r = await fx.run(['ls', '--at', iso(T[2]), `b2://${B}/b.txt`]);
  expectCode(r, 3);
  assert.match(r.stderr, /no such file or folder at /);
  expectCode(await fx.run(['ls', '--at', iso(T[0]), `b2://${B}/a.txt`]), 3);
});

test('get --at downloads the version of that moment, for a file and for a folder', async () => {
  const one = join(fx.dir, 'a-then.txt');
  expectCode(await fx.run(['get', '--at', iso(T[1]), `b2://${B}/a.txt`, one]), 0);
  assert.equal(await readFile(one, 'utf8'), 'a1');
  const dir = join(fx.dir, 'get-at/');
  expectCode(await fx.run(['get', '--at', iso(T[3]), `b2://${B}/`, dir]), 0);
  assert.deepEqual(await readTree(dir), TREES[3]);
  expectCode(await fx.run(['get', '--at', iso(T[2]), `b2://${B}/b.txt`, join(fx.dir, 'b.txt')]), 3);
});

test('sync --at restores each moment exactly into one folder (extras deleted), byte for byte', async () => {
  const restore = join(fx.dir, 'restore');
  for (const k of [1, 2, 3, 1]) {
    const r = await fx.run(['sync', '--at', iso(T[k]), `b2://${B}/`, restore]);
    expectCode(r, 0);
    assert.deepEqual(await readTree(restore), TREES[k], `restored T${k}`);
  }
  // A plain sync after brings the current tree.
  expectCode(await fx.run(['sync', `b2://${B}/`, restore]), 0);
  assert.deepEqual(await readTree(restore), { 'a.txt': 'a2-longer', 'b.txt': 'b3', 'keep.txt': 'k-later' });
  assert.ok((await stat(restore)).isDirectory());
});

test('copy --at B2 → B2 copies the files of that moment (server-side)', async () => {
  expectCode(await fx.run(['mkdir', 'b2://pit-copy']), 0);
  expectCode(await fx.run(['copy', '--at', iso(T[2]), `b2://${B}/`, 'b2://pit-copy/then/']), 0);
  const r = await fx.json(['ls', 'b2://pit-copy/then/']);
  assert.deepEqual(Object.fromEntries(r.records.map((x) => [x.path, x.size])), sizes(TREES[2]));
  assert.equal((await fx.run(['cat', 'b2://pit-copy/then/a.txt'])).stdout, 'a2-longer');
});

test('--at: a local source, junk, a future time and --versions are usage errors (exit 2)', async () => {
  const cases: [string[], RegExp][] = [
    [['sync', '--at', '1d', fx.dir, `b2://${B}/x/`], /--at needs a B2 source/],
    [['ls', '--at', 'yesterday', `b2://${B}/`], /--at/],
    [['ls', '--at', '2999-01-01', `b2://${B}/`], /future/],
    [['ls', '--at', '1d', '--versions', `b2://${B}/`], /--at and --versions/],
    [['get', '--at', '1d', '--version-id', 'x', `b2://${B}/a.txt`, join(fx.dir, 'z')], /--at and --version-id/],
  ];
  for (const [args, re] of cases) {
    const r = await fx.run(args);
    expectCode(r, 2);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});
