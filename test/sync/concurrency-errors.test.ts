import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { B2Client } from '../../src/client/b2-client.js';
import { runSync } from '../../src/sync/index.js';
import { cleanup, local, makeTree, newBucket, readBucket, remote, useEmulator } from './fixture.js';

let client: B2Client;
useEmulator((_e, c) => (client = c));

test('large files run within the global part bound (one at a time here) while small files keep flowing', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 3; i++) files[`large-${i}.bin`] = String(i).repeat(3500);
  for (let i = 0; i < 6; i++) files[`small-${i}.txt`] = `small ${i}`;
  const src = await makeTree(files);
  const { bucketName, bucketId } = await newBucket(client, 'large');
  try {
    let largeNow = 0;
    let largePeak = 0;
    let smallDuringLarge = 0;
    const s = await runSync(local(src), remote(client, bucketName), {
      mode: 'sync',
      transfers: 2,
      tuning: { largeFileCutoff: 2000, partSize: 1000, partConcurrency: 2 },
      onEvent: (e) => {
        if (e.type === 'start' && e.action.path.startsWith('large')) largePeak = Math.max(largePeak, ++largeNow);
        if (e.type === 'done' && e.action.path.startsWith('large')) largeNow--;
        if (e.type === 'start' && e.action.path.startsWith('small') && largeNow > 0) smallDuringLarge++;
      },
    });
    assert.deepEqual(s.errors, []);
    assert.equal(largePeak, 1, 'max(transfers 2, parts 2) / parts 2 = 1 large file at a time');
    assert.ok(smallDuringLarge > 0, 'small files moved while a large one was in flight');
    assert.deepEqual(await readBucket(client, bucketId), files);
  } finally {
    await cleanup(src);
  }
});

test('checksum: a file that cannot be read while hashing is reported per item and the run goes on', async () => {
  const src = await makeTree({ 'a.txt': 'aaaa', 'b.txt': 'bbbb', 'c.txt': 'cccc' });
  const { bucketName, bucketId } = await newBucket(client, 'hasherr');
  try {
    await runSync(local(src), remote(client, bucketName), { mode: 'sync' });
    const s = await runSync(local(src), remote(client, bucketName), {
      mode: 'sync',
      compare: 'checksum',
      checkers: 1,
      onEvent: (e) => {
        // With one checker, b.txt is hashed only after a.txt's decision is out: remove it now.
        if (e.type === 'plan' && e.action.path === 'a.txt') unlinkSync(join(src, 'b.txt'));
      },
    });
    assert.equal(s.errors.length, 1);
    assert.equal(s.errors[0].item, 'b.txt');
    assert.match(s.errors[0].message, /^compare: .*ENOENT/);
    assert.equal(s.deleted, 0, 'a file that failed to compare is not treated as missing');
    assert.equal(s.skipped, 2);
    assert.deepEqual(Object.keys(await readBucket(client, bucketId)), ['a.txt', 'b.txt', 'c.txt']);
  } finally {
    await cleanup(src);
  }
});

test('a source directory that cannot be read is an error, and no deletion is done that run, even with force', async (t) => {
  const src = await makeTree({ 'k1.txt': '1', 'k2.txt': '2', 'k3.txt': '3' });
  // A directory whose absolute path exceeds PATH_MAX (4096 bytes): it is listed by its parent but
  // cannot be opened itself (ENAMETOOLONG) — an unreadable directory even for root.
  const mk = spawnSync('bash', [
    '-c',
    `cd "${src}" && mkdir deep && cd deep && for i in $(seq 18); do d=$(printf 'x%.0s' $(seq 240))$i; mkdir "$d" && cd "$d" || exit 1; done; echo hi > f.txt`,
  ]);
  if (mk.status !== 0) {
    spawnSync('rm', ['-rf', src]);
    return t.skip(`cannot build a tree deeper than PATH_MAX here: ${mk.stderr}`);
  }
  const { bucketName, bucketId } = await newBucket(client, 'unreadable');
  try {
    await client.uploadFile({ bucketId, fileName: 'old.txt', body: Buffer.from('o'), contentLength: 1 });
    for (const deleteMode of ['after', 'during'] as const) {
      const s = await runSync(local(src), remote(client, bucketName), { mode: 'sync', deleteMode, force: true });
      assert.equal(s.deleted, 0, deleteMode);
      assert.ok(
        s.errors.some((e) => /^list source: cannot read directory: .*ENAMETOOLONG/.test(e.message)),
        JSON.stringify(s.errors),
      );
      assert.ok(
        s.errors.some((e) => /1 deletion\(s\) not done because 1 source item\(s\) could not be read/.test(e.message)),
        JSON.stringify(s.errors),
      );
    }
    assert.deepEqual(Object.keys(await readBucket(client, bucketId)), ['k1.txt', 'k2.txt', 'k3.txt', 'old.txt']);
  } finally {
    spawnSync('rm', ['-rf', src]);
  }
});
