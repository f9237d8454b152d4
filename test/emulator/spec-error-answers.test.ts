/**
 * Conformance: the error answers docs/emulator.md "Error answers" lists, one test per row, each with the
 * b2-api.md section it follows. Also the answers a client sees when it repeats a call whose reply was lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  byIdUrl,
  byNameUrl,
  call,
  fetchRaw,
  makeBucket,
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

describe('spec: error answers', () => {
  let emu: RunningEmulator;
  let s: Session;
  let bucket: Json;
  let seed = 0;

  function bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    const k = ++seed;
    for (let i = 0; i < n; i++) b[i] = (i * 13 + k * 29) & 0xff;
    return b;
  }
  /** A large file with `sizes[i]` bytes uploaded as part i+1 (a size of 0 leaves that number out). */
  async function largeWith(name: string, sizes: number[]): Promise<{ fileId: string; parts: Buffer[] }> {
    const f = await ok(s, 'b2_start_large_file', {
      bucketId: bucket.bucketId,
      fileName: name,
      contentType: 'b2/x-auto',
    });
    const t = await ok(s, 'b2_get_upload_part_url', { fileId: f.fileId });
    const parts: Buffer[] = [];
    for (const [i, size] of sizes.entries()) {
      const data = bytes(size);
      parts.push(data);
      if (size === 0) continue;
      const r = await uploadPart(t, i + 1, data);
      assert.equal(r.status, 200, r.text);
    }
    return { fileId: f.fileId, parts };
  }
  const finish = (fileId: string, partSha1Array: string[]) =>
    call(s, 'b2_finish_large_file', { fileId, partSha1Array });

  before(async () => {
    emu = await start({ minPartSize: MIN });
    s = await session(emu);
    bucket = await makeBucket(s);
  });
  after(async () => {
    await emu.close();
  });

  describe('b2_finish_large_file (b2-api.md §7.4, §13.2)', () => {
    it('a partSha1Array leaving out an uploaded part answers 400 part_sha1_mismatch, and the file stays unfinished', async () => {
      const { fileId, parts } = await largeWith('err/short-array.bin', [MIN, MIN, 10]);
      assertError(
        await finish(
          fileId,
          parts.slice(0, 2).map((p) => sha1(p)),
        ),
        400,
        'part_sha1_mismatch',
      );
      const done = await ok(s, 'b2_finish_large_file', { fileId, partSha1Array: parts.map((p) => sha1(p)) });
      assert.equal(done.contentLength, 2 * MIN + 10);
    });

    it('a wrong part SHA-1 answers 400 part_sha1_mismatch, before the part-size check', async () => {
      // part 1 is too small to be a non-last part, but the wrong SHA-1 of part 2 is what is reported
      const { fileId, parts } = await largeWith('err/wrong-sha1.bin', [MIN - 1, 10]);
      assertError(await finish(fileId, [sha1(parts[0]), sha1('not part 2')]), 400, 'part_sha1_mismatch');
      assertError(await finish(fileId, [sha1(parts[0]), sha1(parts[1])]), 400, 'bad_request');
    });

    it('a part the array names but nobody uploaded answers 400 missing_part, before any other check', async () => {
      const { fileId, parts } = await largeWith('err/gap.bin', [MIN - 1, 0, 10]);
      assertError(await finish(fileId, [sha1('wrong'), sha1(parts[1]), sha1(parts[2])]), 400, 'missing_part');
    });

    it('an entry that is not a SHA-1 answers 400 bad_request', async () => {
      const { fileId, parts } = await largeWith('err/not-sha1.bin', [MIN, 10]);
      const r = await finish(fileId, [sha1(parts[0]), 'not-a-sha1']);
      assertError(r, 400, 'bad_request');
      assert.match(r.body.message, /partSha1Array\[1\]/);
    });

    it('finishing again after a lost reply answers 400 bad_request; get_file_info then shows it finished (§14)', async () => {
      const { fileId, parts } = await largeWith('err/finish-twice.bin', [MIN, 10]);
      const sha1s = parts.map((p) => sha1(p));
      await ok(s, 'b2_finish_large_file', { fileId, partSha1Array: sha1s });
      assertError(await finish(fileId, sha1s), 400, 'bad_request');
      const info = await ok(s, 'b2_get_file_info', { fileId });
      assert.equal(info.action, 'upload');
      assert.equal(info.contentLength, MIN + 10);
    });
  });

  describe('b2_cancel_large_file (b2-api.md §7.5)', () => {
    it('cancelling again after a lost reply, or cancelling a finished file, answers 400 bad_request', async () => {
      const cancelled = await largeWith('err/cancel-twice.bin', [MIN]);
      await ok(s, 'b2_cancel_large_file', { fileId: cancelled.fileId });
      assertError(await call(s, 'b2_cancel_large_file', { fileId: cancelled.fileId }), 400, 'bad_request');
      const finished = await largeWith('err/cancel-finished.bin', [MIN]);
      await ok(s, 'b2_finish_large_file', { fileId: finished.fileId, partSha1Array: [sha1(finished.parts[0])] });
      assertError(await call(s, 'b2_cancel_large_file', { fileId: finished.fileId }), 400, 'bad_request');
      // the finished file is untouched
      assert.equal((await ok(s, 'b2_get_file_info', { fileId: finished.fileId })).action, 'upload');
    });
  });

  describe('b2_list_file_versions (b2-api.md §9.1)', () => {
    it('a startFileId that is not a file id answers 400 invalid_file_id', async () => {
      for (const startFileId of ['nonsense', '4_zdeadbeef', ''])
        assertError(
          await call(s, 'b2_list_file_versions', { bucketId: bucket.bucketId, startFileName: 'a', startFileId }),
          400,
          'invalid_file_id',
        );
    });
  });

  describe('b2_copy_file (b2-api.md §8.1, §13.2)', () => {
    it('an unknown destinationBucketId answers 400 bad_bucket_id and creates nothing', async () => {
      const src = await upload(s, bucket.bucketId, 'err/copy-src.txt', 'copy me');
      for (const destinationBucketId of ['0123456789abcdef01234567', 'not-a-bucket-id'])
        assertError(
          await call(s, 'b2_copy_file', {
            sourceFileId: src.fileId,
            fileName: 'err/copy-dst.txt',
            destinationBucketId,
          }),
          400,
          'bad_bucket_id',
        );
      const listed = await ok(s, 'b2_list_file_versions', { bucketId: bucket.bucketId, prefix: 'err/copy-dst' });
      assert.deepEqual(listed.files, []);
    });
  });

  describe('b2_delete_file_version (b2-api.md §10.2)', () => {
    it('without fileName answers 400 bad_request naming the field, and deletes nothing', async () => {
      const f = await upload(s, bucket.bucketId, 'err/delete-no-name.txt', 'keep me');
      const r = await call(s, 'b2_delete_file_version', { fileId: f.fileId });
      assertError(r, 400, 'bad_request');
      assert.match(r.body.message, /fileName/);
      assert.equal((await ok(s, 'b2_get_file_info', { fileId: f.fileId })).fileName, 'err/delete-no-name.txt');
    });

    it('deleting again after a lost reply answers 400 file_not_present', async () => {
      const f = await upload(s, bucket.bucketId, 'err/delete-twice.txt', 'x');
      await ok(s, 'b2_delete_file_version', { fileId: f.fileId, fileName: f.fileName });
      assertError(
        await call(s, 'b2_delete_file_version', { fileId: f.fileId, fileName: f.fileName }),
        400,
        'file_not_present',
      );
    });
  });

  describe('b2_get_file_info (b2-api.md §10.3)', () => {
    it('a malformed fileId answers 400 bad_request; a well-formed one that is gone answers 404 not_found', async () => {
      assertError(await call(s, 'b2_get_file_info', { fileId: 'garbage' }), 400, 'bad_request');
      const f = await upload(s, bucket.bucketId, 'err/info-gone.txt', 'x');
      await ok(s, 'b2_delete_file_version', { fileId: f.fileId, fileName: f.fileName });
      assertError(await call(s, 'b2_get_file_info', { fileId: f.fileId }), 404, 'not_found');
    });
  });

  describe('downloads without authorization (b2-api.md §11.2, §11.7, §13.2)', () => {
    it('a private file answers 401 missing_auth_token on every API version, by id and by name (HEAD: 401, no body)', async () => {
      const f = await upload(s, bucket.bucketId, 'err/private.txt', 'secret bytes');
      for (const version of ['v1', 'v2', 'v3', 'v4']) {
        const r = await fetchRaw(byIdUrl(s, f.fileId, version));
        assert.equal(r.status, 401, version);
        assert.equal(r.body?.code, 'missing_auth_token', version);
        assert.equal(r.bytes.includes(Buffer.from('secret bytes')), false);
      }
      const byName = await fetchRaw(byNameUrl(s, bucket.bucketName, 'err/private.txt'));
      assert.equal(byName.status, 401);
      assert.equal(byName.body?.code, 'missing_auth_token');
      const head = await fetchRaw(byNameUrl(s, bucket.bucketName, 'err/private.txt'), { method: 'HEAD' });
      assert.equal(head.status, 401);
      assert.equal(head.bytes.length, 0);
    });

    it('a token that is present but unknown answers 401 bad_auth_token', async () => {
      const f = await upload(s, bucket.bucketId, 'err/private-2.txt', 'x');
      const r = await fetchRaw(byIdUrl(s, f.fileId), { headers: { Authorization: 'not-a-token' } });
      assert.equal(r.status, 401);
      assert.equal(r.body?.code, 'bad_auth_token');
    });
  });
});
