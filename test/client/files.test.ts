import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { B2Error, NotFoundError } from '../../src/core/errors.js';
import { sha1Hex } from '../../src/core/sha1.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import type { B2Client } from '../../src/client/b2-client.js';
import type { Bucket } from '../../src/wire/types.js';
import { bucketName, collect, makeClient, parallel, startTestEmulator } from './fixture.js';

let emu: RunningEmulator;
let c: B2Client;
let bucket: Bucket;

before(async () => {
  emu = await startTestEmulator();
  c = makeClient(emu);
  bucket = await c.createBucket({ bucketName: bucketName('files'), bucketType: 'allPrivate' });
});
after(async () => {
  await c?.close();
  await emu?.close();
});

const put = (name: string, text = name) =>
  c.uploadFile({
    bucketId: bucket.bucketId,
    fileName: name,
    body: Buffer.from(text),
    contentLength: Buffer.byteLength(text),
  });

test('listFileNames pages with nextFileName: every name once, in order, for several page sizes', async () => {
  const names = Array.from({ length: 230 }, (_, i) => `page/${String(i).padStart(4, '0')}`);
  await parallel(names, 8, async (n) => void (await put(n)));
  for (const pageSize of [1, 7, 100, 230, 1000]) {
    const got = (await collect(c.listFileNames(bucket.bucketId, { prefix: 'page/', pageSize }))).map((f) => f.fileName);
    assert.deepEqual(got, names, `pageSize ${pageSize}`);
  }
  const from = (
    await collect(c.listFileNames(bucket.bucketId, { prefix: 'page/', startFileName: 'page/0200', pageSize: 9 }))
  ).map((f) => f.fileName);
  assert.deepEqual(from, names.slice(200));
});

test('listFileVersions pages across versions of one name with nextFileId', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await put('ver/same', `v${i}`)).fileId!);
  await put('ver/zz');
  const got = await collect(c.listFileVersions(bucket.bucketId, { prefix: 'ver/', pageSize: 2 }));
  assert.deepEqual(
    got.map((f) => f.fileName),
    ['ver/same', 'ver/same', 'ver/same', 'ver/same', 'ver/same', 'ver/zz'],
  );
  assert.deepEqual(
    got.slice(0, 5).map((f) => f.fileId),
    [...ids].reverse(),
    'newest first',
  );
});

test('delimiter folds folders', async () => {
  for (const n of ['tree/a.txt', 'tree/cats/x', 'tree/cats/y', 'tree/dogs/z', 'tree/m.txt']) await put(n);
  const got = await collect(c.listFileNames(bucket.bucketId, { prefix: 'tree/', delimiter: '/', pageSize: 2 }));
  assert.deepEqual(
    got.map((f) => `${f.action} ${f.fileName}`),
    ['upload tree/a.txt', 'folder tree/cats/', 'folder tree/dogs/', 'upload tree/m.txt'],
  );
});

test('page size above 10000 is refused before any call', async () => {
  await assert.rejects(collect(c.listFileNames(bucket.bucketId, { pageSize: 10_001 })), /page size/);
});

test('hide, then list versions shows the marker; already_hidden surfaces as a B2Error', async () => {
  await put('hide/me');
  const marker = await c.hideFile(bucket.bucketId, 'hide/me');
  assert.equal(marker.action, 'hide');
  const names = await collect(c.listFileNames(bucket.bucketId, { prefix: 'hide/' }));
  assert.equal(names.length, 0);
  const versions = await collect(c.listFileVersions(bucket.bucketId, { prefix: 'hide/' }));
  assert.deepEqual(
    versions.map((v) => v.action),
    ['hide', 'upload'],
  );
  await assert.rejects(
    c.hideFile(bucket.bucketId, 'hide/me'),
    (e) => e instanceof B2Error && e.status === 400 && e.code === 'already_hidden',
  );
});

test('deleteFileVersion removes one version; getFileInfo then 404', async () => {
  const v1 = await put('del/x', 'one');
  const v2 = await put('del/x', 'two');
  const res = await c.deleteFileVersion('del/x', v2.fileId!);
  assert.deepEqual(res, { fileId: v2.fileId, fileName: 'del/x' });
  const info = await c.getFileInfo(v1.fileId!);
  assert.equal(info.contentSha1, sha1Hex('one'));
  await assert.rejects(
    c.getFileInfo(v2.fileId!),
    (e) => e instanceof B2Error && (e.status === 404 || e.status === 400),
  );
  await assert.rejects(
    c.deleteFileVersion('del/x', v2.fileId!),
    (e) => e instanceof B2Error && e.code === 'file_not_present',
  );
});

