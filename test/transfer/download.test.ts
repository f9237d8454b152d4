import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { B2Client } from '../../src/client/b2-client.js';
import { IntegrityError } from '../../src/core/errors.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import { PrefixHasher } from '../../src/transfer/prefix-hasher.js';
import { WorkerHasher } from '../../src/transfer/worker-hasher.js';
import {
  downloadRange,
  downloadToFile,
  tempPathFor,
  TEMP_SUFFIX,
  uploadLocalFile,
  type Progress,
} from '../../src/transfer/index.js';
import { prefixNoteFor } from '../../src/transfer/download/index.js';
import {
  data,
  makeBucket,
  makeClient,
  readAll,
  spyDownloads,
  startTestEmulator,
  tempDir,
  writeData,
} from './fixture.js';

describe('downloadToFile and downloadRange', () => {
  let emu: RunningEmulator;
  let client: B2Client;
  /** No retries: a SHA-1 mismatch is thrown at once (the retrying client fetches again: corrupt-refetch.test.ts). */
  let strict: B2Client;
  let bucket: { bucketId: string; bucketName: string };
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let small: { fileId: string; bytes: Buffer };
  let large: { fileId: string; bytes: Buffer };
  let big: { fileId: string; bytes: Buffer };
  const noParallel = { downloadParallelCutoff: 1e12 };

  before(async () => {
    emu = await startTestEmulator();
    client = makeClient(emu);
    strict = makeClient(emu, { retry: { retries: 0 } });
    bucket = await makeBucket(client, 'dl');
    tmp = await tempDir();
    const bytes = data(50_000);
    const fv = await client.uploadFile({
      bucketId: bucket.bucketId,
      fileName: 'small.bin',
      body: bytes,
      contentLength: bytes.length,
      info: { src_last_modified_millis: '1500000000000' },
    });
    small = { fileId: fv.fileId!, bytes };
    const src = join(tmp.dir, 'large-src');
    const lb = await writeData(src, 30_000);
    const whole = createHash('sha1').update(lb).digest('hex');
    const lf = await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'large.bin',
      localPath: src,
      info: { large_file_sha1: whole },
      tuning: { largeFileCutoff: 10_000, partSize: 5000 },
    });
    assert.equal(lf.contentSha1, 'none');
    large = { fileId: lf.fileId!, bytes: lb };
    const bb = data(3_000_000);
    const up = await client.uploadFile({
      bucketId: bucket.bucketId,
      fileName: 'big.bin',
      body: bb,
      contentLength: bb.length,
    });
    big = { fileId: up.fileId!, bytes: bb };
  });
  after(async () => {
    await client?.close();
    await strict?.close();
    await emu?.close();
    await tmp?.cleanup();
  });
  beforeEach(() => {
    emu.controls.clearFaults();
    emu.controls.resetCounters();
  });

  async function temps(): Promise<string[]> {
    return (await readdir(tmp.dir)).filter((n) => n.endsWith(TEMP_SUFFIX));
  }

  test('by name: bytes land at the target, SHA-1 verified, mtime from src_last_modified_millis, no temp left', async () => {
    const target = join(tmp.dir, 'out', 'small.bin');
    const seen: Progress[] = [];
    const r = await downloadToFile(client, {
      source: { bucketName: bucket.bucketName, fileName: 'small.bin' },
      localPath: target,
      tuning: noParallel,
      onProgress: (p) => seen.push(p),
    });
    assert.deepEqual(await readFile(target), small.bytes);
    assert.equal(r.bytes, 50_000);
    assert.equal(r.sha1Verified, true);
    assert.equal(r.fileVersion.fileId, small.fileId);
    assert.equal((await stat(target)).mtimeMs, 1_500_000_000_000);
    assert.deepEqual(seen.at(-1), { bytes: 50_000, totalBytes: 50_000 });
    assert.deepEqual(await temps(), []);
  });

  test('a large file is verified against large_file_sha1', async () => {
    const target = join(tmp.dir, 'large.bin');
    const r = await downloadToFile(client, { source: { fileId: large.fileId }, localPath: target, tuning: noParallel });
    assert.equal(r.fileVersion.contentSha1, 'none');
    assert.equal(r.sha1Verified, true);
    assert.deepEqual(await readFile(target), large.bytes);
  });

  test('a large file without large_file_sha1 downloads unverified (and says so)', async () => {
    const src = join(tmp.dir, 'nosha-src');
    const bytes = await writeData(src, 12_000);
    const fv = await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'nosha',
      localPath: src,
      tuning: { largeFileCutoff: 10_000, partSize: 5000 },
    });
    assert.equal(fv.fileInfo.large_file_sha1, undefined);
    for (const tuning of [noParallel, { downloadParallelCutoff: 1000, downloadStreams: 3 }]) {
      const target = join(tmp.dir, 'nosha.out');
      const r = await downloadToFile(client, { source: { fileId: fv.fileId! }, localPath: target, tuning });
      assert.equal(r.sha1Verified, false);
      assert.deepEqual(await readFile(target), bytes);
    }
  });

  test('a corrupted body is an IntegrityError and the existing target is untouched', async () => {
    const target = join(tmp.dir, 'corrupt.bin');
    await writeFile(target, 'old contents');
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt' });
    await assert.rejects(
      downloadToFile(strict, { source: { fileId: small.fileId }, localPath: target, tuning: noParallel }),
      IntegrityError,
    );
    assert.equal(await readFile(target, 'utf8'), 'old contents');
    assert.deepEqual(await temps(), []);
  });

  test('a big single-stream download (hashed in file order as it lands) is verified, and corruption caught', async () => {
    const bytes = data(17 * 1024 * 1024);
    const up = await client.uploadFile({
      bucketId: bucket.bucketId,
      fileName: 'worker.bin',
      body: bytes,
      contentLength: bytes.length,
    });
    const target = join(tmp.dir, 'worker.bin');
    const r = await downloadToFile(client, { source: { fileId: up.fileId! }, localPath: target, tuning: noParallel });
    assert.equal(r.sha1Verified, true);
    assert.deepEqual(await readFile(target), bytes);
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt' });
    await assert.rejects(
      downloadToFile(strict, { source: { fileId: up.fileId! }, localPath: target, tuning: noParallel }),
      IntegrityError,
    );
    assert.deepEqual(await readFile(target), bytes, 'the earlier download stays in place');
    assert.deepEqual(await temps(), []);
  });

  test('a corrupted body in a parallel download is caught too', async () => {
    const target = join(tmp.dir, 'corrupt-par.bin');
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt', after: 2 });
    await assert.rejects(
      downloadToFile(strict, {
        source: { fileId: small.fileId },
        localPath: target,
        tuning: { downloadParallelCutoff: 1000, downloadStreams: 4 },
      }),
      IntegrityError,
    );
    await assert.rejects(stat(target), /ENOENT/);
    assert.deepEqual(await temps(), []);
  });

  test('a partial temp file is resumed with a Range request from its length', async () => {
    const target = join(tmp.dir, 'resumed.bin');
    await writeFile(tempPathFor(target, small.fileId), small.bytes.subarray(0, 20_000));
    const spy = spyDownloads(client);
    const seen: Progress[] = [];
    const r = await downloadToFile(spy.client, {
      source: { bucketName: bucket.bucketName, fileName: 'small.bin' },
      localPath: target,
      tuning: noParallel,
      onProgress: (p) => seen.push(p),
    });
    assert.deepEqual(spy.ranges, [{ start: 20_000 }]);
    assert.equal(r.sha1Verified, true);
    assert.deepEqual(await readFile(target), small.bytes);
    assert.equal(seen[0].bytes, 20_000, 'the kept bytes count as done');
    assert.deepEqual(await temps(), []);
  });

  test('the kept bytes of a resumed download are part of the verification', async () => {
    const target = join(tmp.dir, 'resumed-bad.bin');
    const wrong = Buffer.from(small.bytes.subarray(0, 20_000));
    wrong[5] ^= 0xff;
    await writeFile(tempPathFor(target, small.fileId), wrong);
    await assert.rejects(
      downloadToFile(strict, { source: { fileId: small.fileId }, localPath: target, tuning: noParallel }),
      IntegrityError,
    );
    assert.deepEqual(await temps(), []);
  });

  test('an interrupted download keeps its temp file and the next attempt finishes it', async () => {
    const target = join(tmp.dir, 'interrupted.bin');
    const ac = new AbortController();
    await assert.rejects(
      downloadToFile(client, {
        source: { fileId: big.fileId },
        localPath: target,
        tuning: noParallel,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.bytes > 0) ac.abort();
        },
      }),
      (e: unknown) => (e as Error).name === 'AbortError',
    );
    const kept = await temps();
    assert.equal(kept.length, 1);
    const have = (await stat(join(tmp.dir, kept[0]))).size;
    assert.ok(have > 0 && have < big.bytes.length, `kept ${have} bytes`);
    const spy = spyDownloads(client);
    await downloadToFile(spy.client, { source: { fileId: big.fileId }, localPath: target, tuning: noParallel });
    assert.deepEqual(spy.ranges, [{ start: have }]);
    assert.deepEqual(await readFile(target), big.bytes);
    assert.deepEqual(await temps(), []);
  });

  test('a body dropped mid-download is continued with a Range request', async () => {
    const target = join(tmp.dir, 'dropped.bin');
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'drop' });
    const spy = spyDownloads(client);
    await downloadToFile(spy.client, { source: { fileId: big.fileId }, localPath: target, tuning: noParallel });
    assert.equal(spy.ranges.length, 2);
    const again = spy.ranges[1];
    assert.ok(
      again !== undefined && again.start > 0 && again.start <= 1_500_000 && again.end === 2_999_999,
      JSON.stringify(spy.ranges),
    );
    assert.deepEqual(await readFile(target), big.bytes);
  });

  test("a cut body is resumed under the client's retry policy: --retries 0 fails at once, the default retries", async () => {
    const target = join(tmp.dir, 'cut-policy.bin');
    const strict = makeClient(emu, { retry: { retries: 0, baseDelayMs: 5, maxDelayMs: 50 } });
    try {
      emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'drop' });
      const spy = spyDownloads(strict);
      await assert.rejects(
        downloadToFile(spy.client, { source: { fileId: big.fileId }, localPath: target, tuning: noParallel }),
      );
      assert.equal(spy.ranges.length, 1, 'no Range request to continue the cut body');
      await assert.rejects(stat(target), /ENOENT/);
    } finally {
      await strict.close();
    }
    await rm(join(tmp.dir, (await temps())[0] ?? 'none'), { force: true });
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'drop' });
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'drop', after: 1 });
    const spy = spyDownloads(client);
    const r = await downloadToFile(spy.client, {
      source: { fileId: big.fileId },
      localPath: target,
      tuning: noParallel,
    });
    assert.equal(spy.ranges.length, 3, JSON.stringify(spy.ranges));
    assert.equal(r.sha1Verified, true);
    assert.ok((await readFile(target)).equals(big.bytes));
  });

  test('a file above the parallel cutoff is fetched as several ranged streams and verified', async () => {
    const target = join(tmp.dir, 'parallel.bin');
    const spy = spyDownloads(client);
    const r = await downloadToFile(spy.client, {
      source: { bucketName: bucket.bucketName, fileName: 'small.bin' },
      localPath: target,
      tuning: { downloadParallelCutoff: 10_000, downloadStreams: 4 },
    });
    assert.deepEqual(spy.ranges, [
      undefined,
      { start: 12_500, end: 24_999 },
      { start: 25_000, end: 37_499 },
      { start: 37_500, end: 49_999 },
    ]);
    assert.equal(r.sha1Verified, true);
    assert.deepEqual(await readFile(target), small.bytes);
    assert.equal((await stat(target)).mtimeMs, 1_500_000_000_000);
  });

  test('a parallel download survives a dropped stream', async () => {
    const target = join(tmp.dir, 'parallel-drop.bin');
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'drop', after: 2 });
    await downloadToFile(client, {
      source: { fileId: large.fileId },
      localPath: target,
      tuning: { downloadParallelCutoff: 10_000, downloadStreams: 3 },
    });
    assert.deepEqual(await readFile(target), large.bytes);
  });

  test('a parallel download stopped midway keeps only its complete prefix, which the next attempt resumes in parallel', async () => {
    const target = join(tmp.dir, 'parallel-stopped.bin');
    const tuning = { downloadParallelCutoff: 10_000, downloadStreams: 3 };
    const ac = new AbortController();
    await assert.rejects(
      downloadToFile(client, {
        source: { fileId: big.fileId },
        localPath: target,
        tuning,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.bytes >= 2_000_000) ac.abort();
        },
      }),
      (e: unknown) => (e as Error).name === 'AbortError',
    );
    const kept = await temps();
    // Whatever is kept is exactly a prefix of the file: no holes, no pieces from further on, no note.
    assert.ok(kept.length <= 1, kept.join());
    const have = kept.length ? await readFile(join(tmp.dir, kept[0])) : Buffer.alloc(0);
    assert.ok(have.equals(big.bytes.subarray(0, have.length)), `kept ${have.length} bytes`);
    const spy = spyDownloads(client);
    const r = await downloadToFile(spy.client, { source: { fileId: big.fileId }, localPath: target, tuning });
    assert.deepEqual(spy.ranges[0], have.length > 0 ? { start: have.length } : undefined);
    assert.ok(spy.ranges.length > 1, 'the rest came in parallel');
    assert.equal(r.sha1Verified, true);
    assert.ok((await readFile(target)).equals(big.bytes));
    assert.deepEqual(await temps(), []);
  });

  test('after a process died mid parallel download, its prefix note bounds what the next attempt keeps', async () => {
    const target = join(tmp.dir, 'parallel-killed.bin');
    const temp = tempPathFor(target, big.fileId);
    // Pieces written out of order: the first 1,000,000 bytes complete, garbage (a hole, another piece) beyond.
    await writeFile(temp, Buffer.concat([big.bytes.subarray(0, 1_000_000), Buffer.alloc(1_500_000, 0xee)]));
    await writeFile(prefixNoteFor(temp), '1000000');
    const spy = spyDownloads(client);
    const r = await downloadToFile(spy.client, {
      source: { fileId: big.fileId },
      localPath: target,
      tuning: { downloadParallelCutoff: 10_000, downloadStreams: 2 },
    });
    assert.deepEqual(spy.ranges, [{ start: 1_000_000 }, { start: 2_000_000, end: 2_999_999 }]);
    assert.equal(r.sha1Verified, true);
    assert.ok((await readFile(target)).equals(big.bytes));
    assert.deepEqual(await temps(), []);
  });

  test('an empty file downloads to an empty target', async () => {
    await client.uploadFile({ bucketId: bucket.bucketId, fileName: 'empty', body: Buffer.alloc(0), contentLength: 0 });
    const target = join(tmp.dir, 'empty.out');
    const r = await downloadToFile(client, {
      source: { bucketName: bucket.bucketName, fileName: 'empty' },
      localPath: target,
    });
    assert.equal(r.bytes, 0);
    assert.equal(r.sha1Verified, true);
    assert.equal((await readFile(target)).length, 0);
  });

  test('a missing file is a 404 and leaves nothing behind', async () => {
    const target = join(tmp.dir, 'missing.bin');
    await assert.rejects(
      downloadToFile(client, { source: { bucketName: bucket.bucketName, fileName: 'nope' }, localPath: target }),
      (e: unknown) => (e as { status?: number }).status === 404,
    );
    await assert.rejects(stat(target), /ENOENT/);
    assert.deepEqual(await temps(), []);
  });

  test('downloadRange returns a byte range, the whole file verified, and nothing past the end', async () => {
    const part = await readAll(
      await downloadRange(client, { source: { fileId: small.fileId }, offset: 100, count: 50 }),
    );
    assert.deepEqual(part, small.bytes.subarray(100, 150));
    const tail = await readAll(
      await downloadRange(client, { source: { bucketName: bucket.bucketName, fileName: 'small.bin' }, offset: 49_990 }),
    );
    assert.deepEqual(tail, small.bytes.subarray(49_990));
    const all = await readAll(await downloadRange(client, { source: { fileId: small.fileId } }));
    assert.deepEqual(all, small.bytes);
    assert.equal(
      (await readAll(await downloadRange(client, { source: { fileId: small.fileId }, offset: 60_000 }))).length,
      0,
    );
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt' });
    await assert.rejects(readAll(await downloadRange(client, { source: { fileId: small.fileId } })), IntegrityError);
  });

  test('a parallel download hands out 32 MiB pieces in file order to whichever stream is free, and verifies them', async () => {
    const MiB = 1024 * 1024;
    const bytes = data(66 * MiB);
    const whole = createHash('sha1').update(bytes).digest('hex');
    const up = await client.uploadFile({
      bucketId: bucket.bucketId,
      fileName: 'pieces.bin',
      body: bytes,
      contentLength: bytes.length,
      info: { large_file_sha1: whole },
    });
    const target = join(tmp.dir, 'pieces.bin');
    const spy = spyDownloads(client);
    const r = await downloadToFile(spy.client, {
      source: { fileId: up.fileId! },
      localPath: target,
      tuning: { downloadParallelCutoff: 1000, downloadStreams: 2 },
    });
    assert.deepEqual(spy.ranges, [
      undefined,
      { start: 32 * MiB, end: 64 * MiB - 1 },
      { start: 64 * MiB, end: 66 * MiB - 1 },
    ]);
    assert.equal(r.sha1Verified, true);
    assert.ok((await readFile(target)).equals(bytes));
    assert.deepEqual(await temps(), []);
    assert.deepEqual(await temps(), []);
  });

  test('a resumed download verifies both the kept bytes (read back) and the new ones (hashed as written)', async () => {
    const target = join(tmp.dir, 'resumed-big.bin');
    await writeFile(tempPathFor(target, big.fileId), big.bytes.subarray(0, 1_000_000));
    const r = await downloadToFile(client, { source: { fileId: big.fileId }, localPath: target, tuning: noParallel });
    assert.equal(r.sha1Verified, true);
    assert.ok((await readFile(target)).equals(big.bytes));
    const wrong = Buffer.from(big.bytes.subarray(0, 1_000_000));
    wrong[999_999] ^= 1;
    await writeFile(tempPathFor(target, big.fileId), wrong);
    await assert.rejects(
      downloadToFile(strict, { source: { fileId: big.fileId }, localPath: target, tuning: noParallel }),
      IntegrityError,
    );
    assert.ok((await readFile(target)).equals(big.bytes), 'the earlier download stays in place');
    assert.deepEqual(await temps(), []);
  });
  // The SHA-1 of downloads with bigDownloadCutoff bytes or more to fetch runs on a worker thread.
  const onWorker = { bigDownloadCutoff: 1 };
  // O_DIRECT writes (the opt-in tuning.directIo) and reads back (the worker), where the test folder's file system allows it.
  const onDirect = { bigDownloadCutoff: 1, directIo: true };
  async function directRefused(): Promise<string | undefined> {
    const probe = join(tmp.dir, 'direct-probe');
    const flag = (fsConstants as { O_DIRECT?: number }).O_DIRECT;
    if (flag === undefined) return 'O_DIRECT is not defined on this platform';
    try {
      await (await open(probe, fsConstants.O_CREAT | fsConstants.O_WRONLY | flag)).close();
      return undefined;
    } catch (err) {
      return `the test folder's file system refuses O_DIRECT (${(err as { code?: string }).code})`;
    } finally {
      await rm(probe, { force: true });
    }
  }

  test('SHA-1 on a worker thread: the kept bytes of a resumed download are read back and checked', async () => {
    const target = join(tmp.dir, 'hw-resumed.bin');
    const tuning = { ...noParallel, ...onWorker };
    await writeFile(tempPathFor(target, big.fileId), big.bytes.subarray(0, 1_000_000));
    const r = await downloadToFile(client, { source: { fileId: big.fileId }, localPath: target, tuning });
    assert.equal(r.sha1Verified, true);
    assert.ok((await readFile(target)).equals(big.bytes));
    const wrong = Buffer.from(big.bytes.subarray(0, 1_000_000));
    wrong[500_000] ^= 1;
    await writeFile(tempPathFor(target, big.fileId), wrong);
    await assert.rejects(
      downloadToFile(strict, { source: { fileId: big.fileId }, localPath: target, tuning }),
      IntegrityError,
    );
    assert.ok((await readFile(target)).equals(big.bytes));
    assert.deepEqual(await temps(), []);
  });

  for (const [label, extra, direct] of [
    ['SHA-1 on a worker thread', onWorker, false],
    ['O_DIRECT', onDirect, true],
  ] as const) {
    test(`${label}: single-stream and parallel downloads of an odd-sized file verified, corruption caught in both`, async (t) => {
      const why = direct ? await directRefused() : undefined;
      if (why) return t.skip(why);
      const target = join(tmp.dir, `modes-${direct}.bin`);
      for (const tuning of [
        { ...noParallel, ...extra },
        { downloadParallelCutoff: 10_000, downloadStreams: 3, ...extra },
      ]) {
        const r = await downloadToFile(client, { source: { fileId: big.fileId }, localPath: target, tuning });
        assert.equal(r.directIo, direct);
        assert.equal(r.sha1Verified, true);
        assert.ok((await readFile(target)).equals(big.bytes));
        // the last stream's body corrupted (the only one when single-stream)
        emu.controls.injectFault({
          call: 'b2_download_file_by_id',
          kind: 'corrupt',
          after: 'downloadStreams' in tuning ? 2 : 0,
        });
        await assert.rejects(
          downloadToFile(strict, { source: { fileId: big.fileId }, localPath: target, tuning }),
          IntegrityError,
        );
        emu.controls.clearFaults();
        assert.ok((await readFile(target)).equals(big.bytes), 'the earlier download stays in place');
        assert.deepEqual(await temps(), []);
      }
    });
  }

  test('O_DIRECT only when asked for: not by default, not with directIo: false', async () => {
    const target = join(tmp.dir, 'not-direct.bin');
    const small2 = await downloadToFile(client, { source: { fileId: small.fileId }, localPath: target });
    assert.equal(small2.directIo, false);
    const off = await downloadToFile(client, {
      source: { fileId: big.fileId },
      localPath: target,
      tuning: { ...noParallel, bigDownloadCutoff: 1, directIo: false },
    });
    assert.equal(off.directIo, false);
    assert.ok((await readFile(target)).equals(big.bytes));
  });

  test('O_DIRECT: a resumed download whose kept prefix ends mid-block writes that block through the page cache', async (t) => {
    const why = await directRefused();
    if (why) return t.skip(why);
    const target = join(tmp.dir, 'direct-resumed.bin');
    for (const tuning of [
      { ...noParallel, ...onDirect },
      { downloadParallelCutoff: 10_000, downloadStreams: 2, ...onDirect },
    ]) {
      await writeFile(tempPathFor(target, big.fileId), big.bytes.subarray(0, 1_000_001));
      const spy = spyDownloads(client);
      const r = await downloadToFile(spy.client, { source: { fileId: big.fileId }, localPath: target, tuning });
      assert.deepEqual(spy.ranges[0], { start: 1_000_001 });
      assert.equal(r.directIo, true);
      assert.ok((await readFile(target)).equals(big.bytes));
    }
    const wrong = Buffer.from(big.bytes.subarray(0, 1_000_001));
    wrong[4096 * 100 + 7] ^= 1;
    await writeFile(tempPathFor(target, big.fileId), wrong);
    await assert.rejects(
      downloadToFile(strict, {
        source: { fileId: big.fileId },
        localPath: target,
        tuning: { ...noParallel, ...onDirect },
      }),
      IntegrityError,
    );
    assert.deepEqual(await temps(), []);
  });

  test('O_DIRECT: a body dropped mid-download continues from the last whole block written', async (t) => {
    const why = await directRefused();
    if (why) return t.skip(why);
    const target = join(tmp.dir, 'direct-dropped.bin');
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'drop' });
    const spy = spyDownloads(client);
    const r = await downloadToFile(spy.client, {
      source: { fileId: big.fileId },
      localPath: target,
      tuning: { ...noParallel, ...onDirect },
    });
    assert.equal(spy.ranges.length, 2);
    const again = spy.ranges[1];
    assert.ok(
      again !== undefined && again.start > 0 && again.start % 4096 === 0 && again.end === 2_999_999,
      JSON.stringify(spy.ranges),
    );
    assert.equal(r.directIo, true);
    assert.ok((await readFile(target)).equals(big.bytes));
  });

  for (const [label, extra, direct] of [
    ['SHA-1 on a worker thread', onWorker, false],
    ['O_DIRECT', onDirect, true],
  ] as const) {
    test(`${label}: a stopped parallel download keeps its prefix and the next attempt finishes it`, async (t) => {
      const why = direct ? await directRefused() : undefined;
      if (why) return t.skip(why);
      const target = join(tmp.dir, `stopped-${direct}.bin`);
      const tuning = { downloadParallelCutoff: 10_000, downloadStreams: 3, ...extra };
      const ac = new AbortController();
      await assert.rejects(
        downloadToFile(client, {
          source: { fileId: big.fileId },
          localPath: target,
          tuning,
          signal: ac.signal,
          onProgress: (p) => {
            if (p.bytes >= 1_500_000) ac.abort();
          },
        }),
        (e: unknown) => (e as Error).name === 'AbortError',
      );
      const kept = await temps();
      const have = kept.length ? await readFile(join(tmp.dir, kept[0])) : Buffer.alloc(0);
      assert.ok(have.equals(big.bytes.subarray(0, have.length)), `kept ${have.length} bytes`);
      const r = await downloadToFile(client, { source: { fileId: big.fileId }, localPath: target, tuning });
      assert.equal(r.sha1Verified, true);
      assert.equal(r.directIo, direct);
      assert.ok((await readFile(target)).equals(big.bytes));
      assert.deepEqual(await temps(), []);
    });
  }

  test('O_DIRECT refused by the file system (tmpfs before Linux 6.6): the download goes through the page cache', async (t) => {
    let shm: string;
    try {
      shm = await mkdtemp('/dev/shm/b2sync-test-');
    } catch {
      return t.skip('no /dev/shm (tmpfs) here');
    }
    try {
      const flag = (fsConstants as { O_DIRECT?: number }).O_DIRECT ?? 0;
      const accepts = await open(join(shm, 'probe'), fsConstants.O_CREAT | fsConstants.O_WRONLY | flag).then(
        async (h) => (await h.close(), true),
        () => false,
      );
      if (accepts)
        return t.skip('tmpfs accepts O_DIRECT on this kernel (Linux 6.6 and later): no file system here refuses it');
      const target = join(shm, 'f.bin');
      const r = await downloadToFile(client, {
        source: { fileId: big.fileId },
        localPath: target,
        tuning: { downloadParallelCutoff: 10_000, downloadStreams: 3, ...onDirect },
      });
      assert.equal(r.directIo, false);
      assert.equal(r.sha1Verified, true);
      assert.ok((await readFile(target)).equals(big.bytes));
    } finally {
      await rm(shm, { recursive: true, force: true });
    }
  });
});

