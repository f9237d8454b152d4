import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { open, stat, utimes } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { B2Client } from '../../src/client/b2-client.js';
import { LimitError } from '../../src/core/errors.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import { uploadLocalFile, type Progress } from '../../src/transfer/index.js';
import { calls, collect, makeBucket, makeClient, readAll, startTestEmulator, tempDir, writeData } from './fixture.js';

const tuning = { largeFileCutoff: 8000, partSize: 2000, partConcurrency: 3 };

describe('uploadLocalFile', () => {
  let emu: RunningEmulator;
  let client: B2Client;
  let bucket: { bucketId: string; bucketName: string };
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    emu = await startTestEmulator();
    client = makeClient(emu);
    bucket = await makeBucket(client, 'up');
    tmp = await tempDir();
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

  async function noUnfinished(): Promise<void> {
    assert.deepEqual(
      (await collect(client.listUnfinishedLargeFiles(bucket.bucketId))).map((f) => f.fileName),
      [],
    );
  }

  async function downloaded(fileName: string): Promise<Buffer> {
    return readAll((await client.downloadByName(bucket.bucketName, fileName)).body);
  }

  test('a small file goes up in one b2_upload_file with its SHA-1, mtime, type and custom info', async () => {
    const path = join(tmp.dir, 'small.txt');
    const bytes = await writeData(path, 5000);
    await utimes(path, new Date(), new Date(1_600_000_000_123));
    const seen: Progress[] = [];
    const fv = await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'dir/small.txt',
      localPath: path,
      info: { color: 'blue' },
      tuning,
      onProgress: (p) => seen.push(p),
    });
    assert.equal(calls(emu, 'b2_upload_file'), 1);
    assert.equal(calls(emu, 'b2_start_large_file'), 0);
    assert.equal(fv.contentLength, 5000);
    assert.equal(fv.fileInfo.src_last_modified_millis, '1600000000123');
    assert.equal(fv.fileInfo.color, 'blue');
    assert.equal(fv.contentType, 'text/plain');
    assert.deepEqual(await downloaded('dir/small.txt'), bytes);
    assert.equal(seen.at(-1)?.bytes, 5000);
    assert.equal(seen.at(-1)?.totalBytes, 5000);
  });

  test('a known whole-file SHA-1 becomes large_file_sha1 only while the file keeps the size and mtime it was computed for', async () => {
    const path = join(tmp.dir, 'known-sha1.bin');
    const bytes = await writeData(path, 9000);
    await utimes(path, new Date(), new Date(1_600_000_000_000));
    const sha1 = createHash('sha1').update(bytes).digest('hex');
    const same = await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'known-sha1.bin',
      localPath: path,
      tuning,
      knownSha1: { sha1, size: 9000, mtimeMs: 1_600_000_000_000 },
    });
    assert.equal(calls(emu, 'b2_start_large_file'), 1);
    assert.equal(same.fileInfo.large_file_sha1, sha1);
    // The file was touched since the SHA-1 was computed: it is not trusted.
    const stale = await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'known-sha1.bin',
      localPath: path,
      tuning,
      knownSha1: { sha1, size: 9000, mtimeMs: 1_500_000_000_000 },
    });
    assert.equal(stale.fileInfo.large_file_sha1, undefined);
  });

  test('an explicit content type is kept', async () => {
    const path = join(tmp.dir, 'typed.bin');
    await writeData(path, 100);
    const fv = await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'typed.bin',
      localPath: path,
      contentType: 'application/x-test',
      tuning,
    });
    assert.equal(fv.contentType, 'application/x-test');
  });

  test('an empty file uploads', async () => {
    const path = join(tmp.dir, 'empty');
    await writeData(path, 0);
    const fv = await uploadLocalFile(client, { bucketId: bucket.bucketId, fileName: 'empty', localPath: path, tuning });
    assert.equal(fv.contentLength, 0);
  });

  test('a large file goes up in parallel parts, finished in order, and round-trips', async () => {
    const path = join(tmp.dir, 'large.bin');
    const bytes = await writeData(path, 20_500);
    const seen: Progress[] = [];
    const fv = await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'large.bin',
      localPath: path,
      tuning,
      onProgress: (p) => seen.push(p),
    });
    assert.equal(calls(emu, 'b2_start_large_file'), 1);
    assert.equal(calls(emu, 'b2_upload_part'), 11);
    assert.equal(calls(emu, 'b2_finish_large_file'), 1);
    assert.equal(fv.contentLength, 20_500);
    assert.equal(fv.fileInfo.b2sync_src_size, '20500');
    assert.ok(fv.fileInfo.src_last_modified_millis);
    assert.deepEqual(await downloaded('large.bin'), bytes);
    const last = seen.at(-1)!;
    assert.deepEqual([last.bytes, last.totalBytes, last.partsDone, last.partsTotal], [20_500, 20_500, 11, 11]);
    assert.ok(seen.every((p) => p.bytes <= 20_500));
  });

  test('large_file_sha1 passed in info is sent with start_large_file', async () => {
    const path = join(tmp.dir, 'withsha.bin');
    const bytes = await writeData(path, 9000);
    const { createHash } = await import('node:crypto');
    const whole = createHash('sha1').update(bytes).digest('hex');
    const fv = await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'withsha.bin',
      localPath: path,
      info: { large_file_sha1: whole },
      tuning,
    });
    assert.equal(fv.fileInfo.large_file_sha1, whole);
  });

  test('a file over 10 TB is refused with a LimitError before any call', async (t) => {
    const path = join(tmp.dir, 'huge.sparse');
    const fh = await open(path, 'w');
    try {
      await fh.truncate(10_000_000_000_001);
    } catch (err) {
      t.skip(`cannot create a sparse 10 TB file here: ${(err as Error).message}`);
      return;
    } finally {
      await fh.close();
    }
    const fresh = makeClient(emu);
    try {
      await assert.rejects(
        uploadLocalFile(fresh, { bucketId: bucket.bucketId, fileName: 'huge', localPath: path }),
        (e: unknown) => e instanceof LimitError && /10 TB/.test(e.message),
      );
      const c = emu.controls.counters().calls;
      assert.equal(
        Object.values(c).reduce((a, b) => a + b, 0),
        0,
        `calls made: ${JSON.stringify(c)}`,
      );
    } finally {
      await fresh.close();
    }
  });

  test('503 and 429 (Retry-After) on b2_upload_file are retried', async () => {
    const path = join(tmp.dir, 'retry-small');
    const bytes = await writeData(path, 3000);
    emu.controls.injectFault({ call: 'b2_upload_file', status: 503, code: 'service_unavailable' });
    emu.controls.injectFault({ call: 'b2_upload_file', status: 429, code: 'too_many_requests', retryAfter: 0 });
    await uploadLocalFile(client, { bucketId: bucket.bucketId, fileName: 'retry-small', localPath: path, tuning });
    assert.equal(calls(emu, 'b2_upload_file'), 3);
    assert.deepEqual(await downloaded('retry-small'), bytes);
  });

  test('503 and 429 (Retry-After) on b2_upload_part are retried', async () => {
    const path = join(tmp.dir, 'retry-large');
    const bytes = await writeData(path, 10_000);
    emu.controls.injectFault({ call: 'b2_upload_part', status: 503, code: 'service_unavailable', after: 1 });
    emu.controls.injectFault({
      call: 'b2_upload_part',
      status: 429,
      code: 'too_many_requests',
      retryAfter: 0,
      after: 2,
    });
    await uploadLocalFile(client, { bucketId: bucket.bucketId, fileName: 'retry-large', localPath: path, tuning });
    assert.equal(calls(emu, 'b2_upload_part'), 7);
    assert.deepEqual(await downloaded('retry-large'), bytes);
    await noUnfinished();
  });

  test('a connection dropped mid-part is retried from the file range', async () => {
    const path = join(tmp.dir, 'drop');
    const bytes = await writeData(path, 10_000);
    emu.controls.injectFault({ call: 'b2_upload_part', kind: 'drop', after: 2 });
    await uploadLocalFile(client, { bucketId: bucket.bucketId, fileName: 'drop', localPath: path, tuning });
    assert.equal(calls(emu, 'b2_upload_part'), 6);
    assert.deepEqual(await downloaded('drop'), bytes);
  });

  test('tokens expiring mid-large-upload are renewed and the upload completes', async () => {
    const path = join(tmp.dir, 'expire');
    const bytes = await writeData(path, 16_000);
    let expired = false;
    await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'expire',
      localPath: path,
      tuning: { ...tuning, partConcurrency: 1 },
      onProgress: (p) => {
        if (!expired && (p.partsDone ?? 0) >= 3) {
          expired = true;
          emu.controls.expireAllTokens();
        }
      },
    });
    assert.ok(expired);
    assert.ok(calls(emu, 'b2_get_upload_part_url') >= 2, 'a fresh part URL was taken');
    assert.deepEqual(await downloaded('expire'), bytes);
    await noUnfinished();
  });

  test('a part that fails for good cancels the large file (nothing unfinished left)', async () => {
    const path = join(tmp.dir, 'fatal');
    await writeData(path, 10_000);
    emu.controls.injectFault({
      call: 'b2_upload_part',
      status: 400,
      code: 'bad_request',
      message: 'injected',
      after: 2,
      count: 100,
    });
    await assert.rejects(
      uploadLocalFile(client, { bucketId: bucket.bucketId, fileName: 'fatal', localPath: path, tuning }),
      /injected/,
    );
    assert.equal(calls(emu, 'b2_cancel_large_file'), 1);
    await noUnfinished();
  });

  test('retries exhausted on parts cancel the large file too', async () => {
    const path = join(tmp.dir, 'exhaust');
    await writeData(path, 10_000);
    const c2 = makeClient(emu, { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 } });
    emu.controls.injectFault({ call: 'b2_upload_part', status: 503, code: 'service_unavailable', count: 1000 });
    try {
      await assert.rejects(
        uploadLocalFile(c2, { bucketId: bucket.bucketId, fileName: 'exhaust', localPath: path, tuning }),
      );
    } finally {
      emu.controls.clearFaults();
      await c2.close();
    }
    await noUnfinished();
  });

  test('an aborted large upload is resumed: only the missing parts are sent', async () => {
    const path = join(tmp.dir, 'resume');
    const bytes = await writeData(path, 20_000); // 10 parts of 2000
    const ac = new AbortController();
    await assert.rejects(
      uploadLocalFile(client, {
        bucketId: bucket.bucketId,
        fileName: 'resume',
        localPath: path,
        tuning: { ...tuning, partConcurrency: 1 },
        signal: ac.signal,
        onProgress: (p) => {
          if ((p.partsDone ?? 0) >= 4) ac.abort();
        },
      }),
      (e: unknown) => (e as Error).name === 'AbortError',
    );
    const unfinished = await collect(client.listUnfinishedLargeFiles(bucket.bucketId, { namePrefix: 'resume' }));
    assert.equal(unfinished.length, 1, 'the interrupted large file is kept for resuming');
    const kept = await collect(client.listParts(unfinished[0].fileId!));
    assert.ok(kept.length >= 4 && kept.length < 10, `kept ${kept.length} parts`);

    emu.controls.resetCounters();
    const fv = await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'resume',
      localPath: path,
      tuning,
    });
    assert.equal(fv.fileId, unfinished[0].fileId, 'the same large file was finished');
    assert.equal(calls(emu, 'b2_start_large_file'), 0);
    assert.equal(calls(emu, 'b2_upload_part'), 10 - kept.length);
    assert.deepEqual(await downloaded('resume'), bytes);
    await noUnfinished();
  });

  test('a large upload killed (SIGKILL) mid-way is resumed by the next run, sending only the missing parts', async () => {
    const path = join(tmp.dir, 'killed');
    const bytes = await writeData(path, 20_000); // 10 parts
    emu.controls.setLatency(30);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        new URL('./upload-child.ts', import.meta.url).pathname,
        JSON.stringify({
          url: emu.url,
          keyId: emu.keyId,
          applicationKey: emu.applicationKey,
          bucketId: bucket.bucketId,
          fileName: 'killed',
          localPath: path,
          tuning: { ...tuning, partConcurrency: 1 },
        }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      for await (const line of createInterface({ input: child.stdout! })) {
        assert.notEqual(line, 'done', 'the child finished before it could be killed');
        if (Number(line) >= 3) break;
      }
      child.kill('SIGKILL');
      await once(child, 'exit');
    } finally {
      emu.controls.setLatency(0);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const [u] = await collect(client.listUnfinishedLargeFiles(bucket.bucketId, { namePrefix: 'killed' }));
    assert.ok(u, 'the killed upload left its large file unfinished');
    const kept = (await collect(client.listParts(u.fileId!))).length;
    assert.ok(kept >= 3 && kept < 10, `kept ${kept} parts`);
    emu.controls.resetCounters();
    const fv = await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'killed',
      localPath: path,
      tuning,
    });
    assert.equal(fv.fileId, u.fileId);
    assert.equal(calls(emu, 'b2_upload_part'), 10 - kept);
    assert.deepEqual(await downloaded('killed'), bytes);
    await noUnfinished();
  });

  test('an abort stops a large upload promptly', async () => {
    const path = join(tmp.dir, 'prompt');
    await writeData(path, 20_000);
    emu.controls.setLatency(200);
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 150);
    try {
      await assert.rejects(
        uploadLocalFile(client, {
          bucketId: bucket.bucketId,
          fileName: 'prompt',
          localPath: path,
          resume: false,
          tuning: { ...tuning, partConcurrency: 1 },
          signal: ac.signal,
        }),
        (e: unknown) => (e as Error).name === 'AbortError',
      );
    } finally {
      emu.controls.setLatency(0);
    }
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 1500, `took ${elapsed} ms after a 150 ms abort (a full run takes over 2.4 s)`);
    await noUnfinished();
  });

  test('a part whose bytes changed since the interrupted attempt is uploaded again', async () => {
    const path = join(tmp.dir, 'resume2');
    const bytes = await writeData(path, 12_000); // 6 parts
    const ac = new AbortController();
    await assert.rejects(
      uploadLocalFile(client, {
        bucketId: bucket.bucketId,
        fileName: 'resume2',
        localPath: path,
        tuning: { ...tuning, partConcurrency: 1 },
        signal: ac.signal,
        onProgress: (p) => {
          if ((p.partsDone ?? 0) >= 3) ac.abort();
        },
      }),
    );
    const st = await stat(path);
    // Same size and mtime, different bytes in part 1: the SHA-1 comparison must catch it.
    const fh = await open(path, 'r+');
    await fh.write(Buffer.from('XXXX'), 0, 4, 10);
    await fh.close();
    await utimes(path, st.atime, st.mtime);
    bytes.write('XXXX', 10);
    const [u] = await collect(client.listUnfinishedLargeFiles(bucket.bucketId, { namePrefix: 'resume2' }));
    const kept = (await collect(client.listParts(u.fileId!))).length;
    emu.controls.resetCounters();
    await uploadLocalFile(client, { bucketId: bucket.bucketId, fileName: 'resume2', localPath: path, tuning });
    assert.equal(calls(emu, 'b2_upload_part'), 6 - kept + 1);
    assert.deepEqual(await downloaded('resume2'), bytes);
  });

  test('a resumed upload keeps the part size of the interrupted attempt even when tuning changed', async () => {
    const path = join(tmp.dir, 'recut');
    const bytes = await writeData(path, 12_000); // 6 parts of 2000
    const ac = new AbortController();
    await assert.rejects(
      uploadLocalFile(client, {
        bucketId: bucket.bucketId,
        fileName: 'recut',
        localPath: path,
        tuning: { ...tuning, partConcurrency: 1 },
        signal: ac.signal,
        onProgress: (p) => {
          if ((p.partsDone ?? 0) >= 3) ac.abort();
        },
      }),
    );
    const [u] = await collect(client.listUnfinishedLargeFiles(bucket.bucketId, { namePrefix: 'recut' }));
    const kept = (await collect(client.listParts(u.fileId!))).length;
    emu.controls.resetCounters();
    const fv = await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'recut',
      localPath: path,
      tuning: { ...tuning, partSize: 5000 },
    });
    assert.equal(fv.fileId, u.fileId);
    assert.equal(calls(emu, 'b2_upload_part'), 6 - kept);
    assert.deepEqual(await downloaded('recut'), bytes);
  });

  test('with resume off, an abort cancels the large file', async () => {
    const path = join(tmp.dir, 'noresume');
    await writeData(path, 12_000);
    const ac = new AbortController();
    await assert.rejects(
      uploadLocalFile(client, {
        bucketId: bucket.bucketId,
        fileName: 'noresume',
        localPath: path,
        resume: false,
        tuning: { ...tuning, partConcurrency: 1 },
        signal: ac.signal,
        onProgress: (p) => {
          if ((p.partsDone ?? 0) >= 2) ac.abort();
        },
      }),
    );
    await noUnfinished();
  });

  test('with a known size and mtime, a small file is read once and sent with the SHA-1 of those bytes', async () => {
    const path = join(tmp.dir, 'known.txt');
    const bytes = await writeData(path, 3000);
    const fv = await uploadLocalFile(client, {
      bucketId: bucket.bucketId,
      fileName: 'known.txt',
      localPath: path,
      tuning,
      knownSize: 3000,
      knownMtimeMs: 1_600_000_000_456,
    });
    assert.equal(calls(emu, 'b2_upload_file'), 1);
    assert.equal(fv.contentLength, 3000);
    assert.equal(fv.contentSha1, createHash('sha1').update(bytes).digest('hex'));
    assert.equal(fv.fileInfo.src_last_modified_millis, '1600000000456');
    assert.deepEqual(await downloaded('known.txt'), bytes);
  });

  test('with a known size, a file that changed size since is read again from a fresh stat and sent whole', async () => {
    // e.g. listed at 0 bytes between a rewrite's truncate and its write: a retry, not an error
    const path = join(tmp.dir, 'changed.txt');
    const bytes = await writeData(path, 3000);
    const before = calls(emu, 'b2_upload_file');
    for (const knownSize of [0, 2999, 3001]) {
      const fv = await uploadLocalFile(client, {
        bucketId: bucket.bucketId,
        fileName: 'changed.txt',
        localPath: path,
        tuning,
        knownSize,
        knownMtimeMs: 1,
      });
      assert.equal(fv.contentLength, 3000);
      assert.equal(fv.contentSha1, createHash('sha1').update(bytes).digest('hex'));
      assert.notEqual(fv.fileInfo.src_last_modified_millis, '1'); // the stale listing's mtime is not sent
    }
    assert.equal(calls(emu, 'b2_upload_file') - before, 3); // nothing sent with the stale size
    assert.deepEqual(await downloaded('changed.txt'), bytes);
  });
});
