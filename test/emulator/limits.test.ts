/** Size limits scaled down through startEmulator's maxObjectBytes (B2: 5 GiB). */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import {
  assertError,
  call,
  getUploadUrl,
  makeBucket,
  ok,
  session,
  sha1,
  uploadOk,
  uploadPart,
  uploadTo,
  type Session,
} from './spec-helpers.js';

describe('object size limits', () => {
  let emu: RunningEmulator;
  let s: Session;
  let bucketId: string;
  let largeId: string;

  before(async () => {
    emu = await startEmulator({
      port: 0,
      keyId: 'lim',
      applicationKey: 'lim-secret',
      maxObjectBytes: 10,
      minPartSize: 6,
    });
    s = await session(emu, 'lim', 'lim-secret');
    bucketId = (await makeBucket(s)).bucketId;
    const start = await ok(s, 'b2_start_large_file', { bucketId, fileName: 'large.bin', contentType: 'b2/x-auto' });
    const t = await ok(s, 'b2_get_upload_part_url', { fileId: start.fileId });
    const parts = [Buffer.from('0123456789'), Buffer.from('abcdef')];
    for (const [i, p] of parts.entries()) assert.equal((await uploadPart(t, i + 1, p)).status, 200);
    largeId = (await ok(s, 'b2_finish_large_file', { fileId: start.fileId, partSha1Array: parts.map((p) => sha1(p)) }))
      .fileId;
  });
  after(() => emu.close());

  it('a simple upload or a part over the limit answers 400; at the limit it is stored', async () => {
    const t = await getUploadUrl(s, bucketId);
    assertError(await uploadTo(t, 'eleven', '0123456789A'), 400, 'bad_request');
    await uploadOk(t, 'ten', '0123456789');
    const start = await ok(s, 'b2_start_large_file', { bucketId, fileName: 'l2', contentType: 'b2/x-auto' });
    const pt = await ok(s, 'b2_get_upload_part_url', { fileId: start.fileId });
    assertError(await uploadPart(pt, 1, Buffer.from('0123456789A')), 400, 'bad_request');
  });

  it('copy_file of a source over the limit answers 400 source_too_large; a range within it copies', async () => {
    const r = await call(s, 'b2_copy_file', { sourceFileId: largeId, fileName: 'copy' });
    assertError(r, 400, 'source_too_large');
    assert.equal(r.body.message, 'Copy source too big: 16');
    const c = await ok(s, 'b2_copy_file', { sourceFileId: largeId, fileName: 'copy', range: 'bytes=3-12' });
    assert.equal(c.contentLength, 10);
    assert.equal(c.contentSha1, sha1('3456789abc'));
  });

  it('copy_part over the limit answers 400 source_too_large', async () => {
    const start = await ok(s, 'b2_start_large_file', { bucketId, fileName: 'l3', contentType: 'b2/x-auto' });
    assertError(
      await call(s, 'b2_copy_part', { sourceFileId: largeId, largeFileId: start.fileId, partNumber: 1 }),
      400,
      'source_too_large',
    );
    const part = await ok(s, 'b2_copy_part', {
      sourceFileId: largeId,
      largeFileId: start.fileId,
      partNumber: 1,
      range: 'bytes=0-9',
    });
    assert.equal(part.contentSha1, sha1('0123456789'));
  });
});