test('copyFile whole, ranged, with REPLACE metadata, and across buckets', async () => {
  const src = await put('copy/src', 'hello copy world');
  const whole = await c.copyFile({ sourceFileId: src.fileId!, fileName: 'copy/whole' });
  assert.equal(whole.contentSha1, sha1Hex('hello copy world'));
  const part = await c.copyFile({ sourceFileId: src.fileId!, fileName: 'copy/part', range: { start: 6, end: 9 } });
  assert.equal(part.contentLength, 4);
  assert.equal(part.contentSha1, sha1Hex('copy'));
  const repl = await c.copyFile({
    sourceFileId: src.fileId!,
    fileName: 'copy/repl',
    replace: { contentType: 'text/x-test', info: { k: 'v' } },
  });
  assert.equal(repl.contentType, 'text/x-test');
  assert.deepEqual(repl.fileInfo, { k: 'v' });
  const other = await c.createBucket({ bucketName: bucketName('copy2'), bucketType: 'allPrivate' });
  const cross = await c.copyFile({ sourceFileId: src.fileId!, fileName: 'x', destinationBucketId: other.bucketId });
  assert.equal(cross.bucketId, other.bucketId);
});

test('copyPart builds a large file from ranges of another file', async () => {
  const text = 'a'.repeat(1200) + 'b'.repeat(1200);
  const src = await put('cp/src', text);
  const large = await c.startLargeFile({ bucketId: bucket.bucketId, fileName: 'cp/large' });
  const p1 = await c.copyPart({
    sourceFileId: src.fileId!,
    largeFileId: large.fileId!,
    partNumber: 1,
    range: { start: 0, end: 1199 },
  });
  const p2 = await c.copyPart({
    sourceFileId: src.fileId!,
    largeFileId: large.fileId!,
    partNumber: 2,
    range: { start: 1200, end: 2399 },
  });
  assert.equal(p1.contentSha1, sha1Hex('a'.repeat(1200)));
  const done = await c.finishLargeFile(large.fileId!, [p1.contentSha1, p2.contentSha1]);
  assert.equal(done.contentLength, 2400);
});

test('buckets: list, get, update, delete; getBucket of a missing name is NotFoundError', async () => {
  const b = await c.createBucket({ bucketName: bucketName('bk'), bucketType: 'allPrivate' });
  const all = await c.listBuckets();
  assert.ok(all.some((x) => x.bucketId === b.bucketId));
  assert.equal((await c.getBucket(b.bucketName)).bucketId, b.bucketId);
  const up = await c.updateBucket({ bucketId: b.bucketId, bucketType: 'allPublic', ifRevisionIs: b.revision });
  assert.equal(up.bucketType, 'allPublic');
  await assert.rejects(
    c.updateBucket({ bucketId: b.bucketId, bucketInfo: { a: 'b' }, ifRevisionIs: b.revision }),
    (e) => e instanceof B2Error && e.status === 409,
  );
  await c.deleteBucket(b.bucketId);
  await assert.rejects(
    c.getBucket(b.bucketName),
    (e) => e instanceof NotFoundError && e.message.includes(b.bucketName),
  );
});

test('getBucket asks B2 once per name for the life of a client; update and delete keep it current', async () => {
  const b = await c.createBucket({ bucketName: bucketName('once'), bucketType: 'allPrivate' });
  const other = makeClient(emu);
  try {
    emu.controls.resetCounters();
    for (let i = 0; i < 3; i++) assert.equal((await other.getBucket(b.bucketName)).bucketId, b.bucketId);
    assert.equal(emu.controls.counters().calls.b2_list_buckets ?? 0, 1);
    await other.updateBucket({ bucketId: b.bucketId, bucketType: 'allPublic' });
    assert.equal((await other.getBucket(b.bucketName)).bucketType, 'allPublic');
    await other.deleteBucket(b.bucketId);
    await assert.rejects(other.getBucket(b.bucketName), (e) => e instanceof NotFoundError);
    assert.equal(emu.controls.counters().calls.b2_list_buckets ?? 0, 2);
  } finally {
    await other.close();
  }
});

test('getBucket with a bucket-restricted key names the buckets the key may access', async () => {
  const key = await c.createKey({
    keyName: 'scoped',
    capabilities: ['listBuckets', 'listFiles', 'readFiles'],
    bucketIds: [bucket.bucketId],
  });
  const scoped = makeClient(emu, { applicationKeyId: key.applicationKeyId, applicationKey: key.applicationKey });
  try {
    const acct = await scoped.account();
    assert.deepEqual(
      acct.allowed.buckets?.map((b) => b.id),
      [bucket.bucketId],
    );
    const listed = await scoped.listBuckets();
    assert.deepEqual(
      listed.map((b) => b.bucketName),
      [bucket.bucketName],
    );
    assert.equal((await scoped.getBucket(bucket.bucketName)).bucketId, bucket.bucketId);
    await assert.rejects(
      scoped.getBucket('some-other-bucket'),
      (e) =>
        e instanceof NotFoundError && e.message.includes('some-other-bucket') && e.message.includes(bucket.bucketName),
    );
  } finally {
    await scoped.close();
  }
});

