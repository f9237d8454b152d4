/**
 * sync --track-renames (local → B2) through the built bin: files renamed or moved locally become
 * b2_copy_file + b2_hide_file on the emulator with no upload (asserted on its call counters); files
 * whose content matches more than one candidate are uploaded as usual; a second run has nothing to do.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';

let fx: Fixture;
const B = 'renames-bucket';
let src: string;
const big = Buffer.alloc(300_000, 7);

before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
  src = join(fx.dir, 'src');
  await mkdir(join(src, 'photos'), { recursive: true });
  await writeFile(join(src, 'a.txt'), 'alpha content');
  await writeFile(join(src, 'photos', 'p1.jpg'), big);
  await writeFile(join(src, 'photos', 'p2.jpg'), 'second photo');
  await writeFile(join(src, 'stays.txt'), 'unchanged');
  expectCode(await fx.run(['sync', src, `b2://${B}/bk`]), 0);
});
after(() => fx.close());

async function remoteTree(): Promise<Record<string, number>> {
  const r = await fx.json(['ls', `b2://${B}/bk/`]);
  return Object.fromEntries(r.records.map((x) => [x.path as string, x.size as number]));
}

test('renames and moves become server-side copies and hides: no upload, no safety stop', async () => {
  await mkdir(join(src, 'archive', '2024'), { recursive: true });
  await rename(join(src, 'a.txt'), join(src, 'archive', 'a-renamed.txt'));
  await rename(join(src, 'photos', 'p1.jpg'), join(src, 'archive', '2024', 'p1.jpg'));
  await rename(join(src, 'photos', 'p2.jpg'), join(src, 'p2.jpg'));
  // A dry run names the renames and changes nothing.
  const dry = await fx.run(['sync', '--dry-run', '--track-renames', src, `b2://${B}/bk`]);
  expectCode(dry, 0);
  assert.match(dry.stderr, /renamed from photos\/p1\.jpg/);
  assert.ok((await remoteTree())['a.txt'], 'dry run left a.txt');

  fx.emu.controls.resetCounters();
  const r = await fx.json(['sync', '--track-renames', src, `b2://${B}/bk`]);
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  const calls = fx.emu.controls.counters().calls;
  assert.equal(calls.b2_copy_file, 3, JSON.stringify(calls));
  assert.equal(calls.b2_hide_file, 3, JSON.stringify(calls));
  assert.equal(calls.b2_upload_file ?? 0, 0, JSON.stringify(calls));
  assert.equal(calls.b2_start_large_file ?? 0, 0);
  const summary = r.records.find((x) => x.type === 'summary')!;
  assert.equal(summary.renamed, 3);
  assert.equal(summary.transferredFiles, 0);
  assert.deepEqual(await remoteTree(), {
    'archive/2024/p1.jpg': big.length,
    'archive/a-renamed.txt': 13,
    'p2.jpg': 12,
    'stays.txt': 9,
  });
  assert.equal((await fx.run(['cat', `b2://${B}/bk/archive/a-renamed.txt`])).stdout, 'alpha content');
  // The copies carry the files' own modification times: the next run finds nothing to do.
  fx.emu.controls.resetCounters();
  const again = await fx.json(['sync', '--track-renames', src, `b2://${B}/bk`]);
  const s2 = again.records.find((x) => x.type === 'summary')!;
  assert.deepEqual([s2.transferredFiles, s2.deleted, s2.renamed, s2.checked], [0, 0, 0, 4]);
  assert.equal(fx.emu.controls.counters().calls.b2_copy_file ?? 0, 0);
});

test('only unique matches pair: identical contents with two candidates are uploaded and hidden as usual', async () => {
  await writeFile(join(src, 'dup1.txt'), 'same bytes');
  await writeFile(join(src, 'dup2.txt'), 'same bytes');
  expectCode(await fx.run(['sync', src, `b2://${B}/bk`]), 0);
  await rm(join(src, 'dup1.txt'));
  await rm(join(src, 'dup2.txt'));
  await writeFile(join(src, 'dupA.txt'), 'same bytes');
  await writeFile(join(src, 'dupB.txt'), 'same bytes');
  fx.emu.controls.resetCounters();
  const r = await fx.json(['sync', '--track-renames', src, `b2://${B}/bk`]);
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  const calls = fx.emu.controls.counters().calls;
  assert.equal(calls.b2_copy_file ?? 0, 0, JSON.stringify(calls));
  assert.equal(calls.b2_upload_file, 2, JSON.stringify(calls));
  assert.equal(calls.b2_hide_file, 2, JSON.stringify(calls));
  const tree = await remoteTree();
  assert.equal(tree['dupA.txt'], 10);
  assert.equal(tree['dup1.txt'], undefined);
});

test('faults: lost copy and hide replies are retried; a failed copy hides nothing and the next run converges', async () => {
  await rename(join(src, 'stays.txt'), join(src, 'moved-stays.txt'));
  await rename(join(src, 'p2.jpg'), join(src, 'archive', 'p2.jpg'));
  // The first copy is carried out but its reply cut; the first hide likewise.
  fx.emu.controls.injectFault({ call: 'b2_copy_file', kind: 'cut', count: 1 });
  fx.emu.controls.injectFault({ call: 'b2_hide_file', kind: 'cut', count: 1 });
  const r = await fx.json(['sync', '--track-renames', src, `b2://${B}/bk`]);
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  let tree = await remoteTree();
  assert.equal(tree['moved-stays.txt'], 9);
  assert.equal(tree['archive/p2.jpg'], 12);
  assert.equal(tree['stays.txt'], undefined);
  assert.equal(tree['p2.jpg'], undefined);
  // A copy refused for good: that rename fails (exit 4) and its old name is not hidden.
  await rename(join(src, 'moved-stays.txt'), join(src, 'stays-again.txt'));
  fx.emu.controls.injectFault({ call: 'b2_copy_file', status: 400, code: 'bad_request', count: 1 });
  const bad = await fx.run(['sync', '--track-renames', src, `b2://${B}/bk`]);
  expectCode(bad, 4);
  tree = await remoteTree();
  assert.equal(tree['moved-stays.txt'], 9, 'old name kept when the copy failed');
  assert.equal(tree['stays-again.txt'], undefined);
  expectCode(await fx.run(['sync', '--track-renames', src, `b2://${B}/bk`]), 0);
  tree = await remoteTree();
  assert.equal(tree['stays-again.txt'], 9);
  assert.equal(tree['moved-stays.txt'], undefined);
});

test('--track-renames applies to sync from local to B2 only (exit 2, one line)', async () => {
  for (const args of [
    ['sync', '--track-renames', `b2://${B}/bk`, join(fx.dir, 'out')],
    ['copy', '--track-renames', src, `b2://${B}/bk`],
  ]) {
    const r = await fx.run(args);
    expectCode(r, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
