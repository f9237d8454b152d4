/** Conformance: large files (§7) — start, parts, finish, cancel, list_parts, list_unfinished. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  byIdUrl,
  call,
  fetchRaw,
  makeBucket,
  ok,
  session,
  sha1,
  start,
  uploadPart,
  type Json,
  type PartTarget,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

const MIN = 1000;

describe('spec: large files', () => {
  let emu: RunningEmulator;
  let s: Session;
  let bucket: Json;

  async function startLarge(fileName: string, extra: Json = {}): Promise<Json> {
    return ok(s, 'b2_start_large_file', { bucketId: bucket.bucketId, fileName, contentType: 'b2/x-auto', ...extra });
  }
  async function partUrl(fileId: string): Promise<PartTarget> {
    return ok(s, 'b2_get_upload_part_url', { fileId });
  }
  async function partOk(
    t: PartTarget,
    n: number,
    data: Buffer,
    o: Parameters<typeof uploadPart>[3] = {},
  ): Promise<Json> {
    const r = await uploadPart(t, n, data, o);
    assert.equal(r.status, 200, `part ${n}: ${r.text}`);
    return r.body;
  }
  function bytes(n: number, seed: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
    return b;
  }

  before(async () => {
    emu = await start({ minPartSize: MIN });
    s = await session(emu);
    bucket = await makeBucket(s);
  });
  after(async () => {
    await emu.close();
  });

  it('start_large_file returns action start, contentLength 0, contentSha1 "none", the info as given', async () => {
    const wholeSha = sha1('whatever');
    const f = await startLarge('large/start.bin', {
      fileInfo: { large_file_sha1: wholeSha, src_last_modified_millis: '123' },
    });
    assert.equal(f.action, 'start');
    assert.equal(f.contentLength, 0);
    assert.equal(f.contentSha1, 'none');
    assert.equal(f.contentMd5 ?? null, null);
    assert.equal(f.fileName, 'large/start.bin');
    assert.equal(f.bucketId, bucket.bucketId);
    assert.equal(f.accountId, s.accountId);
    assert.equal(typeof f.fileId, 'string');
    assert.equal(typeof f.uploadTimestamp, 'number');
    assert.deepEqual(f.fileInfo, { large_file_sha1: wholeSha, src_last_modified_millis: '123' });
    assert.equal(f.contentType, 'application/octet-stream');
  });

  it('start_large_file resolves b2/x-auto from the extension', async () => {
    const f = await startLarge('large/movie.mp4');
    assert.equal(f.contentType, 'video/mp4');
  });

  it('start_large_file fileInfo names follow the info-name rules (characters, 1..50 bytes) and are stored lower-cased', async () => {
    for (const fileInfo of [{ 'a b': 'x' }, { 'a/b': 'x' }, { é: 'x' }, { ['k'.repeat(51)]: 'x' }, { '': 'x' }]) {
      assertError(
        await call(s, 'b2_start_large_file', {
          bucketId: bucket.bucketId,
          fileName: 'large/info-rules.bin',
          contentType: 'b2/x-auto',
          fileInfo,
        }),
        400,
      );
    }
    const f = await startLarge('large/info-case.bin', { fileInfo: { MixedCase: 'v' } });
    assert.deepEqual(f.fileInfo, { mixedcase: 'v' });
  });

  it('start_large_file rejects an unknown b2-* info key and an over-budget fileInfo (400)', async () => {
    assertError(
      await call(s, 'b2_start_large_file', {
        bucketId: bucket.bucketId,
        fileName: 'x',
        contentType: 'b2/x-auto',
        fileInfo: { 'b2-nope': 'x' },
      }),
      400,
    );
    assertError(
      await call(s, 'b2_start_large_file', {
        bucketId: bucket.bucketId,
        fileName: 'x',
        contentType: 'b2/x-auto',
        fileInfo: { a: 'x'.repeat(7200) },
      }),
      400,
    );
  });

  it('start_large_file of an unknown bucket answers 400 bad_bucket_id', async () => {
    const r = await call(s, 'b2_start_large_file', {
      bucketId: 'aaaaaaaaaaaaaaaaaaaaaaaa',
      fileName: 'x',
      contentType: 'b2/x-auto',
    });
    assertError(r, 400, 'bad_bucket_id');
  });

  it('start_large_file rejects an invalid file name (400)', async () => {
    assertError(
      await call(s, 'b2_start_large_file', {
        bucketId: bucket.bucketId,
        fileName: 'a\u0001b',
        contentType: 'b2/x-auto',
      }),
      400,
    );
    assertError(
      await call(s, 'b2_start_large_file', {
        bucketId: bucket.bucketId,
        fileName: 'x'.repeat(1025),
        contentType: 'b2/x-auto',
      }),
      400,
    );
  });

  it('get_upload_part_url returns fileId, uploadUrl and a token; unknown fileId answers 400', async () => {
    const f = await startLarge('large/url.bin');
    const t = await partUrl(f.fileId);
    assert.equal(t.fileId, f.fileId);
    assert.match(t.uploadUrl, /^http:\/\//);
    assert.equal(typeof t.authorizationToken, 'string');
    assertError(await call(s, 'b2_get_upload_part_url', { fileId: 'nonsense' }), 400);
  });

  it('upload_part returns the part object with fileId, partNumber, length, SHA-1 and timestamp', async () => {
    const f = await startLarge('large/partshape.bin');
    const t = await partUrl(f.fileId);
    const data = bytes(MIN, 1);
    const p = await partOk(t, 1, data);
    assert.equal(p.fileId, f.fileId);
    assert.equal(p.partNumber, 1);
    assert.equal(p.contentLength, MIN);
    assert.equal(p.contentSha1, sha1(data));
    assert.equal(typeof p.uploadTimestamp, 'number');
  });

  it('upload_part accepts hex_digits_at_end and reports the part SHA-1', async () => {
    const f = await startLarge('large/end.bin');
    const t = await partUrl(f.fileId);
    const data = bytes(MIN, 2);
    const p = await partOk(t, 1, data, { sha1: 'end' });
    assert.equal(p.contentLength, MIN);
    assert.equal(p.contentSha1, sha1(data));
  });

  it('upload_part with a wrong SHA-1 answers 400', async () => {
    const f = await startLarge('large/badsha.bin');
    const t = await partUrl(f.fileId);
    const r = await uploadPart(t, 1, bytes(MIN, 3), { sha1: { value: sha1('nope') } });
    assertError(r, 400);
  });

  it('part numbers must be 1..10000 (0, 10001 and non-numbers answer 400; 10000 is accepted)', async () => {
    const f = await startLarge('large/numbers.bin');
    const t = await partUrl(f.fileId);
    for (const n of [0, 10001, -1]) assertError(await uploadPart(t, n, bytes(MIN, 4)), 400);
    assertError(await uploadPart(t, 'abc', bytes(MIN, 4)), 400);
    const p = await partOk(t, 10000, bytes(MIN, 4));
    assert.equal(p.partNumber, 10000);
  });

  it('finish assembles the parts: contentLength is the sum, contentSha1 "none", contentMd5 null, large_file_sha1 kept', async () => {
    const parts = [bytes(MIN, 10), bytes(MIN + 7, 11), bytes(5, 12)]; // last part below the minimum is fine
    const whole = Buffer.concat(parts);
    const f = await startLarge('large/ok.bin', { fileInfo: { large_file_sha1: sha1(whole) } });
    const t = await partUrl(f.fileId);
    for (let i = 0; i < parts.length; i++) await partOk(t, i + 1, parts[i]);
    const done = await ok(s, 'b2_finish_large_file', { fileId: f.fileId, partSha1Array: parts.map((p) => sha1(p)) });
    assert.equal(done.action, 'upload');
    assert.equal(done.fileId, f.fileId);
    assert.equal(done.fileName, 'large/ok.bin');
    assert.equal(done.contentLength, whole.length);
    assert.equal(done.contentSha1, 'none');
    assert.equal(done.contentMd5, null);
    assert.equal(done.fileInfo.large_file_sha1, sha1(whole));
    assert.equal(done.uploadTimestamp, f.uploadTimestamp);
    const d = await fetchRaw(byIdUrl(s, f.fileId), { headers: { Authorization: s.token } });
    assert.equal(d.status, 200);
    assert.ok(d.bytes.equals(whole), 'downloaded bytes differ from the parts');
    assert.equal(d.headers.get('x-bz-content-sha1'), 'none');
    assert.equal(d.headers.get('x-bz-info-large_file_sha1'), sha1(whole));
    const listed = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: 'large/ok.bin' });
    assert.equal(listed.files.length, 1);
    assert.equal(listed.files[0].contentLength, whole.length);
    assert.equal(listed.files[0].contentSha1, 'none');
  });

  it('a non-last part smaller than absoluteMinimumPartSize is accepted on upload and fails finish (400)', async () => {
    const parts = [bytes(MIN - 1, 20), bytes(MIN, 21)];
    const f = await startLarge('large/small-first.bin');
    const t = await partUrl(f.fileId);
    await partOk(t, 1, parts[0]);
    await partOk(t, 2, parts[1]);
    const fin = await call(s, 'b2_finish_large_file', { fileId: f.fileId, partSha1Array: parts.map((p) => sha1(p)) });
    assertError(fin, 400);
  });

  it('partSha1Array must cover every uploaded part (400 part_sha1_mismatch)', async () => {
    const a = bytes(MIN, 22);
    const b = bytes(MIN, 23);
    const f = await startLarge('large/uncovered.bin');
    const t = await partUrl(f.fileId);
    await partOk(t, 1, a);
    await partOk(t, 2, b);
    assertError(
      await call(s, 'b2_finish_large_file', { fileId: f.fileId, partSha1Array: [sha1(a)] }),
      400,
      'part_sha1_mismatch',
    );
  });

  it('list_file_versions shows unfinished large files as action start; they never hide an earlier upload', async () => {
    const first = await ok(s, 'b2_get_upload_url', { bucketId: bucket.bucketId });
    const up = await fetch(first.uploadUrl, {
      method: 'POST',
      headers: {
        Authorization: first.authorizationToken,
        'X-Bz-File-Name': 'large/shadow.bin',
        'Content-Type': 'b2/x-auto',
        'X-Bz-Content-Sha1': sha1('old'),
      },
      body: 'old',
    });
    const old = (await up.json()) as Json;
    const f = await startLarge('large/shadow.bin');
    const v = await ok(s, 'b2_list_file_versions', { bucketId: bucket.bucketId, prefix: 'large/shadow.bin' });
    assert.deepEqual(
      v.files.map((x: Json) => [x.action, x.fileId]),
      [
        ['start', f.fileId],
        ['upload', old.fileId],
      ],
    );
    const n = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: 'large/shadow.bin' });
    assert.deepEqual(
      n.files.map((x: Json) => x.fileId),
      [old.fileId],
    );
  });

  it('downloading an unfinished large file by id answers 404 not_found', async () => {
    const f = await startLarge('large/not-yet.bin');
    const d = await fetchRaw(byIdUrl(s, f.fileId), { headers: { Authorization: s.token } });
    assert.equal(d.status, 404);
    assert.equal(d.body?.code, 'not_found');
  });

  it('list_unfinished_large_files rejects maxFileCount above 100 (400)', async () => {
    assertError(await call(s, 'b2_list_unfinished_large_files', { bucketId: bucket.bucketId, maxFileCount: 101 }), 400);
  });

  it('re-uploading a part number replaces the earlier part', async () => {
    const first = bytes(MIN, 30);
    const second = bytes(MIN, 31);
    const last = bytes(3, 32);
    const f = await startLarge('large/replace.bin');
    const t = await partUrl(f.fileId);
    await partOk(t, 1, first);
    await partOk(t, 1, second);
    await partOk(t, 2, last);
    const lp = await ok(s, 'b2_list_parts', { fileId: f.fileId });
    assert.deepEqual(
      lp.parts.map((p: Json) => [p.partNumber, p.contentSha1]),
      [
        [1, sha1(second)],
        [2, sha1(last)],
      ],
    );
    await ok(s, 'b2_finish_large_file', { fileId: f.fileId, partSha1Array: [sha1(second), sha1(last)] });
    const d = await fetchRaw(byIdUrl(s, f.fileId), { headers: { Authorization: s.token } });
    assert.ok(d.bytes.equals(Buffer.concat([second, last])));
  });

  it('list_parts pages with maxPartCount, startPartNumber and nextPartNumber', async () => {
    const f = await startLarge('large/listparts.bin');
    const t = await partUrl(f.fileId);
    for (const n of [1, 2, 3, 4, 5]) await partOk(t, n, bytes(MIN, 40 + n));
    const p1 = await ok(s, 'b2_list_parts', { fileId: f.fileId, maxPartCount: 2 });
    assert.deepEqual(
      p1.parts.map((p: Json) => p.partNumber),
      [1, 2],
    );
    assert.equal(p1.nextPartNumber, 3);
    const part = p1.parts[0];
    assert.equal(part.fileId, f.fileId);
    assert.equal(part.contentLength, MIN);
    assert.equal(part.contentSha1, sha1(bytes(MIN, 41)));
    assert.equal(typeof part.uploadTimestamp, 'number');
    const p2 = await ok(s, 'b2_list_parts', { fileId: f.fileId, maxPartCount: 2, startPartNumber: p1.nextPartNumber });
    assert.deepEqual(
      p2.parts.map((p: Json) => p.partNumber),
      [3, 4],
    );
    assert.equal(p2.nextPartNumber, 5);
    const p3 = await ok(s, 'b2_list_parts', { fileId: f.fileId, maxPartCount: 2, startPartNumber: 5 });
    assert.deepEqual(
      p3.parts.map((p: Json) => p.partNumber),
      [5],
    );
    assert.equal(p3.nextPartNumber, null);
    const all = await ok(s, 'b2_list_parts', { fileId: f.fileId });
    assert.equal(all.parts.length, 5);
    assert.equal(all.nextPartNumber, null);
  });

  it('list_parts with startPartNumber between parts starts at the next existing part', async () => {
    const f = await startLarge('large/gaps.bin');
    const t = await partUrl(f.fileId);
    for (const n of [2, 5, 9]) await partOk(t, n, bytes(MIN, n));
    const r = await ok(s, 'b2_list_parts', { fileId: f.fileId, startPartNumber: 3 });
    assert.deepEqual(
      r.parts.map((p: Json) => p.partNumber),
      [5, 9],
    );
  });

  it('finish with a gap in the part numbers answers 400 missing_part', async () => {
    const f = await startLarge('large/missing.bin');
    const t = await partUrl(f.fileId);
    const p1 = bytes(MIN, 50);
    const p3 = bytes(10, 52);
    await partOk(t, 1, p1);
    await partOk(t, 3, p3);
    const r = await call(s, 'b2_finish_large_file', {
      fileId: f.fileId,
      partSha1Array: [sha1(p1), sha1(bytes(MIN, 51)), sha1(p3)],
    });
    assertError(r, 400, 'missing_part');
  });

  it('finish with a partSha1Array entry that does not match the part answers 400 part_sha1_mismatch', async () => {
    const f = await startLarge('large/mismatch.bin');
    const t = await partUrl(f.fileId);
    const a = bytes(MIN, 60);
    const b = bytes(10, 61);
    await partOk(t, 1, a);
    await partOk(t, 2, b);
    const r = await call(s, 'b2_finish_large_file', { fileId: f.fileId, partSha1Array: [sha1(a), sha1('wrong')] });
    assertError(r, 400, 'part_sha1_mismatch');
    // still unfinished: the right array finishes it
    const done = await ok(s, 'b2_finish_large_file', { fileId: f.fileId, partSha1Array: [sha1(a), sha1(b)] });
    assert.equal(done.contentLength, MIN + 10);
  });

  it('finishing a finished or unknown large file answers 400', async () => {
    const a = bytes(MIN, 70);
    const b = bytes(1, 71);
    const f = await startLarge('large/twice.bin');
    const t = await partUrl(f.fileId);
    await partOk(t, 1, a);
    await partOk(t, 2, b);
    await ok(s, 'b2_finish_large_file', { fileId: f.fileId, partSha1Array: [sha1(a), sha1(b)] });
    assertError(await call(s, 'b2_finish_large_file', { fileId: f.fileId, partSha1Array: [sha1(a), sha1(b)] }), 400);
    assertError(await call(s, 'b2_finish_large_file', { fileId: 'nonsense', partSha1Array: [sha1(a)] }), 400);
    assertError(await call(s, 'b2_get_upload_part_url', { fileId: f.fileId }), 400);
  });

  it('cancel_large_file returns {fileId, accountId, bucketId, fileName} and discards the file', async () => {
    const f = await startLarge('large/cancel.bin');
    const t = await partUrl(f.fileId);
    await partOk(t, 1, bytes(MIN, 80));
    const c = await ok(s, 'b2_cancel_large_file', { fileId: f.fileId });
    assert.deepEqual(
      { fileId: c.fileId, accountId: c.accountId, bucketId: c.bucketId, fileName: c.fileName },
      { fileId: f.fileId, accountId: s.accountId, bucketId: bucket.bucketId, fileName: 'large/cancel.bin' },
    );
    const un = await ok(s, 'b2_list_unfinished_large_files', { bucketId: bucket.bucketId, namePrefix: 'large/cancel' });
    assert.deepEqual(un.files, []);
    assertError(await call(s, 'b2_get_upload_part_url', { fileId: f.fileId }), 400);
    assertError(
      await call(s, 'b2_finish_large_file', { fileId: f.fileId, partSha1Array: [sha1(bytes(MIN, 80))] }),
      400,
    );
    const v = await ok(s, 'b2_list_file_versions', { bucketId: bucket.bucketId, prefix: 'large/cancel' });
    assert.deepEqual(v.files, []);
    const up = await uploadPart(t, 2, bytes(MIN, 81));
    assert.ok(up.status >= 400, `part upload after cancel answered ${up.status}`);
  });

  it('cancel_large_file of an invalid id answers 400 bad_request', async () => {
    assertError(await call(s, 'b2_cancel_large_file', { fileId: 'bogus' }), 400, 'bad_request');
  });

  it('list_unfinished_large_files lists started files (action start) oldest first, filtered by namePrefix, paged by nextFileId', async () => {
    const b = await makeBucket(s);
    const started: Json[] = [];
    for (const n of ['u/c.bin', 'u/a.bin', 'u/b.bin', 'other/x.bin']) {
      started.push(await ok(s, 'b2_start_large_file', { bucketId: b.bucketId, fileName: n, contentType: 'b2/x-auto' }));
    }
    const all = await ok(s, 'b2_list_unfinished_large_files', { bucketId: b.bucketId });
    assert.deepEqual(
      all.files.map((f: Json) => f.fileId),
      started.map((f) => f.fileId),
    );
    assert.ok(all.files.every((f: Json) => f.action === 'start' && f.contentSha1 === 'none' && f.contentLength === 0));
    assert.equal(all.nextFileId ?? null, null);
    const pre = await ok(s, 'b2_list_unfinished_large_files', { bucketId: b.bucketId, namePrefix: 'u/' });
    assert.deepEqual(
      pre.files.map((f: Json) => f.fileName),
      ['u/c.bin', 'u/a.bin', 'u/b.bin'],
    );
    const seen: string[] = [];
    let startFileId: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page = await ok(s, 'b2_list_unfinished_large_files', {
        bucketId: b.bucketId,
        maxFileCount: 3,
        ...(startFileId ? { startFileId } : {}),
      });
      assert.ok(page.files.length <= 3);
      seen.push(...page.files.map((f: Json) => f.fileId));
      if (!page.nextFileId) break;
      startFileId = page.nextFileId;
    }
    assert.deepEqual(
      seen,
      started.map((f) => f.fileId),
    );
  });

  it('unfinished large files are not in list_file_names and become listed once finished', async () => {
    const f = await startLarge('large/hidden-until-done.bin');
    const names = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: 'large/hidden-until-done' });
    assert.deepEqual(names.files, []);
    const t = await partUrl(f.fileId);
    const a = bytes(MIN, 90);
    const b = bytes(2, 91);
    await partOk(t, 1, a);
    await partOk(t, 2, b);
    await ok(s, 'b2_finish_large_file', { fileId: f.fileId, partSha1Array: [sha1(a), sha1(b)] });
    const after = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: 'large/hidden-until-done' });
    assert.deepEqual(
      after.files.map((x: Json) => x.fileId),
      [f.fileId],
    );
    const un = await ok(s, 'b2_list_unfinished_large_files', {
      bucketId: bucket.bucketId,
      namePrefix: 'large/hidden-until-done',
    });
    assert.deepEqual(un.files, []);
  });

  it('get_file_info of an unfinished large file reports action start', async () => {
    const f = await startLarge('large/info.bin');
    const info = await ok(s, 'b2_get_file_info', { fileId: f.fileId });
    assert.equal(info.action, 'start');
    assert.equal(info.contentSha1, 'none');
  });

  it('delete_file_version on an unfinished large file cancels it', async () => {
    const f = await startLarge('large/delete-cancels.bin');
    await ok(s, 'b2_delete_file_version', { fileId: f.fileId, fileName: f.fileName });
    const un = await ok(s, 'b2_list_unfinished_large_files', {
      bucketId: bucket.bucketId,
      namePrefix: 'large/delete-cancels',
    });
    assert.deepEqual(un.files, []);
    assertError(await call(s, 'b2_get_upload_part_url', { fileId: f.fileId }), 400);
  });
});