test('a listing reply cut short mid-page is asked again from the last entry given: every name once, in order', async () => {
  const names = Array.from({ length: 120 }, (_, i) => `cut/${String(i).padStart(4, '0')}`);
  await parallel(names, 8, async (n) => void (await put(n)));
  emu.controls.resetCounters();
  // The second page's reply and the first re-ask are both cut after about half their bytes.
  emu.controls.injectFault({ call: 'b2_list_file_names', kind: 'cut', after: 1, count: 2 });
  const got = (await collect(c.listFileNames(bucket.bucketId, { prefix: 'cut/', pageSize: 50 }))).map(
    (f) => f.fileName,
  );
  assert.deepEqual(got, names);
  // Page 1 whole, page 2 cut, its re-ask cut, then one or two calls finish the 120 names.
  const n = emu.controls.counters().calls.b2_list_file_names;
  assert.ok(n >= 4 && n <= 5, `${n} list calls`);
});

test('a versions listing cut mid-page resumes at the last (name, id) given, without repeats', async () => {
  for (let i = 0; i < 4; i++) await put('cutv/a', `a${i}`);
  for (let i = 0; i < 30; i++) await put(`cutv/b${String(i).padStart(2, '0')}`);
  const want = (await collect(c.listFileVersions(bucket.bucketId, { prefix: 'cutv/', pageSize: 1000 }))).map(
    (f) => f.fileId,
  );
  assert.equal(want.length, 34);
  emu.controls.injectFault({ call: 'b2_list_file_versions', kind: 'cut', count: 3 });
  const got = (await collect(c.listFileVersions(bucket.bucketId, { prefix: 'cutv/', pageSize: 10 }))).map(
    (f) => f.fileId,
  );
  assert.deepEqual(got, want);
});

test('a listing cut more often than the retry count fails with a retryable error, not a short list', async () => {
  await put('cutfail/x');
  const few = makeClient(emu, { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 } });
  try {
    emu.controls.injectFault({ call: 'b2_list_file_names', kind: 'cut', count: 5 });
    await assert.rejects(
      collect(few.listFileNames(bucket.bucketId, { prefix: 'cutfail/' })),
      (e: unknown) => e instanceof B2Error && e.retryable,
    );
  } finally {
    emu.controls.clearFaults();
    await few.close();
  }
});

test('stopping a listing part-way through a page releases its connection', async () => {
  const names = Array.from({ length: 60 }, (_, i) => `stop/${String(i).padStart(3, '0')}`);
  await parallel(names, 8, async (n) => void (await put(n)));
  const one = makeClient(emu, { maxConnections: 1 });
  try {
    for (let round = 0; round < 3; round++) {
      let seen = 0;
      for await (const f of one.listFileNames(bucket.bucketId, { prefix: 'stop/', pageSize: 60 })) {
        assert.ok(f.fileName.startsWith('stop/'));
        if (++seen === 5) break;
      }
      assert.equal(seen, 5);
    }
    // With one connection allowed, a leaked one would make this call wait forever.
    const all = await collect(one.listFileNames(bucket.bucketId, { prefix: 'stop/' }));
    assert.equal(all.length, 60);
  } finally {
    await one.close();
  }
});

test('listFileNameBatches: the same entries as listFileNames, in batches, without the members that say nothing', async () => {
  const silent =
    ',"legalHold":{"isClientAuthorizedToRead":true,"value":null},"serverSideEncryption":{"algorithm":null,"mode":null}';
  const names = [
    ...Array.from({ length: 60 }, (_, i) => `lean/${String(i).padStart(4, '0')}`),
    `lean/x${silent}`,
    'lean/y"},{"fileName":"fake"}',
  ];
  await parallel(names, 8, async (n) => {
    const text = n;
    await c.uploadFile({
      bucketId: bucket.bucketId,
      fileName: n,
      body: Buffer.from(text),
      contentLength: Buffer.byteLength(text),
      info: { note: silent, other: `${silent}"` },
    });
  });
  const full = await collect(c.listFileNames(bucket.bucketId, { prefix: 'lean/', pageSize: 25 }));
  const batches = await collect(c.listFileNameBatches(bucket.bucketId, { prefix: 'lean/', pageSize: 25 }));
  assert.ok(batches.length >= 3 && batches.every((b) => b.length > 0), `${batches.length} batches`);
  const lean = batches.flat();
  assert.equal(full.length, names.length);
  // The emulator writes the three members with their "nothing" values: the lean listing drops exactly those.
  assert.ok(full.every((f) => f.legalHold && f.serverSideEncryption && f.fileRetention));
  const want = full.map(({ legalHold: _l, serverSideEncryption: _s, fileRetention: _r, ...rest }) => rest);
  assert.deepEqual(lean, want);
  assert.ok(lean.some((f) => f.fileName === `lean/x${silent}` && f.fileInfo?.note === silent));
});