/** Run `fn` with a new empty file (opened w+) in a temp folder, then close and remove both. */
async function withTempFile(name: string, fn: (fh: FileHandle) => Promise<void>): Promise<void> {
  const tmp = await tempDir();
  try {
    const fh = await open(join(tmp.dir, name), 'w+');
    try {
      await fn(fh);
    } finally {
      await fh.close();
    }
  } finally {
    await tmp.cleanup();
  }
}

const hashers: [string, (fh: FileHandle, total: number) => PrefixHasher | WorkerHasher][] = [
  ['PrefixHasher', (fh, total) => new PrefixHasher(fh, total)],
  // A 1 MiB ring: the 1000-byte piece goes through it, the bigger ones are read back.
  ['WorkerHasher', (fh, total) => new WorkerHasher(fh, total, 1024 * 1024)],
];

for (const [name, makeHasher] of hashers)
  describe(name, () => {
    test('hashes in file order whatever order the bytes are written in: in-order batches from memory, the rest read back', () =>
      withTempFile('f', async (fh) => {
        const bytes = data(5 * 1024 * 1024 + 7);
        const h = makeHasher(fh, bytes.length);
        const cuts = [0, 1000, 3 * 1024 * 1024, 3 * 1024 * 1024 + 5, 4 * 1024 * 1024, bytes.length];
        // write pieces 0, 2, 4, then 1, 3: the file is complete from 0 only at the end
        for (const i of [0, 2, 4, 1, 3]) {
          const piece = bytes.subarray(cuts[i], cuts[i + 1]);
          await fh.write(piece, 0, piece.length, cuts[i]);
          h.written(cuts[i], [piece], piece.length);
          const done = [0, 2, 4, 1, 3].slice(0, [0, 2, 4, 1, 3].indexOf(i) + 1);
          let upto = 0;
          while (done.includes(cuts.indexOf(upto)) && upto < bytes.length) upto = cuts[cuts.indexOf(upto) + 1];
          h.advance(upto);
        }
        assert.equal(await h.digest(), createHash('sha1').update(bytes).digest('hex'));
      }));

    test('a file shorter than reported is an error, not a digest', () =>
      withTempFile('short', async (fh) => {
        await fh.write(Buffer.alloc(10), 0, 10, 0);
        const h = makeHasher(fh, 20);
        await assert.rejects(h.digest(), /shorter than reported/);
      }));
  });

