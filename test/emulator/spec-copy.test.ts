/** Conformance: b2_copy_file and b2_copy_part (§8). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  byIdUrl,
  call,
  fetchRaw,
  makeBucket,
  md5,
  ok,
  session,
  sha1,
  start,
  upload,
  uploadPart,
  type Json,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

const MIN = 100;

describe('spec: server-side copy', () => {
  let emu: RunningEmulator;
  let s: Session;
  let bucket: Json;
  let other: Json;
  let src: Json;
  const DATA = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(10); // 360 bytes

  async function bytesOf(fileId: string): Promise<Buffer> {
    const d = await fetchRaw(byIdUrl(s, fileId), { headers: { Authorization: s.token } });
    assert.equal(d.status, 200);
    return d.bytes;
  }

  before(async () => {
    emu = await start({ minPartSize: MIN });
    s = await session(emu);
    bucket = await makeBucket(s);
    other = await makeBucket(s);
    src = await upload(s, bucket.bucketId, 'src/file.txt', DATA, {
      contentType: 'text/x-src',
      info: { color: 'blue', src_last_modified_millis: '42' },
    });
  });
  after(async () => {
    await emu.close();
  });

  it('copy_file with the default COPY directive keeps type and info, answers action "copy"', async () => {
    const c = await ok(s, 'b2_copy_file', { sourceFileId: src.fileId, fileName: 'dst/copy.txt' });
    assert.equal(c.action, 'copy');
    assert.equal(c.fileName, 'dst/copy.txt');
    assert.equal(c.bucketId, bucket.bucketId);
    assert.notEqual(c.fileId, src.fileId);
    assert.equal(c.contentLength, DATA.length);
    assert.equal(c.contentSha1, sha1(DATA));
    assert.equal(c.contentType, 'text/x-src');
    assert.deepEqual(c.fileInfo, { color: 'blue', src_last_modified_millis: '42' });
    assert.ok((await bytesOf(c.fileId)).equals(Buffer.from(DATA)));
  });

  it('a copied file is listed, versioned and described with action "upload"', async () => {
    const c = await ok(s, 'b2_copy_file', {
      sourceFileId: src.fileId,
      fileName: 'dst/listed.txt',
      metadataDirective: 'COPY',
    });
    const names = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: 'dst/listed.txt' });
    assert.deepEqual(
      names.files.map((f: Json) => [f.fileId, f.action]),
      [[c.fileId, 'upload']],
    );
    const versions = await ok(s, 'b2_list_file_versions', { bucketId: bucket.bucketId, prefix: 'dst/listed.txt' });
    assert.deepEqual(
      versions.files.map((f: Json) => f.action),
      ['upload'],
    );
    const info = await ok(s, 'b2_get_file_info', { fileId: c.fileId });
    assert.equal(info.action, 'upload');
  });

  it('COPY with a contentType or fileInfo answers 400', async () => {
    assertError(
      await call(s, 'b2_copy_file', {
        sourceFileId: src.fileId,
        fileName: 'dst/bad1.txt',
        metadataDirective: 'COPY',
        contentType: 'text/plain',
      }),
      400,
    );
    assertError(
      await call(s, 'b2_copy_file', { sourceFileId: src.fileId, fileName: 'dst/bad2.txt', fileInfo: { a: 'b' } }),
      400,
    );
  });

  it('REPLACE without a contentType answers 400', async () => {
    assertError(
      await call(s, 'b2_copy_file', {
        sourceFileId: src.fileId,
        fileName: 'dst/bad3.txt',
        metadataDirective: 'REPLACE',
      }),
      400,
    );
    assertError(
      await call(s, 'b2_copy_file', {
        sourceFileId: src.fileId,
        fileName: 'dst/bad4.txt',
        metadataDirective: 'REPLACE',
        contentType: null,
        fileInfo: {},
      }),
      400,
    );
  });

  it('an unknown metadataDirective answers 400', async () => {
    assertError(
      await call(s, 'b2_copy_file', { sourceFileId: src.fileId, fileName: 'dst/bad5.txt', metadataDirective: 'MERGE' }),
      400,
    );
  });

  it('REPLACE sets the new contentType and fileInfo', async () => {
    const c = await ok(s, 'b2_copy_file', {
      sourceFileId: src.fileId,
      fileName: 'dst/replaced.txt',
      metadataDirective: 'REPLACE',
      contentType: 'application/x-new',
      fileInfo: { shape: 'square' },
    });
    assert.equal(c.contentType, 'application/x-new');
    assert.deepEqual(c.fileInfo, { shape: 'square' });
    const info = await ok(s, 'b2_get_file_info', { fileId: c.fileId });
    assert.equal(info.contentType, 'application/x-new');
    assert.deepEqual(info.fileInfo, { shape: 'square' });
  });

  it('REPLACE with b2/x-auto resolves the type from the new name', async () => {
    const c = await ok(s, 'b2_copy_file', {
      sourceFileId: src.fileId,
      fileName: 'dst/auto.json',
      metadataDirective: 'REPLACE',
      contentType: 'b2/x-auto',
      fileInfo: {},
    });
    assert.equal(c.contentType, 'application/json');
  });

  it('copy_file with a range copies just those bytes (inclusive) with their own SHA-1', async () => {
    const c = await ok(s, 'b2_copy_file', { sourceFileId: src.fileId, fileName: 'dst/range.txt', range: 'bytes=2-5' });
    assert.equal(c.contentLength, 4);
    assert.equal(c.contentSha1, sha1(DATA.slice(2, 6)));
    assert.equal(c.contentMd5, md5(DATA.slice(2, 6)));
    assert.equal((await bytesOf(c.fileId)).toString(), DATA.slice(2, 6));
  });

  it('copy_file into another bucket via destinationBucketId', async () => {
    const c = await ok(s, 'b2_copy_file', {
      sourceFileId: src.fileId,
      fileName: 'across.txt',
      destinationBucketId: other.bucketId,
    });
    assert.equal(c.bucketId, other.bucketId);
    const names = await ok(s, 'b2_list_file_names', { bucketId: other.bucketId });
    assert.ok(names.files.some((f: Json) => f.fileId === c.fileId));
    const none = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: 'across.txt' });
    assert.deepEqual(none.files, []);
    assert.equal((await bytesOf(c.fileId)).toString(), DATA);
  });

  it('copying onto an existing name adds a new version', async () => {
    const a = await upload(s, bucket.bucketId, 'dst/exists.txt', 'old');
    const c = await ok(s, 'b2_copy_file', { sourceFileId: src.fileId, fileName: 'dst/exists.txt' });
    const v = await ok(s, 'b2_list_file_versions', { bucketId: bucket.bucketId, prefix: 'dst/exists.txt' });
    assert.deepEqual(
      v.files.map((f: Json) => f.fileId),
      [c.fileId, a.fileId],
    );
  });

  it('copy_file of an unknown source or an invalid destination name answers 400 bad_request', async () => {
    const gone = await upload(s, bucket.bucketId, 'tmp/gone.txt', 'g');
    await ok(s, 'b2_delete_file_version', { fileId: gone.fileId, fileName: gone.fileName });
    const r = await call(s, 'b2_copy_file', { sourceFileId: gone.fileId, fileName: 'dst/never.txt' });
    assertError(r, 400, 'bad_request');
    assertError(await call(s, 'b2_copy_file', { sourceFileId: src.fileId, fileName: 'bad\u0001name' }), 400);
  });

  it('copy_file with a range starting past the source answers 416; one ending past it is clamped', async () => {
    const r = await call(s, 'b2_copy_file', {
      sourceFileId: src.fileId,
      fileName: 'dst/oob.txt',
      range: `bytes=${DATA.length + 10}-${DATA.length + 20}`,
    });
    assertError(r, 416, 'range_not_satisfiable');
    const c = await ok(s, 'b2_copy_file', {
      sourceFileId: src.fileId,
      fileName: 'dst/clamped.txt',
      range: `bytes=${DATA.length - 3}-${DATA.length + 20}`,
    });
    assert.equal(c.contentLength, 3);
    assert.equal((await bytesOf(c.fileId)).toString(), DATA.slice(-3));
  });

  it('copy_part copies a source range into a large file, mixed with uploaded parts', async () => {
    const lf = await ok(s, 'b2_start_large_file', {
      bucketId: other.bucketId,
      fileName: 'big/mixed.bin',
      contentType: 'b2/x-auto',
    });
    const p1 = await ok(s, 'b2_copy_part', {
      sourceFileId: src.fileId,
      largeFileId: lf.fileId,
      partNumber: 1,
      range: 'bytes=0-149',
    });
    assert.equal(p1.fileId, lf.fileId);
    assert.equal(p1.partNumber, 1);
    assert.equal(p1.contentLength, 150);
    assert.equal(p1.contentSha1, sha1(DATA.slice(0, 150)));
    const t = await ok(s, 'b2_get_upload_part_url', { fileId: lf.fileId });
    const tail = Buffer.from('tail-bytes');
    const up = await uploadPart(t, 2, tail);
    assert.equal(up.status, 200, up.text);
    const done = await ok(s, 'b2_finish_large_file', {
      fileId: lf.fileId,
      partSha1Array: [sha1(DATA.slice(0, 150)), sha1(tail)],
    });
    assert.equal(done.contentLength, 150 + tail.length);
    const got = await bytesOf(lf.fileId);
    assert.equal(got.toString(), DATA.slice(0, 150) + 'tail-bytes');
  });

  it('copy_part without a range copies the whole source', async () => {
    const lf = await ok(s, 'b2_start_large_file', {
      bucketId: bucket.bucketId,
      fileName: 'big/whole.bin',
      contentType: 'b2/x-auto',
    });
    const p1 = await ok(s, 'b2_copy_part', { sourceFileId: src.fileId, largeFileId: lf.fileId, partNumber: 1 });
    assert.equal(p1.contentLength, DATA.length);
    const p2 = await ok(s, 'b2_copy_part', {
      sourceFileId: src.fileId,
      largeFileId: lf.fileId,
      partNumber: 2,
      range: 'bytes=0-0',
    });
    assert.equal(p2.contentLength, 1);
    await ok(s, 'b2_finish_large_file', { fileId: lf.fileId, partSha1Array: [sha1(DATA), sha1(DATA.slice(0, 1))] });
    assert.equal((await bytesOf(lf.fileId)).toString(), DATA + DATA[0]);
    const lp = await call(s, 'b2_list_parts', { fileId: lf.fileId });
    assert.ok(lp.status >= 400, 'list_parts of a finished file should fail');
  });

  it('copy_part with an invalid part number or unknown large file answers 400', async () => {
    const lf = await ok(s, 'b2_start_large_file', {
      bucketId: bucket.bucketId,
      fileName: 'big/badpart.bin',
      contentType: 'b2/x-auto',
    });
    assertError(
      await call(s, 'b2_copy_part', { sourceFileId: src.fileId, largeFileId: lf.fileId, partNumber: 0 }),
      400,
    );
    assertError(
      await call(s, 'b2_copy_part', { sourceFileId: src.fileId, largeFileId: lf.fileId, partNumber: 10001 }),
      400,
    );
    assertError(
      await call(s, 'b2_copy_part', { sourceFileId: src.fileId, largeFileId: 'nonsense', partNumber: 1 }),
      400,
    );
  });

  it('copy_file of a finished large file copies all its bytes', async () => {
    const lf = await ok(s, 'b2_start_large_file', {
      bucketId: bucket.bucketId,
      fileName: 'big/src.bin',
      contentType: 'b2/x-auto',
    });
    const t = await ok(s, 'b2_get_upload_part_url', { fileId: lf.fileId });
    const a = Buffer.alloc(MIN, 1);
    const b = Buffer.alloc(7, 2);
    assert.equal((await uploadPart(t, 1, a)).status, 200);
    assert.equal((await uploadPart(t, 2, b)).status, 200);
    await ok(s, 'b2_finish_large_file', { fileId: lf.fileId, partSha1Array: [sha1(a), sha1(b)] });
    const c = await ok(s, 'b2_copy_file', { sourceFileId: lf.fileId, fileName: 'big/copy-of-large.bin' });
    assert.equal(c.contentLength, MIN + 7);
    assert.ok((await bytesOf(c.fileId)).equals(Buffer.concat([a, b])));
  });
});
