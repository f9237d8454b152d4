/** The bisync state store: state file format, plan + journal commit, recovery, journal parsing. Real files in a temp dir. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PairState } from '../../../src/sync/bisync/state-store.js';
import { readJournal } from '../../../src/sync/bisync/journal.js';
import { StateFileWriter, readStateBatches, StateFileError } from '../../../src/sync/bisync/state-file.js';
import { defaultStateDir, pairKey } from '../../../src/sync/bisync/state-dir.js';
import type { BisyncOp, StateRecord } from '../../../src/sync/bisync/types.js';
import type { Entry } from '../../../src/sync/types.js';

export function rec(path: string, v = 1): StateRecord {
  return {
    path,
    local: { size: v, mtimeMs: 1000 + v, ino: 7 },
    remote: { size: v, mtimeMs: 1000 + v, fileId: `f${v}` },
  };
}
const E: Entry = { path: 'x', size: 0, mtimeMs: 0, kind: 'file' };
export function op(id: number, path: string, changes: BisyncOp['changes']): BisyncOp {
  return { id, path, reason: 'changed', changes, op: 'settle', local: E, remote: E };
}
async function all(it: AsyncIterable<StateRecord[]>): Promise<StateRecord[]> {
  const out: StateRecord[] = [];
  for await (const b of it) out.push(...b);
  return out;
}
async function openStore(stateDir: string) {
  return PairState.open({ stateDir, localRoot: '/l', bucketId: 'b', bucketName: 'bk', prefix: 'p', command: 'test' });
}

test('defaultStateDir and pairKey', () => {
  assert.equal(defaultStateDir({ XDG_STATE_HOME: '/x' }), '/x/b2sync');
  assert.match(defaultStateDir({ HOME: '/h' }), /\.local\/state\/b2sync$/);
  assert.equal(pairKey('/a', 'b', 'p'), pairKey('/a/', 'b', 'p/'));
  assert.notEqual(pairKey('/a', 'b', 'p'), pairKey('/a', 'b', 'q'));
  assert.match(pairKey('/a', 'b', ''), /^[0-9a-f]{20}$/);
});

test('commit: in-order + late merged by path, after when done, before when not, drops and keeps', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bstate-'));
  const s = await openStore(dir);
  assert.equal(s.firstRun, true);
  assert.equal(await s.recover(), undefined);
  const w = await s.beginPlan();
  await w.keep(rec('a'));
  await w.op(op(0, 'b', [{ path: 'b', before: rec('b', 1), after: rec('b', 2) }]), false); // done → after
  await w.op(op(1, 'c', [{ path: 'c', before: rec('c', 1), after: rec('c', 2) }]), false); // not done → before
  await w.op(op(2, 'd', [{ path: 'd', before: rec('d') }]), false); // delete done → dropped
  await w.op(op(3, 'e', [{ path: 'e', after: rec('e', 5) }]), false); // new, not done → absent
  await w.keep(rec('f'));
  // A conflict's loser path sorts before its path: goes late.
  await w.op(
    op(4, 'g', [
      { path: 'g', before: rec('g', 1), after: rec('g', 2) },
      { path: 'a.c', after: rec('a.c', 9) },
    ]),
    false,
  );
  // A late rename: old name dropped, new name added.
  await w.op(
    op(5, 'z', [
      { path: 'f0', before: rec('f0', 3) },
      { path: 'z', after: rec('z', 3) },
    ]),
    true,
  );
  await w.op(op(6, 'aa', [{ path: 'aa', after: rec('aa', 1) }]), true); // late, not done
  await w.seal();
  const j = await s.journal();
  for (const id of [0, 2, 4, 5]) j.done(id);
  const r = await s.commit();
  const got = await all(s.records());
  assert.deepEqual(
    got.map((x) => [x.path, x.local.size]),
    [
      ['a', 1],
      ['a.c', 9],
      ['b', 2],
      ['c', 1],
      ['f', 1],
      ['g', 2],
      ['z', 3],
    ],
  );
  assert.equal(r.records, 7);
  assert.equal(s.recordCount, 7);
  assert.deepEqual((await readdir(s.dir)).sort(), ['lock', 'pair.json', 'state']);
  await s.release();
  assert.deepEqual((await readdir(s.dir)).sort(), ['pair.json', 'state']);
  const again = await openStore(dir);
  assert.equal(again.firstRun, false);
  assert.equal(again.recordCount, 7);
  await again.release();
  await rm(dir, { recursive: true });
});

test('recover: a sealed plan is committed with its journal; an unsealed one is discarded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bstate-'));
  let s = await openStore(dir);
  let w = await s.beginPlan();
  await w.op(op(0, 'a', [{ path: 'a', after: rec('a') }]), false);
  await w.op(op(1, 'b', [{ path: 'b', after: rec('b') }]), false);
  await w.seal();
  const j = await s.journal();
  j.done(1);
  await j.flush();
  // "Crash": release the lock without committing.
  await s.release();
  s = await openStore(dir);
  assert.deepEqual(await s.recover(), { planned: 2, done: 1 });
  assert.deepEqual(
    (await all(s.records())).map((x) => x.path),
    ['b'],
  );
  w = await s.beginPlan();
  await w.keep(rec('b'));
  await w.op(op(0, 'c', [{ path: 'c', after: rec('c') }]), false);
  await s.release(); // crash before the seal
  s = await openStore(dir);
  assert.equal(await s.recover(), undefined);
  assert.deepEqual(
    (await all(s.records())).map((x) => x.path),
    ['b'],
  );
  assert.ok(!(await readdir(s.dir)).includes('plan'));
  await s.release();
  await rm(dir, { recursive: true });
});

test('journal: a torn last line and garbage are ignored, ids beyond the plan too', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bstate-'));
  const f = join(dir, 'journal');
  await writeFile(f, 'done 1\ndone 2\ndone x\n\0\0\0\ndone 99\ndone 01\ndone 3');
  const b = await readJournal(f, 10);
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => b.has(i)),
    [false, true, true, false],
  );
  assert.equal(b.count, 2);
  assert.equal((await readJournal(join(dir, 'none'), 3)).count, 0);
  await rm(dir, { recursive: true });
});

test('state file: out of order, garbled and truncated files are refused with the file named', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bstate-'));
  const f = join(dir, 'state');
  const w = await StateFileWriter.create(f);
  for (const p of ['a', 'a-b', 'a/b', 'a0', 'z\uFFFD', 'z😀']) await w.add(rec(p));
  assert.throws(() => w.add(rec('b')), /not sorted/);
  assert.equal(await w.finish(), 6);
  assert.equal((await all(readStateBatches(f))).length, 6);
  const text = await readFile(f, 'utf8');
  const lines = text.split('\n');
  const swapped = [lines[0], lines[2], lines[1], ...lines.slice(3)].join('\n');
  await writeFile(f, swapped);
  await assert.rejects(
    all(readStateBatches(f)),
    (e: Error) => e instanceof StateFileError && /out of order at line 3/.test(e.message) && e.message.includes(f),
  );
  await writeFile(f, text.replace('"p":"a0"', '"p":5'));
  await assert.rejects(all(readStateBatches(f)), /line 5 is garbled/);
  await writeFile(f, lines.slice(0, 4).join('\n') + '\n');
  await assert.rejects(all(readStateBatches(f)), /holds 3 records, its header says 6/);
  await appendFile(f, '{"p":"zz"');
  await assert.rejects(all(readStateBatches(f)), /not terminated/);
  await rm(dir, { recursive: true });
});
