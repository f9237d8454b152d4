/** Bisync conflicts: each policy's winner, loser name and state changes; conflict names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { L, R, S, STAMP, NOW, only, plan } from './planner-helpers.js';
import { conflictName } from '../../../src/sync/bisync/conflict-name.js';
import type { ConflictPolicy, SideName } from '../../../src/sync/bisync/types.js';

test('conflictName: stem, UTC stamp, side, extension from the last dot of the base name', () => {
  assert.equal(conflictName('a/b.tar.gz', 'path1', NOW), `a/b.tar.conflict-${STAMP}-path1.gz`);
  assert.equal(conflictName('.bashrc', 'path2', NOW), `.bashrc.conflict-${STAMP}-path2`);
  assert.equal(conflictName('d.x/README', 'path1', NOW), `d.x/README.conflict-${STAMP}-path1`);
  assert.equal(conflictName('d/.config.old', 'path2', NOW), `d/.config.conflict-${STAMP}-path2.old`);
});

// The local file was changed at t=2000 (size 6), the remote one at t=3000 (size 7): the remote is newer.
const s = S('a/b.tar.gz', 5, 1000);
const l = L('a/b.tar.gz', 6, 2000, { ino: 42 });
const r = R('a/b.tar.gz', 7, 3000, { sha1: 'rh' });

type Want = { winner: 'local' | 'remote'; loser?: SideName };
const cases: [ConflictPolicy, SideName, Want][] = [
  ['keep-both', 'path1', { winner: 'remote', loser: 'path1' }],
  ['keep-both', 'path2', { winner: 'remote', loser: 'path2' }],
  ['newer', 'path1', { winner: 'remote', loser: 'path1' }],
  ['newer', 'path2', { winner: 'remote', loser: 'path2' }],
  ['older', 'path1', { winner: 'local' }],
  ['older', 'path2', { winner: 'local' }],
  ['path1', 'path1', { winner: 'local' }],
  ['path1', 'path2', { winner: 'remote', loser: 'path2' }],
  ['path2', 'path1', { winner: 'remote', loser: 'path1' }],
  ['path2', 'path2', { winner: 'local' }],
];

for (const [conflict, localIs, want] of cases) {
  test(`conflict --conflict ${conflict}, local is ${localIs}: ${want.winner} wins, loser ${want.loser ?? 'kept as a B2 version'}`, async () => {
    const res = await plan([s], [l], [r], { conflict, localIs });
    const op = only(res);
    assert.equal(op.op, 'conflict');
    if (op.op !== 'conflict') return;
    assert.equal(op.winner, want.winner);
    assert.equal(op.policy, conflict);
    assert.equal(res.counts.conflicts, 1);
    const loserPath = want.loser && `a/b.tar.conflict-${STAMP}-${want.loser}.gz`;
    assert.equal(op.loserPath, loserPath);
    const win =
      want.winner === 'remote'
        ? { local: { size: 7, mtimeMs: 3000 }, remote: { size: 7, mtimeMs: 3000, fileId: r.fileId, sha1: 'rh' } }
        : { local: { size: 6, mtimeMs: 2000, ino: 42 }, remote: { size: 6, mtimeMs: 2000 } };
    assert.deepEqual(op.changes[0], { path: 'a/b.tar.gz', before: s, after: { path: 'a/b.tar.gz', ...win } });
    if (!loserPath) return assert.equal(op.changes.length, 1);
    assert.deepEqual(op.changes[1], {
      path: loserPath,
      after: { path: loserPath, local: { size: 6, mtimeMs: 2000, ino: 42 }, remote: { size: 6, mtimeMs: 2000 } },
    });
  });
}

test('keep-both with the local side newer: the remote loser is kept under its side name, on both sides', async () => {
  const newer = L('a/b.tar.gz', 6, 9000);
  const op = only(await plan([s], [newer], [r], { localIs: 'path2' }));
  assert.equal(op.op, 'conflict');
  if (op.op !== 'conflict') return;
  assert.equal(op.winner, 'local');
  assert.equal(op.loserPath, `a/b.tar.conflict-${STAMP}-path1.gz`);
  assert.deepEqual(op.changes[1].after, {
    path: op.loserPath,
    local: { size: 7, mtimeMs: 3000 },
    remote: { size: 7, mtimeMs: 3000, sha1: 'rh' },
  });
});

test('keep-both tie on mtime: path1 wins', async () => {
  const tieL = L('x', 6, 5000);
  const tieR = R('x', 7, 5000);
  for (const localIs of ['path1', 'path2'] as SideName[]) {
    const op = only(await plan([S('x', 5, 1000)], [tieL], [tieR], { localIs }));
    assert.equal(op.op === 'conflict' && op.winner, localIs === 'path1' ? 'local' : 'remote');
  }
});

test('first run, same name with different content: a conflict with no before record', async () => {
  const op = only(await plan([], [L('n.txt', 1, 1000)], [R('n.txt', 2, 2000)]));
  assert.equal(op.op, 'conflict');
  assert.equal(op.changes[0].before, undefined);
  assert.equal(op.op === 'conflict' && op.loserPath, `n.conflict-${STAMP}-path1.txt`);
});
