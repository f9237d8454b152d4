import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningEmulator } from '../../src/emulator/api.js';
import type { B2Client } from '../../src/client/b2-client.js';
import { runSync } from '../../src/sync/index.js';
import {
  calls,
  cleanup,
  local,
  makeClient,
  makeTree,
  newBucket,
  readBucket,
  readTree,
  recorder,
  remote,
  T0,
  tempDir,
  useEmulator,
} from './fixture.js';

let emu: RunningEmulator;
let client: B2Client;
useEmulator((e, c) => ((emu = e), (client = c)));

const FILES = {
  'a.txt': 'alpha',
  'dir/b.txt': 'bravo',
  'dir/sub/c.txt': 'charlie',
  'a-b': 'dash',
  'a/b': 'slash',
  'empty.bin': '',
};

test('local → B2 uploads every file with src_last_modified_millis; a re-run lists once and transfers nothing', async () => {
  const root = await makeTree(FILES);
  const { bucketName, bucketId } = await newBucket(client, 'up');
  try {
    const s1 = await runSync(local(root), remote(client, bucketName, 'backup'), { mode: 'sync' });
    assert.deepEqual(s1.errors, []);
    assert.equal(s1.transferred.files, 6);
    assert.equal(s1.transferred.bytes, 5 + 5 + 7 + 4 + 5);
    assert.deepEqual(await readBucket(client, bucketId, 'backup/'), FILES);
    const listed = [];
    for await (const f of client.listFileNames(bucketId, { prefix: 'backup/' })) listed.push(f);
    const a = listed.find((f) => f.fileName === 'backup/a.txt')!;
    assert.equal(a.fileInfo.src_last_modified_millis, String(T0));

    emu.controls.resetCounters();
    const rec = recorder();
    const s2 = await runSync(local(root), remote(client, bucketName, 'backup/'), {
      mode: 'sync',
      onEvent: rec.onEvent,
    });
    assert.equal(s2.transferred.files, 0);
    assert.equal(s2.checked, 6);
    assert.equal(s2.skipped, 6);
    assert.deepEqual(rec.changes(), []);
    assert.equal(calls(emu, 'b2_list_file_names'), 1, 'one list call for < 10,000 files');
    assert.equal(
      calls(emu, 'b2_upload_file') + calls(emu, 'b2_get_file_info') + calls(emu, 'b2_download_file_by_id'),
      0,
      'no per-file calls',
    );
  } finally {
    await cleanup(root);
  }
});

test('local → B2 after edits: changed size, newer, new and extra on destination, each with its reason', async () => {
  const root = await makeTree(FILES);
  const { bucketName, bucketId } = await newBucket(client, 'edit');
  try {
    await runSync(local(root), remote(client, bucketName), { mode: 'sync' });
    await writeFile(join(root, 'a.txt'), 'alpha, longer');
    await utimes(join(root, 'dir/b.txt'), new Date(T0 + 99_000), new Date(T0 + 99_000));
    await writeFile(join(root, 'new.txt'), 'new');
    await unlink(join(root, 'dir/sub/c.txt'));
    const rec = recorder();
    const s = await runSync(local(root), remote(client, bucketName), { mode: 'sync', onEvent: rec.onEvent });
    assert.deepEqual(rec.changes(), [
      'upload a.txt (changed size)',
      'upload dir/b.txt (newer)',
      'delete dir/sub/c.txt (extra on destination)',
      'upload new.txt (new)',
    ]);
    assert.equal(s.transferred.files, 3);
    assert.equal(s.deleted, 1);
    const want = await readTree(root);
    assert.deepEqual(await readBucket(client, bucketId), want);
    // A B2 delete is a hide: the old version is still there.
    const versions = [];
    for await (const v of client.listFileVersions(bucketId, { prefix: 'dir/sub/c.txt' })) versions.push(v.action);
    assert.deepEqual(versions, ['hide', 'upload']);
  } finally {
    await cleanup(root);
  }
});

