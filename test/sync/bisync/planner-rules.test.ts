/** The bisync rules table, row by row, with the local side as path1 and as path2 (docs/bisync-rules.md). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { L, R, S, only, plan } from './planner-helpers.js';
import type { SideName } from '../../../src/sync/bisync/types.js';

for (const localIs of ['path1', 'path2'] as SideName[]) {
  const o = { localIs };

  test(`row 1 (${localIs}): new local file → upload (new)`, async () => {
    const res = await plan([], [L('a', 5, 1000)], [], o);
    const op = only(res);
    assert.equal(op.op, 'upload');
    assert.equal(op.reason, 'new');
    assert.deepEqual(op.changes, [
      {
        path: 'a',
        after: { path: 'a', local: { size: 5, mtimeMs: 1000, ino: 1005 }, remote: { size: 5, mtimeMs: 1000 } },
      },
    ]);
  });

  test(`row 2 (${localIs}): new remote file → download (new)`, async () => {
    const res = await plan([], [], [R('a', 5, 1000, { sha1: 'h' })], o);
    const op = only(res);
    assert.equal(op.op, 'download');
    assert.equal(op.reason, 'new');
    assert.deepEqual(op.changes[0].after, {
      path: 'a',
      local: { size: 5, mtimeMs: 1000 },
      remote: { size: 5, mtimeMs: 1000, fileId: 'id-a-5-1000', sha1: 'h' },
    });
  });

  test(`row 3 (${localIs}): new on both sides, same content → settle; different → conflict`, async () => {
    const same = only(await plan([], [L('a', 5, 1000)], [R('a', 5, 1000)], o));
    assert.equal(same.op, 'settle');
    assert.equal(same.reason, 'same content');
    assert.deepEqual(same.changes[0].after?.remote.fileId, 'id-a-5-1000');
    const diff = only(await plan([], [L('a', 5, 1000)], [R('a', 6, 1000)], o));
    assert.equal(diff.op, 'conflict');
    assert.equal(diff.changes[0].before, undefined);
  });

  test(`row 4 (${localIs}): unchanged on both sides → keep, record refreshed`, async () => {
    const s = S('a', 5, 1000, { lsha: 'x', rsha: 'x' });
    const res = await plan([s], [L('a', 5, 1000, { ino: 77 })], [R('a', 5, 1000)], o);
    assert.equal(res.ops.length, 0);
    assert.deepEqual(res.keeps, [
      {
        path: 'a',
        local: { size: 5, mtimeMs: 1000, ino: 77, sha1: 'x' },
        remote: { size: 5, mtimeMs: 1000, fileId: 'id-a-5-1000', sha1: 'x' },
      },
    ]);
  });

  test(`row 5 (${localIs}): changed locally → upload (changed)`, async () => {
    const s = S('a', 5, 1000);
    const op = only(await plan([s], [L('a', 6, 2000)], [R('a', 5, 1000)], o));
    assert.equal(op.op, 'upload');
    assert.equal(op.reason, 'changed');
    assert.deepEqual(op.changes, [
      {
        path: 'a',
        before: s,
        after: { path: 'a', local: { size: 6, mtimeMs: 2000, ino: 1006 }, remote: { size: 6, mtimeMs: 2000 } },
      },
    ]);
  });

  test(`row 6 (${localIs}): changed remotely → download (changed)`, async () => {
    const s = S('a', 5, 1000);
    const op = only(await plan([s], [L('a', 5, 1000)], [R('a', 6, 2000)], o));
    assert.equal(op.op, 'download');
    assert.equal(op.reason, 'changed');
    assert.equal(op.changes[0].before, s);
  });

  test(`row 7 (${localIs}): deleted locally, remote unchanged → delete-remote`, async () => {
    const s = S('a', 5, 1000);
    const res = await plan([s], [], [R('a', 5, 1000)], o);
    const op = only(res);
    assert.equal(op.op, 'delete-remote');
    assert.deepEqual(op.changes, [{ path: 'a', before: s }]);
    assert.equal(res.counts.deleteRemote, 1);
  });

  test(`row 8 (${localIs}): deleted remotely, local unchanged → delete-local`, async () => {
    const s = S('a', 5, 1000);
    const res = await plan([s], [L('a', 5, 1000)], [], o);
    assert.equal(only(res).op, 'delete-local');
    assert.equal(res.counts.deleteLocal, 1);
  });

  test(`row 9 (${localIs}): gone from both sides → dropped (no op, no keep)`, async () => {
    const res = await plan([S('a', 5, 1000)], [], [], o);
    assert.equal(res.ops.length + res.keeps.length, 0);
    assert.equal(res.counts.state, 1);
  });

  test(`row 10 (${localIs}): changed locally, deleted remotely → upload (restored)`, async () => {
    const op = only(await plan([S('a', 5, 1000)], [L('a', 6, 2000)], [], o));
    assert.equal(op.op, 'upload');
    assert.equal(op.reason, 'restored (changed on the other side)');
  });

  test(`row 11 (${localIs}): deleted locally, changed remotely → download (restored)`, async () => {
    const op = only(await plan([S('a', 5, 1000)], [], [R('a', 6, 2000)], o));
    assert.equal(op.op, 'download');
    assert.equal(op.reason, 'restored (changed on the other side)');
  });

  test(`row 12 (${localIs}): changed on both sides → settle when alike, else conflict`, async () => {
    const s = S('a', 5, 1000);
    const same = only(await plan([s], [L('a', 6, 2000)], [R('a', 6, 2000)], o));
    assert.equal(same.op, 'settle');
    assert.equal(same.changes[0].before, s);
    const diff = only(await plan([s], [L('a', 6, 2000)], [R('a', 7, 3000)], o));
    assert.equal(diff.op, 'conflict');
  });
}

test('sameContent by time: mtimes within the window are the same; beyond it without a remote SHA-1, not', async () => {
  assert.equal(only(await plan([], [L('a', 5, 1000)], [R('a', 5, 1001)])).op, 'settle');
  const res = await plan([], [L('a', 5, 1000)], [R('a', 5, 1002)]);
  assert.equal(only(res).op, 'conflict');
  assert.deepEqual(res.hashed, [], 'no remote SHA-1: nothing to hash against');
});

test('sameContent by hash: mtimes differ, the local SHA-1 equals the remote one → settle, SHA-1 recorded', async () => {
  const res = await plan([], [L('a', 5, 1000)], [R('a', 5, 9000, { sha1: 'h1' })], { hashes: { a: 'h1' } });
  const op = only(res);
  assert.equal(op.op, 'settle');
  assert.deepEqual(res.hashed, ['a']);
  assert.equal(op.changes[0].after?.local.sha1, 'h1');
  const diff = await plan([], [L('a', 5, 1000)], [R('a', 5, 9000, { sha1: 'h1' })], { hashes: { a: 'h2' } });
  assert.equal(only(diff).op, 'conflict');
  const unreadable = await plan([], [L('a', 5, 1000)], [R('a', 5, 9000, { sha1: 'h1' })]);
  assert.equal(only(unreadable).op, 'conflict');
});

test('remoteChanged: same fileId is unchanged whatever the listing says of time', async () => {
  const s = S('a', 5, 1000, { fileId: 'F' });
  const res = await plan([s], [L('a', 5, 1000)], [R('a', 5, 5000, { fileId: 'F' })]);
  assert.equal(res.ops.length, 0);
  assert.equal(res.keeps.length, 1);
});

test('remoteChanged: another fileId with both SHA-1s known is changed iff the SHA-1 (or size) differs', async () => {
  const s = S('a', 5, 1000, { rsha: 'h1' });
  const same = await plan([s], [L('a', 5, 1000)], [R('a', 5, 5000, { fileId: 'G', sha1: 'h1' })]);
  assert.equal(same.ops.length, 0, 're-uploaded with the same content: unchanged');
  assert.equal(same.keeps[0].remote.fileId, 'G', 'record refreshed with the new fileId');
  const diff = await plan([s], [L('a', 5, 1000)], [R('a', 5, 1000, { fileId: 'G', sha1: 'h2' })]);
  assert.equal(only(diff).op, 'download');
});

test('remoteChanged: another fileId, no SHA-1s: size and time decide', async () => {
  const s = S('a', 5, 1000);
  const same = await plan([s], [L('a', 5, 1000)], [R('a', 5, 1001, { fileId: 'G' })]);
  assert.equal(same.ops.length, 0);
  assert.equal(only(await plan([s], [L('a', 5, 1000)], [R('a', 5, 1500, { fileId: 'G' })])).op, 'download');
  assert.equal(only(await plan([s], [L('a', 5, 1000)], [R('a', 6, 1000, { fileId: 'G' })])).op, 'download');
});

test('localChanged with --checksum: a touched file with the same SHA-1 is unchanged; another SHA-1 is changed', async () => {
  const s = S('a', 5, 1000, { lsha: 'h1' });
  const touched = await plan([s], [L('a', 5, 8000)], [R('a', 5, 1000)], { checksum: true, hashes: { a: 'h1' } });
  assert.equal(touched.ops.length, 0);
  assert.equal(touched.keeps[0].local.mtimeMs, 8000);
  assert.equal(touched.keeps[0].local.sha1, 'h1');
  const edited = await plan([s], [L('a', 5, 1000)], [R('a', 5, 1000)], { checksum: true, hashes: { a: 'h2' } });
  assert.equal(only(edited).op, 'upload');
  const noChecksum = await plan([s], [L('a', 5, 8000)], [R('a', 5, 1000)], { hashes: { a: 'h1' } });
  assert.equal(only(noChecksum).op, 'upload');
  assert.deepEqual(noChecksum.hashed, [], 'without --checksum nothing is hashed');
});
