/** Conformance: b2_hide_file, b2_delete_file_version, b2_get_file_info (§10). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  byNameUrl,
  call,
  fetchRaw,
  makeBucket,
  ok,
  session,
  sha1,
  start,
  upload,
  type Json,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

describe('spec: hide, delete, file info', () => {
  let emu: RunningEmulator;
  let s: Session;
  let bucket: Json;

  const names = async (prefix: string) =>
    (await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix })).files.map((f: Json) => f.fileName);
  const versions = async (prefix: string) =>
    (await ok(s, 'b2_list_file_versions', { bucketId: bucket.bucketId, prefix })).files;
  const getByName = (name: string) =>
    fetchRaw(byNameUrl(s, bucket.bucketName, name), { headers: { Authorization: s.token } });

  before(async () => {
    emu = await start();
    s = await session(emu);
    bucket = await makeBucket(s);
  });
  after(async () => {
    await emu.close();
  });

  it('hide_file returns a hide marker (action hide, length 0, fileInfo {}) and hides the name', async () => {
    const f = await upload(s, bucket.bucketId, 'h/one.txt', 'data');
    const h = await ok(s, 'b2_hide_file', { bucketId: bucket.bucketId, fileName: 'h/one.txt' });
    assert.equal(h.action, 'hide');
    assert.equal(h.fileName, 'h/one.txt');
    assert.equal(h.bucketId, bucket.bucketId);
    assert.equal(h.contentLength, 0);
    assert.deepEqual(h.fileInfo, {});
    assert.equal(h.contentType, 'application/x-bz-hide-marker');
    assert.ok(
      h.contentSha1 === null || h.contentSha1 === 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      `hide contentSha1 ${h.contentSha1}`,
    );
    assert.equal(typeof h.fileId, 'string');
    assert.notEqual(h.fileId, f.fileId);
    assert.equal(typeof h.uploadTimestamp, 'number');
    assert.deepEqual(await names('h/one'), []);
    const v = await versions('h/one');
    assert.deepEqual(
      v.map((x: Json) => [x.action, x.fileId]),
      [
        ['hide', h.fileId],
        ['upload', f.fileId],
      ],
    );
  });

  it('a hidden name downloads as 404 by name but its versions still download by id', async () => {
    const f = await upload(s, bucket.bucketId, 'h/dl.txt', 'still here');
    await ok(s, 'b2_hide_file', { bucketId: bucket.bucketId, fileName: 'h/dl.txt' });
    const d = await getByName('h/dl.txt');
    assert.equal(d.status, 404);
    assert.equal(d.body?.code, 'not_found');
    const byId = await fetchRaw(
      `${s.downloadUrl}/b2api/v4/b2_download_file_by_id?fileId=${encodeURIComponent(f.fileId)}`,
      { headers: { Authorization: s.token } },
    );
    assert.equal(byId.status, 200);
    assert.equal(byId.bytes.toString(), 'still here');
  });

  it('hide_file on an already hidden name answers 400 already_hidden', async () => {
    await upload(s, bucket.bucketId, 'h/twice.txt', 'x');
    await ok(s, 'b2_hide_file', { bucketId: bucket.bucketId, fileName: 'h/twice.txt' });
    assertError(
      await call(s, 'b2_hide_file', { bucketId: bucket.bucketId, fileName: 'h/twice.txt' }),
      400,
      'already_hidden',
    );
  });

  it('hide_file on a name that does not exist answers 400 no_such_file', async () => {
    assertError(
      await call(s, 'b2_hide_file', { bucketId: bucket.bucketId, fileName: 'h/never-existed.txt' }),
      400,
      'no_such_file',
    );
  });

  it('hide_file requires bucketId and fileName (400 bad_request)', async () => {
    assertError(await call(s, 'b2_hide_file', { bucketId: bucket.bucketId }), 400, 'bad_request');
    assertError(await call(s, 'b2_hide_file', { fileName: 'x' }), 400, 'bad_request');
  });

  it('uploading a hidden name makes it visible again', async () => {
    await upload(s, bucket.bucketId, 'h/revive.txt', 'a');
    await ok(s, 'b2_hide_file', { bucketId: bucket.bucketId, fileName: 'h/revive.txt' });
    const f2 = await upload(s, bucket.bucketId, 'h/revive.txt', 'b');
    const r = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: 'h/revive' });
    assert.deepEqual(
      r.files.map((f: Json) => f.fileId),
      [f2.fileId],
    );
  });

  it('with a delimiter, list_file_names shows no folder whose files are all hidden; list_file_versions still does', async () => {
    await upload(s, bucket.bucketId, 'fold/hid/a.txt', 'a');
    await ok(s, 'b2_hide_file', { bucketId: bucket.bucketId, fileName: 'fold/hid/a.txt' });
    await upload(s, bucket.bucketId, 'fold/vis/b.txt', 'b');
    const n = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: 'fold/', delimiter: '/' });
    assert.deepEqual(
      n.files.map((f: Json) => f.fileName),
      ['fold/vis/'],
    );
    const v = await ok(s, 'b2_list_file_versions', { bucketId: bucket.bucketId, prefix: 'fold/', delimiter: '/' });
    assert.deepEqual(
      v.files.map((f: Json) => f.fileName),
      ['fold/hid/', 'fold/vis/'],
    );
  });

  it('delete_file_version returns {fileId, fileName} and removes that version', async () => {
    const f = await upload(s, bucket.bucketId, 'd/one.txt', 'x');
    const r = await ok(s, 'b2_delete_file_version', { fileId: f.fileId, fileName: 'd/one.txt' });
    assert.equal(r.fileId, f.fileId);
    assert.equal(r.fileName, 'd/one.txt');
    assert.deepEqual(await versions('d/one'), []);
    assert.equal((await getByName('d/one.txt')).status, 404);
  });

  it('deleting the newest version makes the previous one current', async () => {
    const a = await upload(s, bucket.bucketId, 'd/older.txt', 'old');
    const b = await upload(s, bucket.bucketId, 'd/older.txt', 'new');
    assert.equal((await getByName('d/older.txt')).bytes.toString(), 'new');
    await ok(s, 'b2_delete_file_version', { fileId: b.fileId, fileName: b.fileName });
    const d = await getByName('d/older.txt');
    assert.equal(d.bytes.toString(), 'old');
    assert.equal(d.headers.get('x-bz-file-id'), a.fileId);
    const r = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: 'd/older' });
    assert.deepEqual(
      r.files.map((f: Json) => f.fileId),
      [a.fileId],
    );
  });

  it('deleting a hide marker unhides the name', async () => {
    const f = await upload(s, bucket.bucketId, 'd/unhide.txt', 'back');
    const h = await ok(s, 'b2_hide_file', { bucketId: bucket.bucketId, fileName: 'd/unhide.txt' });
    assert.deepEqual(await names('d/unhide'), []);
    await ok(s, 'b2_delete_file_version', { fileId: h.fileId, fileName: 'd/unhide.txt' });
    const r = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: 'd/unhide' });
    assert.deepEqual(
      r.files.map((x: Json) => x.fileId),
      [f.fileId],
    );
    assert.equal((await getByName('d/unhide.txt')).bytes.toString(), 'back');
  });

  it('deleting an older version leaves the newest in place', async () => {
    const a = await upload(s, bucket.bucketId, 'd/keep-new.txt', 'old');
    const b = await upload(s, bucket.bucketId, 'd/keep-new.txt', 'new');
    await ok(s, 'b2_delete_file_version', { fileId: a.fileId, fileName: a.fileName });
    const v = await versions('d/keep-new');
    assert.deepEqual(
      v.map((x: Json) => x.fileId),
      [b.fileId],
    );
  });

  it('delete_file_version with a mismatched name, or twice, answers 400 file_not_present', async () => {
    const f = await upload(s, bucket.bucketId, 'd/pair.txt', 'x');
    assertError(
      await call(s, 'b2_delete_file_version', { fileId: f.fileId, fileName: 'd/other.txt' }),
      400,
      'file_not_present',
    );
    await ok(s, 'b2_delete_file_version', { fileId: f.fileId, fileName: f.fileName });
    assertError(
      await call(s, 'b2_delete_file_version', { fileId: f.fileId, fileName: f.fileName }),
      400,
      'file_not_present',
    );
  });

  it('delete_file_version requires fileId and fileName (400 bad_request)', async () => {
    const f = await upload(s, bucket.bucketId, 'd/req.txt', 'x');
    assertError(await call(s, 'b2_delete_file_version', { fileId: f.fileId }), 400, 'bad_request');
    assertError(await call(s, 'b2_delete_file_version', { fileName: f.fileName }), 400, 'bad_request');
  });

  it('get_file_info returns the file object of any version', async () => {
    const f = await upload(s, bucket.bucketId, 'i/info.txt', 'info!', { contentType: 'text/x-info', info: { k: 'v' } });
    const r = await ok(s, 'b2_get_file_info', { fileId: f.fileId });
    assert.equal(r.fileId, f.fileId);
    assert.equal(r.fileName, 'i/info.txt');
    assert.equal(r.action, 'upload');
    assert.equal(r.contentLength, 5);
    assert.equal(r.contentSha1, sha1('info!'));
    assert.equal(r.contentType, 'text/x-info');
    assert.deepEqual(r.fileInfo, { k: 'v' });
    assert.equal(r.uploadTimestamp, f.uploadTimestamp);
    assert.equal(r.bucketId, bucket.bucketId);
    const h = await ok(s, 'b2_hide_file', { bucketId: bucket.bucketId, fileName: 'i/info.txt' });
    const hi = await ok(s, 'b2_get_file_info', { fileId: h.fileId });
    assert.equal(hi.action, 'hide');
  });

  it('get_file_info of a well-formed but unknown (deleted) id answers 404 not_found', async () => {
    const f = await upload(s, bucket.bucketId, 'i/gone.txt', 'x');
    await ok(s, 'b2_delete_file_version', { fileId: f.fileId, fileName: f.fileName });
    assertError(await call(s, 'b2_get_file_info', { fileId: f.fileId }), 404, 'not_found');
  });

  it('get_file_info without fileId answers 400 bad_request', async () => {
    assertError(await call(s, 'b2_get_file_info', {}), 400, 'bad_request');
  });

  it('get_file_info works as GET with a query string', async () => {
    const f = await upload(s, bucket.bucketId, 'i/get.txt', 'x');
    const r = await ok(s, 'b2_get_file_info', { fileId: f.fileId }, { method: 'GET' });
    assert.equal(r.fileId, f.fileId);
  });
});