test('B2 → local downloads every file and sets its mtime; a re-run transfers nothing; extras are deleted', async () => {
  const src = await makeTree(FILES);
  const dst = await tempDir();
  const { bucketName } = await newBucket(client, 'down');
  try {
    await runSync(local(src), remote(client, bucketName, 'p'), { mode: 'sync' });
    const s1 = await runSync(remote(client, bucketName, 'p'), local(join(dst, 'out')), { mode: 'sync' });
    assert.deepEqual(s1.errors, []);
    assert.equal(s1.transferred.files, 6);
    assert.deepEqual(await readTree(join(dst, 'out')), FILES);
    assert.equal(Math.round((await stat(join(dst, 'out', 'dir/sub/c.txt'))).mtimeMs), T0 + 2000);

    const s2 = await runSync(remote(client, bucketName, 'p'), local(join(dst, 'out')), { mode: 'sync' });
    assert.equal(s2.transferred.files, 0);
    assert.equal(s2.skipped, 6);

    await writeFile(join(dst, 'out', 'extra.txt'), 'x');
    const rec = recorder();
    const s3 = await runSync(remote(client, bucketName, 'p'), local(join(dst, 'out')), {
      mode: 'sync',
      onEvent: rec.onEvent,
    });
    assert.deepEqual(rec.changes(), ['delete extra.txt (extra on destination)']);
    assert.equal(s3.deleted, 1);
    assert.deepEqual(await readTree(join(dst, 'out')), FILES);
  } finally {
    await cleanup(src, dst);
  }
});

test('B2 → B2 copies server-side across buckets and clients; times are kept so a re-run is a no-op', async () => {
  const src = await makeTree(FILES);
  const a = await newBucket(client, 'cpa');
  const b = await newBucket(client, 'cpb');
  const other = makeClient(emu); // a second client of the same account (another profile)
  try {
    await runSync(local(src), remote(client, a.bucketName), { mode: 'sync' });
    // One file without src_last_modified_millis (uploaded by another tool).
    await client.uploadFile({ bucketId: a.bucketId, fileName: 'raw.txt', body: Buffer.from('raw'), contentLength: 3 });
    emu.controls.resetCounters();
    const s1 = await runSync(remote(client, a.bucketName), remote(other, b.bucketName, 'mirror'), { mode: 'copy' });
    assert.deepEqual(s1.errors, []);
    assert.equal(s1.transferred.files, 7);
    assert.equal(calls(emu, 'b2_copy_file'), 7);
    assert.equal(calls(emu, 'b2_upload_file') + calls(emu, 'b2_download_file_by_id'), 0, 'no bytes through the client');
    assert.deepEqual(await readBucket(client, b.bucketId, 'mirror/'), { ...FILES, 'raw.txt': 'raw' });
    const s2 = await runSync(remote(client, a.bucketName), remote(other, b.bucketName, 'mirror'), { mode: 'sync' });
    assert.equal(s2.transferred.files, 0);
    assert.equal(s2.skipped, 7);
  } finally {
    await other.close();
    await cleanup(src);
  }
});

test('copy never deletes; local → local and overlapping B2 paths are refused', async () => {
  const src = await makeTree({ 'x.txt': 'x' });
  const { bucketName, bucketId } = await newBucket(client, 'copy');
  try {
    await client.uploadFile({ bucketId, fileName: 'keep.txt', body: Buffer.from('k'), contentLength: 1 });
    const s = await runSync(local(src), remote(client, bucketName), { mode: 'copy' });
    assert.equal(s.deleted, 0);
    assert.deepEqual(Object.keys(await readBucket(client, bucketId)).sort(), ['keep.txt', 'x.txt']);
    await assert.rejects(runSync(local(src), local(src + '-2'), { mode: 'sync' }), /local to local/);
    await assert.rejects(
      runSync(remote(client, bucketName, 'a'), remote(client, bucketName, 'a/b'), { mode: 'sync' }),
      /overlap/,
    );
    await assert.rejects(runSync(local(src + '-missing'), remote(client, bucketName), { mode: 'copy' }), {
      name: 'NotFoundError',
    });
    await assert.rejects(runSync(local(src), remote(client, 'no-such-bucket-zz'), { mode: 'copy' }), {
      name: 'NotFoundError',
    });
  } finally {
    await cleanup(src);
  }
});
