/** Bisync rename detection: files and folders, both ways, by inode and by hash; pairing once; fallbacks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { L, R, S, plan } from './planner-helpers.js';

const kinds = (res: { ops: { op: string; path: string }[] }) => res.ops.map((o) => `${o.op} ${o.path}`);

test('local rename by inode, size and mtime → rename-remote (late), no hash read, not a deletion', async () => {
  const s = S('old', 5, 1000, { ino: 7 });
  const res = await plan([s], [L('new', 5, 1000, { ino: 7 })], [R('old', 5, 1000)]);
  assert.deepEqual(kinds(res), ['rename-remote new']);
  assert.deepEqual(res.late, [true]);
  assert.deepEqual(res.hashed, []);
  const op = res.ops[0];
  assert.equal(op.op === 'rename-remote' && op.from, 'old');
  assert.equal(op.op === 'rename-remote' && op.remote.fileId, 'id-old-5-1000');
  assert.deepEqual(op.changes, [
    { path: 'old', before: s },
    {
      path: 'new',
      after: { path: 'new', local: { size: 5, mtimeMs: 1000, ino: 7 }, remote: { size: 5, mtimeMs: 1000 } },
    },
  ]);
  assert.equal(res.counts.renames, 1);
  assert.equal(res.counts.deleteRemote, 0);
  assert.equal(res.counts.deleteLocal, 0);
});

test('local rename by hash (another inode, the state knows a SHA-1) → rename-remote; a different hash → upload + delete', async () => {
  const s = S('old', 5, 1000, { ino: 7, lsha: 'h' });
  const moved = await plan([s], [L('new', 5, 3000, { ino: 8 })], [R('old', 5, 1000)], { hashes: { new: 'h' } });
  assert.deepEqual(kinds(moved), ['rename-remote new']);
  assert.deepEqual(moved.hashed, ['new']);
  assert.equal(moved.ops[0].changes[1].after?.local.sha1, 'h');
  const other = await plan([s], [L('new', 5, 3000, { ino: 8 })], [R('old', 5, 1000)], { hashes: { new: 'z' } });
  assert.deepEqual(kinds(other), ['upload new', 'delete-remote old']);
  assert.deepEqual(other.late, [true, true]);
  assert.equal(other.counts.deleteRemote, 1);
  assert.equal(other.counts.renames, 0);
});

test('a local folder rename is one rename-remote per file', async () => {
  const state = [S('d/a', 1, 1000, { ino: 1 }), S('d/b', 2, 1000, { ino: 2 }), S('d/c/x', 3, 1000, { ino: 3 })];
  const local = [L('e/a', 1, 1000, { ino: 1 }), L('e/b', 2, 1000, { ino: 2 }), L('e/c/x', 3, 1000, { ino: 3 })];
  const remote = [R('d/a', 1, 1000), R('d/b', 2, 1000), R('d/c/x', 3, 1000)];
  const res = await plan(state, local, remote);
  assert.deepEqual(kinds(res), ['rename-remote e/a', 'rename-remote e/b', 'rename-remote e/c/x']);
  assert.deepEqual(
    res.ops.map((o) => o.op.startsWith('rename') && 'from' in o && o.from),
    ['d/a', 'd/b', 'd/c/x'],
  );
  assert.equal(res.counts.renames, 3);
  assert.equal(res.counts.deleteRemote, 0);
});

test('remote rename by size and SHA-1 → rename-local, the local file moved with its inode', async () => {
  const s = S('old', 5, 1000, { rsha: 'h', ino: 9 });
  const res = await plan([s], [L('old', 5, 1000, { ino: 9 })], [R('new', 5, 1000, { sha1: 'h' })]);
  assert.deepEqual(kinds(res), ['rename-local new']);
  const op = res.ops[0];
  assert.equal(op.op === 'rename-local' && op.from, 'old');
  assert.equal(op.op === 'rename-local' && op.local.path, 'old');
  assert.deepEqual(op.changes[1].after, {
    path: 'new',
    local: { size: 5, mtimeMs: 1000, ino: 9, sha1: 'h' },
    remote: { size: 5, mtimeMs: 1000, fileId: 'id-new-5-1000', sha1: 'h' },
  });
  assert.equal(res.counts.deleteLocal, 0);
});

test('a remote folder rename is one rename-local per file; a listing without SHA-1 falls back to download + delete', async () => {
  const state = [S('p/a', 1, 1000, { rsha: 'ha' }), S('p/b', 2, 1000, { rsha: 'hb' })];
  const local = [L('p/a', 1, 1000), L('p/b', 2, 1000)];
  const res = await plan(state, local, [R('q/a', 1, 1000, { sha1: 'ha' }), R('q/b', 2, 1000, { sha1: 'hb' })]);
  assert.deepEqual(kinds(res), ['rename-local q/a', 'rename-local q/b']);
  const noSha = await plan(state, local, [R('q/a', 1, 1000), R('q/b', 2, 1000)]);
  assert.deepEqual(kinds(noSha), ['delete-local p/a', 'delete-local p/b', 'download q/a', 'download q/b']);
  assert.equal(noSha.counts.deleteLocal, 2);
});

test('one pairing per candidate: two gone files, three new ones with the same content → two renames, one upload', async () => {
  const state = [S('g1', 5, 1000, { lsha: 'h', ino: 1 }), S('g2', 5, 1000, { lsha: 'h', ino: 2 })];
  const local = [L('n1', 5, 2000, { ino: 11 }), L('n2', 5, 2000, { ino: 12 }), L('n3', 5, 2000, { ino: 13 })];
  const res = await plan(state, local, [R('g1', 5, 1000), R('g2', 5, 1000)], { hashes: { n1: 'h', n2: 'h', n3: 'h' } });
  assert.deepEqual(kinds(res), ['rename-remote n1', 'rename-remote n2', 'upload n3']);
  assert.deepEqual(
    res.ops.map((o) => ('from' in o ? o.from : undefined)),
    ['g1', 'g2', undefined],
  );
  assert.equal(res.counts.renames, 2);
});

test('op ids run 0.. in emission order; in-order ops are not late, renames are', async () => {
  const state = [S('a', 1, 1000), S('m', 5, 1000, { ino: 7 })];
  const local = [L('a', 2, 2000), L('z', 5, 1000, { ino: 7 })];
  const res = await plan(state, local, [R('a', 1, 1000), R('m', 5, 1000)]);
  assert.deepEqual(kinds(res), ['upload a', 'rename-remote z']);
  assert.deepEqual(
    res.ops.map((o) => o.id),
    [0, 1],
  );
  assert.deepEqual(res.late, [false, true]);
});
