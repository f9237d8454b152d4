import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { B2Client } from '../../src/client/b2-client.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import { cancelUnfinished, copyFile, restoreVersion, uploadStream } from '../../src/transfer/index.js';
import { calls, collect, data, makeBucket, makeClient, readAll, startTestEmulator } from './fixture.js';

/** A stream that hands out `bytes` in uneven chunks, like a pipe. */
function pipeLike(bytes: Buffer): Readable {
  let off = 0;
  let i = 0;
  return new Readable({
    read() {
      if (off >= bytes.length) return void this.push(null);
      const n = [700, 1300, 4096, 17][i++ % 4];
      this.push(bytes.subarray(off, off + n));
      off += n;
    },
  });
}

describe('uploadStream, copyFile, restoreVersion, cancelUnfinished', () => {
  let emu: RunningEmulator;
  let client: B2Client;
  let bucket: { bucketId: string; bucketName: string };
  let other: { bucketId: string; bucketName: string };
  const tuning = { largeFileCutoff: 8000, partSize: 2000, partConcurrency: 3 };

  before(async () => {
    emu = await startTestEmulator();
    client = makeClient(emu);
    bucket = await makeBucket(client, 'sc');
    other = await makeBucket(client, 'sc2');
  });
  after(async () => {
    await client?.close();
    await emu?.close();
  });
  beforeEach(() => {
    emu.controls.clearFaults();
    emu.controls.resetCounters();
  });

  const get = async (bucketName: string, name: string) => readAll((await client.downloadByName(bucketName, name)).body);

  test('a stream that ends below the cutoff goes up as one simple upload', async () => {
    const bytes = data(7000);
    const fv = await uploadStream(client, {
      bucketId: bucket.bucketId,
      fileName: 'stdin-small',
      stream: pipeLike(bytes),
      tuning,
    });
    assert.equal(calls(emu, 'b2_upload_file'), 1);
    assert.equal(calls(emu, 'b2_start_large_file'), 0);
    assert.equal(fv.contentSha1, createHash('sha1').update(bytes).digest('hex'));
    assert.deepEqual(await get(bucket.bucketName, 'stdin-small'), bytes);
  });

  test('a stream that passes the cutoff becomes a large file cut into parts', async () => {
    const bytes = data(21_001);
    let maxParts = 0;
    const fv = await uploadStream(client, {
      bucketId: bucket.bucketId,
      fileName: 'stdin-large',
      stream: pipeLike(bytes),
      tuning,
      onProgress: (p) => (maxParts = Math.max(maxParts, p.partsDone ?? 0)),
    });
    assert.equal(calls(emu, 'b2_upload_file'), 0);
    assert.equal(calls(emu, 'b2_upload_part'), 11);
    assert.equal(maxParts, 11);
    assert.equal(fv.contentLength, 21_001);
    assert.deepEqual(await get(bucket.bucketName, 'stdin-large'), bytes);
  });

  test('a failing stream upload leaves no unfinished large file', async () => {
    const bytes = data(12_000);
    const broken = Readable.from(
      (async function* () {
        yield bytes.subarray(0, 5000);
        yield bytes.subarray(5000, 10_000);
        yield bytes.subarray(10_000, 11_000);
        throw new Error('pipe broke');
      })(),
    );
    await assert.rejects(
      uploadStream(client, { bucketId: bucket.bucketId, fileName: 'stdin-broken', stream: broken, tuning }),
      /pipe broke/,
    );
    assert.equal(calls(emu, 'b2_start_large_file'), 1, 'the large path was taken');
    assert.equal(calls(emu, 'b2_cancel_large_file'), 1);
    assert.deepEqual(await collect(client.listUnfinishedLargeFiles(bucket.bucketId)), []);
  });

  test('an aborted stream upload stops and leaves no unfinished large file', async () => {
    const bytes = data(40_000);
    const ac = new AbortController();
    await assert.rejects(
      uploadStream(client, {
        bucketId: bucket.bucketId,
        fileName: 'stdin-aborted',
        stream: pipeLike(bytes),
        signal: ac.signal,
        tuning: { ...tuning, partConcurrency: 1 },
        onProgress: (p) => {
          if ((p.partsDone ?? 0) >= 2) ac.abort();
        },
      }),
      (e: unknown) => (e as Error).name === 'AbortError',
    );
    assert.ok(calls(emu, 'b2_upload_part') < 20, 'stopped before sending every part');
    assert.equal(calls(emu, 'b2_finish_large_file'), 0);
    assert.deepEqual(await collect(client.listUnfinishedLargeFiles(bucket.bucketId)), []);
  });

  test('a copy below the large-copy cutoff is one b2_copy_file, across buckets', async () => {
    const bytes = data(5000);
    const src = await client.uploadFile({
      bucketId: bucket.bucketId,
      fileName: 'src-small',
      body: bytes,
      contentLength: bytes.length,
      info: { k: 'v' },
    });
    const fv = await copyFile(client, {
      sourceFileId: src.fileId!,
      sourceSize: 5000,
      destinationBucketId: other.bucketId,
      fileName: 'copied-small',
      tuning: { largeCopyCutoff: 8000 },
    });
    assert.equal(calls(emu, 'b2_copy_file'), 1);
    assert.equal(fv.bucketId, other.bucketId);
    assert.equal(fv.fileInfo.k, 'v');
    assert.deepEqual(await get(other.bucketName, 'copied-small'), bytes);
  });

  test('a copy above the large-copy cutoff is start + copy_part ranges + finish, keeping type and info, across buckets', async () => {
    const bytes = data(9500);
    const src = await client.uploadFile({
      bucketId: bucket.bucketId,
      fileName: 'src-large.txt',
      body: bytes,
      contentLength: bytes.length,
      info: { k: 'v' },
    });
    const fv = await copyFile(client, {
      sourceFileId: src.fileId!,
      sourceSize: 9500,
      destinationBucketId: other.bucketId,
      fileName: 'copied-large.txt',
      tuning: { largeCopyCutoff: 8000, partSize: 2000 },
    });
    assert.equal(calls(emu, 'b2_copy_file'), 0);
    assert.equal(calls(emu, 'b2_copy_part'), 5);
    assert.equal(calls(emu, 'b2_finish_large_file'), 1);
    assert.equal(fv.contentLength, 9500);
    assert.equal(fv.contentType, 'text/plain');
    assert.equal(fv.fileInfo.k, 'v');
    assert.equal(fv.fileInfo.large_file_sha1, src.contentSha1, 'the source SHA-1 travels as large_file_sha1');
    assert.deepEqual(await get(other.bucketName, 'copied-large.txt'), bytes);
  });

  test('a large copy with replaced metadata uses the new type and info', async () => {
    const bytes = data(9000);
    const src = await client.uploadFile({
      bucketId: bucket.bucketId,
      fileName: 'src-r',
      body: bytes,
      contentLength: bytes.length,
    });
    const fv = await copyFile(client, {
      sourceFileId: src.fileId!,
      sourceSize: 9000,
      destinationBucketId: bucket.bucketId,
      fileName: 'copied-r',
      replace: { contentType: 'application/x-new', info: { a: 'b' } },
      tuning: { largeCopyCutoff: 4000, partSize: 3000 },
    });
    assert.equal(fv.contentType, 'application/x-new');
    // b2sync marks each b2_start_large_file with its own id (src/client/large-files.ts); nothing else is added.
    const { b2sync_start_id: marker, ...info } = fv.fileInfo;
    assert.deepEqual(info, { a: 'b' });
    assert.match(marker ?? '', /^[0-9a-f]{24}$/);
  });

  test('a failing large copy is cancelled', async () => {
    const bytes = data(9000);
    const src = await client.uploadFile({
      bucketId: bucket.bucketId,
      fileName: 'src-f',
      body: bytes,
      contentLength: bytes.length,
    });
    emu.controls.injectFault({
      call: 'b2_copy_part',
      status: 400,
      code: 'bad_request',
      message: 'injected',
      after: 1,
      count: 10,
    });
    await assert.rejects(
      copyFile(client, {
        sourceFileId: src.fileId!,
        sourceSize: 9000,
        destinationBucketId: bucket.bucketId,
        fileName: 'copied-f',
        tuning: { largeCopyCutoff: 4000, partSize: 2000 },
      }),
      /injected/,
    );
    assert.equal(calls(emu, 'b2_cancel_large_file'), 1);
    assert.deepEqual(await collect(client.listUnfinishedLargeFiles(bucket.bucketId)), []);
  });

  test('restoring a version copies it to the same name as the newest version', async () => {
    const v1 = data(3000);
    const v2 = data(4000);
    const a = await client.uploadFile({
      bucketId: bucket.bucketId,
      fileName: 'restore-me',
      body: v1,
      contentLength: v1.length,
    });
    await client.uploadFile({ bucketId: bucket.bucketId, fileName: 'restore-me', body: v2, contentLength: v2.length });
    await restoreVersion(client, { bucketId: bucket.bucketId, fileName: 'restore-me', fileId: a.fileId!, size: 3000 });
    assert.deepEqual(await get(bucket.bucketName, 'restore-me'), v1);
    const versions = (await collect(client.listFileVersions(bucket.bucketId, { prefix: 'restore-me' }))).filter(
      (f) => f.fileName === 'restore-me',
    );
    assert.equal(versions.length, 3);
  });

  test('cancelUnfinished lists (dry run) and cancels unfinished large files under a prefix', async () => {
    await client.startLargeFile({ bucketId: bucket.bucketId, fileName: 'junk/a' });
    await client.startLargeFile({ bucketId: bucket.bucketId, fileName: 'junk/b' });
    await client.startLargeFile({ bucketId: bucket.bucketId, fileName: 'keep/c' });
    const dry = await cancelUnfinished(client, { bucketId: bucket.bucketId, namePrefix: 'junk/', dryRun: true });
    assert.deepEqual(dry.map((f) => f.fileName).sort(), ['junk/a', 'junk/b']);
    assert.equal((await collect(client.listUnfinishedLargeFiles(bucket.bucketId))).length, 3);
    const young = await cancelUnfinished(client, {
      bucketId: bucket.bucketId,
      namePrefix: 'junk/',
      olderThanMs: 3_600_000,
    });
    assert.deepEqual(young, []);
    await cancelUnfinished(client, { bucketId: bucket.bucketId, namePrefix: 'junk/' });
    assert.deepEqual(
      (await collect(client.listUnfinishedLargeFiles(bucket.bucketId))).map((f) => f.fileName),
      ['keep/c'],
    );
    await cancelUnfinished(client, { bucketId: bucket.bucketId });
    assert.deepEqual(await collect(client.listUnfinishedLargeFiles(bucket.bucketId)), []);
  });
});
