import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { B2Error, LimitError, UsageError, isAbortError } from '../../src/core/errors.js';
import { sha1Hex } from '../../src/core/sha1.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import type { B2Client } from '../../src/client/b2-client.js';
import { bucketName, calls, collect, makeClient, startTestEmulator } from './fixture.js';

let emu: RunningEmulator;
let c: B2Client;
let bucketId: string;
let dir: string;

before(async () => {
  emu = await startTestEmulator();
  c = makeClient(emu);
  bucketId = (await c.createBucket({ bucketName: bucketName('up'), bucketType: 'allPrivate' })).bucketId;
  dir = await mkdtemp(join(tmpdir(), 'b2sync-up-'));
});
after(async () => {
  await c?.close();
  await emu?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function data(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

test('upload a buffer: SHA-1 verified, info and content type stored, progress reported', async () => {
  const body = data(5000);
  const progress: number[] = [];
  const f = await c.uploadFile({
    bucketId,
    fileName: 'docs/readme.txt',
    body,
    contentLength: body.length,
    info: { src_last_modified_millis: '1700000000000', author: 'Jürgen Ø' },
    onProgress: (n) => progress.push(n),
  });
  assert.equal(f.action, 'upload');
  assert.equal(f.contentSha1, sha1Hex(body));
  assert.equal(f.contentLength, 5000);
  assert.equal(f.contentType, 'text/plain');
  assert.deepEqual(f.fileInfo, { src_last_modified_millis: '1700000000000', author: 'Jürgen Ø' });
  assert.equal(progress.at(-1), 5000);
});

test('upload from a reopened file range with the SHA-1 computed inline (hex_digits_at_end)', async () => {
  const body = data(20_000, 3);
  const path = join(dir, 'range.bin');
  await writeFile(path, body);
  const f = await c.uploadFile({
    bucketId,
    fileName: 'range.bin',
    body: () => createReadStream(path, { start: 1000, end: 10_999 }),
    contentLength: 10_000,
  });
  assert.equal(f.contentSha1, sha1Hex(body.subarray(1000, 11_000)));
  assert.equal(f.contentLength, 10_000);
});

test('serial uploads reuse one upload URL', async () => {
  await c.uploadFile({ bucketId, fileName: 'warm', body: data(10), contentLength: 10 });
  emu.controls.resetCounters();
  for (let i = 0; i < 5; i++)
    await c.uploadFile({ bucketId, fileName: `serial-${i}`, body: data(10, i), contentLength: 10 });
  assert.equal(calls(emu, 'b2_get_upload_url'), 0);
  assert.equal(calls(emu, 'b2_upload_file'), 5);
});

test('an upload failing with 503 discards its URL and retries with a fresh one', async () => {
  await c.uploadFile({ bucketId, fileName: 'warm', body: data(10), contentLength: 10 });
  emu.controls.resetCounters();
  emu.controls.injectFault({ call: 'b2_upload_file', status: 503, code: 'service_unavailable', count: 2 });
  const body = data(3000, 9);
  const f = await c.uploadFile({ bucketId, fileName: 'after-503', body, contentLength: body.length });
  assert.equal(f.contentSha1, sha1Hex(body));
  assert.equal(calls(emu, 'b2_upload_file'), 3);
  assert.equal(calls(emu, 'b2_get_upload_url'), 2, 'each failed URL replaced (the first attempt used the pooled URL)');
});

test('a connection dropped mid-upload is retried with a fresh URL and the body re-read', async () => {
  const body = data(200_000, 5);
  const path = join(dir, 'drop.bin');
  await writeFile(path, body);
  emu.controls.resetCounters();
  emu.controls.injectFault({ call: 'b2_upload_file', kind: 'drop' });
  const f = await c.uploadFile({
    bucketId,
    fileName: 'dropped',
    body: () => createReadStream(path),
    contentLength: body.length,
  });
  assert.equal(f.contentSha1, sha1Hex(body));
  assert.equal(calls(emu, 'b2_upload_file'), 2);
  const info = await c.getFileInfo(f.fileId!);
  assert.equal(info.contentLength, body.length);
});

test('429 with Retry-After on an upload is honoured', async () => {
  emu.controls.injectFault({ call: 'b2_upload_file', status: 429, code: 'too_many_requests', retryAfter: 1 });
  const t0 = Date.now();
  await c.uploadFile({ bucketId, fileName: 'after-429', body: data(10), contentLength: 10 });
  assert.ok(Date.now() - t0 >= 950);
});

test('expired upload and account tokens: the upload gets a new URL after one re-authorize', async () => {
  await c.uploadFile({ bucketId, fileName: 'warm', body: data(10), contentLength: 10 });
  emu.controls.resetCounters();
  emu.controls.expireAllTokens();
  await c.uploadFile({ bucketId, fileName: 'after-expiry', body: data(10), contentLength: 10 });
  assert.equal(calls(emu, 'b2_authorize_account'), 1);
});

test('400 bad_request on an upload is not retried', async () => {
  emu.controls.resetCounters();
  emu.controls.injectFault({ call: 'b2_upload_file', status: 400, code: 'bad_request', count: 3 });
  await assert.rejects(
    c.uploadFile({ bucketId, fileName: 'bad', body: data(10), contentLength: 10 }),
    (e) => e instanceof B2Error && e.status === 400,
  );
  assert.equal(calls(emu, 'b2_upload_file'), 1);
  emu.controls.clearFaults();
});

test('a body source that cannot be read fails at once without retries', async () => {
  emu.controls.resetCounters();
  const missing = join(dir, 'does-not-exist.bin');
  await assert.rejects(
    c.uploadFile({ bucketId, fileName: 'missing', body: () => createReadStream(missing), contentLength: 10 }),
    (e) => (e as NodeJS.ErrnoException).code === 'ENOENT',
  );
  assert.ok(calls(emu, 'b2_upload_file') <= 1);
});

test('concurrent uploads never share an upload URL (no auth_token_limit)', async () => {
  emu.controls.resetCounters();
  const results = await Promise.all(
    Array.from({ length: 12 }, (_, i) => {
      const body = data(30_000, i);
      return c
        .uploadFile({ bucketId, fileName: `conc/${i}`, body, contentLength: body.length })
        .then((f) => [f, body] as const);
    }),
  );
  for (const [f, body] of results) assert.equal(f.contentSha1, sha1Hex(body));
  assert.equal(calls(emu, 'b2_upload_file'), 12, 'no upload needed a retry');
  assert.ok(calls(emu, 'b2_get_upload_url') <= 12);
});

test('names and metadata are checked before any call', async () => {
  emu.controls.resetCounters();
  await assert.rejects(c.uploadFile({ bucketId, fileName: 'a\u0007b', body: data(1), contentLength: 1 }), UsageError);
  await assert.rejects(
    c.uploadFile({ bucketId, fileName: 'é'.repeat(600), body: data(1), contentLength: 1 }),
    LimitError,
  );
  await assert.rejects(
    c.uploadFile({ bucketId, fileName: 'n', body: data(1), contentLength: 1, info: { note: '€'.repeat(800) } }),
    (e) => e instanceof LimitError && /shorten the file name or drop metadata/.test(e.message),
  );
  assert.equal(calls(emu, 'b2_upload_file') + calls(emu, 'b2_get_upload_url'), 0);
});

test('an aborted upload rejects with AbortError', async () => {
  const ac = new AbortController();
  emu.controls.setLatency(2000);
  setTimeout(() => ac.abort(), 100);
  try {
    await assert.rejects(
      c.uploadFile({ bucketId, fileName: 'aborted', body: data(10), contentLength: 10, signal: ac.signal }),
      (e) => isAbortError(e),
    );
  } finally {
    emu.controls.setLatency(0);
  }
});

test('large file: start, parts (with a 503 and a drop), list parts, finish', async () => {
  const p1 = data(1500, 1);
  const p2 = data(1500, 2);
  const p3 = data(700, 3);
  const path = join(dir, 'p2.bin');
  await writeFile(path, p2);
  const started = await c.startLargeFile({
    bucketId,
    fileName: 'large/one.bin',
    info: { large_file_sha1: sha1Hex(Buffer.concat([p1, p2, p3])) },
  });
  assert.equal(started.action, 'start');
  const fileId = started.fileId!;
  emu.controls.resetCounters();
  emu.controls.injectFault({ call: 'b2_upload_part', status: 503, code: 'service_unavailable' });
  const r1 = await c.uploadPart({ fileId, partNumber: 1, body: p1, contentLength: p1.length });
  emu.controls.injectFault({ call: 'b2_upload_part', kind: 'drop' });
  const r2 = await c.uploadPart({
    fileId,
    partNumber: 2,
    body: () => createReadStream(path),
    contentLength: p2.length,
  });
  const r3 = await c.uploadPart({ fileId, partNumber: 3, body: p3, contentLength: p3.length });
  assert.deepEqual([r1.contentSha1, r2.contentSha1, r3.contentSha1], [sha1Hex(p1), sha1Hex(p2), sha1Hex(p3)]);
  assert.equal(calls(emu, 'b2_upload_part'), 5);
  assert.equal(calls(emu, 'b2_get_upload_part_url'), 3, 'one initial URL, one fresh URL per failure');
  const parts = await collect(c.listParts(fileId, { pageSize: 2 }));
  assert.deepEqual(
    parts.map((p) => p.partNumber),
    [1, 2, 3],
  );
  const unfinished = await collect(c.listUnfinishedLargeFiles(bucketId));
  assert.ok(unfinished.some((f) => f.fileId === fileId));
  const done = await c.finishLargeFile(fileId, [r1.contentSha1, r2.contentSha1, r3.contentSha1]);
  assert.equal(done.action, 'upload');
  assert.equal(done.contentLength, 3700);
  const after = await collect(c.listUnfinishedLargeFiles(bucketId));
  assert.ok(!after.some((f) => f.fileId === fileId));
});

test('large file: cancel removes it from the unfinished list; listing pages with a prefix', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await c.startLargeFile({ bucketId, fileName: `unf/${i}` })).fileId!);
  await c.startLargeFile({ bucketId, fileName: 'other/x' });
  const listed = await collect(c.listUnfinishedLargeFiles(bucketId, { namePrefix: 'unf/', pageSize: 2 }));
  assert.deepEqual(listed.map((f) => f.fileName).sort(), ['unf/0', 'unf/1', 'unf/2']);
  const cancelled = await c.cancelLargeFile(ids[1]);
  assert.equal(cancelled.fileId, ids[1]);
  const left = await collect(c.listUnfinishedLargeFiles(bucketId, { namePrefix: 'unf/' }));
  assert.deepEqual(left.map((f) => f.fileName).sort(), ['unf/0', 'unf/2']);
});
