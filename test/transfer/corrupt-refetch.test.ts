/**
 * A download whose bytes do not match B2's SHA-1 is fetched again (B2's checklist: a SHA-1 mismatch is
 * a retryable failure), within the client's retry budget: a small file over one stream, a large file
 * over parallel ranges checked against large_file_sha1 at the end (fetched again whole), and a kept
 * temp file whose bytes turn out wrong. Nothing wrong ever lands under the final name.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { B2Client } from '../../src/client/b2-client.js';
import { IntegrityError } from '../../src/core/errors.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import { downloadToFile, tempPathFor, TEMP_SUFFIX, uploadLocalFile } from '../../src/transfer/index.js';
import {
  calls,
  data,
  makeBucket,
  makeClient,
  sha1,
  spyDownloads,
  startTestEmulator,
  tempDir,
  writeData,
} from './fixture.js';

describe('a corrupted download body is fetched again', () => {
  let emu: RunningEmulator;
  let client: B2Client;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let bucketName: string;
  let small: { fileId: string; bytes: Buffer };
  let large: { fileId: string; bytes: Buffer };
  const single = { downloadParallelCutoff: 1e12 };
  const parallel = { downloadParallelCutoff: 1000, downloadStreams: 3 };

  before(async () => {
    emu = await startTestEmulator();
    client = makeClient(emu);
    const bucket = await makeBucket(client, 'refetch');
    bucketName = bucket.bucketName;
    tmp = await tempDir();
    const bytes = data(40_000);
    const fv = await client.uploadFile({
      bucketId: bucket.bucketId,
      fileName: 'small.bin',
      body: bytes,
      contentLength: bytes.length,
    });
    small = { fileId: fv.fileId!, bytes };
    // A real large file (5 parts), its whole SHA-1 in large_file_sha1: B2 has no content SHA-1 for it.
    const src = join(tmp.dir, 'large-src');
    const lb = await writeData(src, 24_000);
    const lf = await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'large.bin',
      localPath: src,
      info: { large_file_sha1: sha1(lb) },
      tuning: { largeFileCutoff: 10_000, partSize: 5000 },
    });
    assert.equal(lf.contentSha1, 'none');
    large = { fileId: lf.fileId!, bytes: lb };
  });
  after(async () => {
    await client?.close();
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

  test('get of a small file: one corrupted body, fetched again, the right bytes land', async () => {
    const target = join(tmp.dir, 'small.out');
    await writeFile(target, 'old contents');
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt' });
    const r = await downloadToFile(client, { source: { fileId: small.fileId }, localPath: target, tuning: single });
    assert.equal(r.sha1Verified, true);
    assert.deepEqual(await readFile(target), small.bytes);
    assert.equal(calls(emu, 'b2_download_file_by_id'), 2, 'fetched once more after the mismatch');
    assert.deepEqual(await temps(), []);
  });

  test('by name too: the second fetch asks for the same file again', async () => {
    const target = join(tmp.dir, 'by-name.out');
    emu.controls.injectFault({ call: 'b2_download_file_by_name', kind: 'corrupt' });
    const spy = spyDownloads(client);
    const r = await downloadToFile(spy.client, {
      source: { bucketName, fileName: 'small.bin' },
      localPath: target,
      tuning: single,
    });
    assert.equal(r.fileVersion.fileId, small.fileId);
    assert.deepEqual(await readFile(target), small.bytes);
    assert.equal(spy.ranges.length, 2);
    assert.deepEqual(await temps(), []);
  });

  test('corruption that keeps happening fails after --retries more fetches; the old target stays', async () => {
    const target = join(tmp.dir, 'always.out');
    await writeFile(target, 'old contents');
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt', count: 100 });
    await assert.rejects(
      downloadToFile(client, { source: { fileId: small.fileId }, localPath: target, tuning: single }),
      IntegrityError,
    );
    assert.equal(calls(emu, 'b2_download_file_by_id'), 1 + client.retryPolicy.retries);
    assert.equal(await readFile(target, 'utf8'), 'old contents');
    assert.deepEqual(await temps(), []);
  });

  test('--retries 0: a mismatch fails at once', async () => {
    const strict = makeClient(emu, { retry: { retries: 0, baseDelayMs: 5 } });
    try {
      const target = join(tmp.dir, 'strict.out');
      emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt' });
      await assert.rejects(
        downloadToFile(strict, { source: { fileId: small.fileId }, localPath: target, tuning: single }),
        IntegrityError,
      );
      assert.equal(calls(emu, 'b2_download_file_by_id'), 1);
      await assert.rejects(stat(target), /ENOENT/);
      assert.deepEqual(await temps(), []);
    } finally {
      await strict.close();
    }
  });

  test('a large file over parallel ranges: one range corrupted, large_file_sha1 fails, the whole file is fetched again', async () => {
    const target = join(tmp.dir, 'large.out');
    // the third range of the first attempt is corrupted
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt', after: 2 });
    const spy = spyDownloads(client);
    const r = await downloadToFile(spy.client, {
      source: { fileId: large.fileId },
      localPath: target,
      tuning: parallel,
    });
    assert.equal(r.sha1Verified, true);
    assert.ok((await readFile(target)).equals(large.bytes));
    // two whole attempts of three ranges each: the second starts again at byte 0
    assert.equal(spy.ranges.length, 6, JSON.stringify(spy.ranges));
    assert.equal(spy.ranges[3], undefined, 'the second attempt starts with the whole-file body');
    assert.deepEqual(await temps(), []);
    assert.deepEqual(
      (await readdir(tmp.dir)).filter((n) => n.includes('.prefix')),
      [],
      'no prefix note left behind',
    );
  });

  test('a large file whose corruption keeps happening fails; nothing lands under the final name', async () => {
    const target = join(tmp.dir, 'large-always.out');
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt', count: 1000 });
    await assert.rejects(
      downloadToFile(client, { source: { fileId: large.fileId }, localPath: target, tuning: parallel }),
      IntegrityError,
    );
    await assert.rejects(stat(target), /ENOENT/);
    assert.deepEqual(await temps(), []);
  });

  test('a kept temp file whose bytes are wrong is dropped and the file fetched again from byte 0', async () => {
    const target = join(tmp.dir, 'kept.out');
    const wrong = Buffer.from(small.bytes.subarray(0, 10_000));
    wrong[5000] ^= 1;
    await writeFile(tempPathFor(target, small.fileId), wrong);
    const spy = spyDownloads(client);
    const r = await downloadToFile(spy.client, { source: { fileId: small.fileId }, localPath: target, tuning: single });
    assert.equal(r.sha1Verified, true);
    assert.deepEqual(await readFile(target), small.bytes);
    assert.deepEqual(spy.ranges, [{ start: 10_000 }, undefined], 'resumed, then fetched again whole');
    assert.deepEqual(await temps(), []);
  });
});