describe('WorkerHasher ring', () => {
  test("in-order batches that wrap around the ring, and ones bigger than it, hash to the file's SHA-1", () =>
    withTempFile('ring', async (fh) => {
      const bytes = data(200_000);
      const h = new WorkerHasher(fh, bytes.length, 4096);
      let pos = 0;
      let k = 0;
      while (pos < bytes.length) {
        // 1..3000-byte batches (they wrap around the 4 KiB ring), every 17th one 5000 bytes (read back)
        const n = Math.min(bytes.length - pos, ++k % 17 === 0 ? 5000 : 1 + ((k * 977) % 3000));
        const parts = [bytes.subarray(pos, pos + (n >> 1)), bytes.subarray(pos + (n >> 1), pos + n)];
        await fh.write(bytes, pos, n, pos);
        h.written(pos, parts, n);
        pos += n;
        h.advance(pos);
      }
      assert.equal(await h.digest(), createHash('sha1').update(bytes).digest('hex'));
    }));

  test('a stopped hasher settles (its worker is gone) and a ring size that is not a power of two is refused', () =>
    withTempFile('stop', async (fh) => {
      const h = new WorkerHasher(fh, 10);
      h.stop();
      await h.settled();
      assert.throws(() => new WorkerHasher(fh, 10, 3000), /power of two/);
    }));
});
