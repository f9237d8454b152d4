/** Conformance: --data mode — state and bytes survive close() and a restart on the same directory. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  MASTER_KEY,
  MASTER_KEY_ID,
  assertError,
  authorizeRaw,
  byIdUrl,
  byNameUrl,
  call,
  fetchRaw,
  makeBucket,
  ok,
  session,
  partialPost,
  sha1,
  sleep,
  start,
  upload,
  uploadPart,
  type Json,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

const MIN = 1000;

async function du(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await du(p) : (await stat(p)).size;
  }
  return total;
}

describe('spec: --data persistence', () => {
  let dir: string;
  let emu: RunningEmulator;
  let s: Session;
  const saved: Json = {};
  const big = Buffer.alloc(MIN * 2 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'b2sync-spec-data-'));
    emu = await start({ dataDir: dir, minPartSize: MIN });
    s = await session(emu);
    saved.pub = await makeBucket(s, 'allPublic', undefined, { bucketInfo: { note: 'kept' } });
    saved.priv = await makeBucket(s, 'allPrivate');
    saved.updated = await ok(s, 'b2_update_bucket', {
      accountId: s.accountId,
      bucketId: saved.priv.bucketId,
      bucketInfo: { rev: 'two' },
    });
    saved.v1 = await upload(s, saved.pub.bucketId, 'docs/readme.txt', 'version one', {
      info: { src_last_modified_millis: '111' },
    });
    saved.v2 = await upload(s, saved.pub.bucketId, 'docs/readme.txt', 'version two', {
      info: { src_last_modified_millis: '222' },
    });
    saved.gone = await upload(s, saved.pub.bucketId, 'docs/hidden.txt', 'hide me');
    saved.hide = await ok(s, 'b2_hide_file', { bucketId: saved.pub.bucketId, fileName: 'docs/hidden.txt' });
    saved.uni = await upload(s, saved.priv.bucketId, 'ü/😀 name.bin', Buffer.from([0, 1, 2, 255]));
    // a finished large file
    const lf = await ok(s, 'b2_start_large_file', {
      bucketId: saved.priv.bucketId,
      fileName: 'big/done.bin',
      contentType: 'b2/x-auto',
      fileInfo: { large_file_sha1: sha1(big) },
    });
    const pu = await ok(s, 'b2_get_upload_part_url', { fileId: lf.fileId });
    const parts = [big.subarray(0, MIN), big.subarray(MIN, 2 * MIN), big.subarray(2 * MIN)];
    for (let i = 0; i < parts.length; i++) assert.equal((await uploadPart(pu, i + 1, parts[i])).status, 200);
    saved.large = await ok(s, 'b2_finish_large_file', { fileId: lf.fileId, partSha1Array: parts.map((p) => sha1(p)) });
    // an unfinished one with one part
    saved.unfinished = await ok(s, 'b2_start_large_file', {
      bucketId: saved.priv.bucketId,
      fileName: 'big/pending.bin',
      contentType: 'b2/x-auto',
    });
    const pu2 = await ok(s, 'b2_get_upload_part_url', { fileId: saved.unfinished.fileId });
    saved.part1 = big.subarray(0, MIN);
    assert.equal((await uploadPart(pu2, 1, saved.part1)).status, 200);
    saved.key = await ok(
      s,
      'b2_create_key',
      {
        accountId: s.accountId,
        keyName: 'persisted',
        capabilities: ['listFiles', 'readFiles'],
        bucketId: saved.priv.bucketId,
      },
      { version: 'v2' },
    );
    saved.versions = await ok(s, 'b2_list_file_versions', { bucketId: saved.pub.bucketId });
    saved.buckets = await ok(s, 'b2_list_buckets', { accountId: s.accountId });
    await emu.close();
    emu = await start({ dataDir: dir, minPartSize: MIN });
    s = await session(emu);
  });
  after(async () => {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the data directory holds the stored bytes', async () => {
    assert.ok((await du(dir)) >= big.length + 'version one'.length, 'data dir is smaller than the stored bytes');
  });

  it('buckets survive a restart with their ids, types, info and revision', async () => {
    const r = await ok(s, 'b2_list_buckets', { accountId: s.accountId });
    assert.deepEqual(r.buckets, saved.buckets.buckets);
    const priv = r.buckets.find((b: Json) => b.bucketId === saved.priv.bucketId);
    assert.equal(priv.revision, saved.updated.revision);
    assert.deepEqual(priv.bucketInfo, { rev: 'two' });
  });

  it('file versions, hide markers and their metadata survive a restart', async () => {
    const r = await ok(s, 'b2_list_file_versions', { bucketId: saved.pub.bucketId });
    assert.deepEqual(r, saved.versions);
    const names = await ok(s, 'b2_list_file_names', { bucketId: saved.pub.bucketId });
    assert.deepEqual(
      names.files.map((f: Json) => f.fileName),
      ['docs/readme.txt'],
    );
    const info = await ok(s, 'b2_get_file_info', { fileId: saved.v1.fileId });
    assert.equal(info.fileInfo.src_last_modified_millis, '111');
    assert.equal(info.uploadTimestamp, saved.v1.uploadTimestamp);
  });

  it('file bytes survive a restart (by id, by name, ranges, large files)', async () => {
    const a = await fetchRaw(byIdUrl(s, saved.v1.fileId));
    assert.equal(a.bytes.toString(), 'version one');
    const b = await fetchRaw(byNameUrl(s, saved.pub.bucketName, 'docs/readme.txt'));
    assert.equal(b.bytes.toString(), 'version two');
    assert.equal(b.headers.get('x-bz-content-sha1'), sha1('version two'));
    const u = await fetchRaw(byNameUrl(s, saved.priv.bucketName, 'ü/😀 name.bin'), {
      headers: { Authorization: s.token },
    });
    assert.deepEqual([...u.bytes], [0, 1, 2, 255]);
    const l = await fetchRaw(byIdUrl(s, saved.large.fileId), { headers: { Authorization: s.token } });
    assert.ok(l.bytes.equals(big));
    assert.equal(l.headers.get('x-bz-info-large_file_sha1'), sha1(big));
    const rg = await fetchRaw(byIdUrl(s, saved.large.fileId), {
      headers: { Authorization: s.token, Range: `bytes=${MIN - 2}-${MIN + 1}` },
    });
    assert.equal(rg.status, 206);
    assert.ok(rg.bytes.equals(big.subarray(MIN - 2, MIN + 2)));
  });

  it('an unfinished large file and its parts survive a restart and can be finished', async () => {
    const un = await ok(s, 'b2_list_unfinished_large_files', { bucketId: saved.priv.bucketId });
    assert.deepEqual(
      un.files.map((f: Json) => f.fileId),
      [saved.unfinished.fileId],
    );
    const parts = await ok(s, 'b2_list_parts', { fileId: saved.unfinished.fileId });
    assert.deepEqual(
      parts.parts.map((p: Json) => [p.partNumber, p.contentSha1]),
      [[1, sha1(saved.part1)]],
    );
    const pu = await ok(s, 'b2_get_upload_part_url', { fileId: saved.unfinished.fileId });
    assert.equal((await uploadPart(pu, 2, Buffer.from('tail'))).status, 200);
    const done = await ok(s, 'b2_finish_large_file', {
      fileId: saved.unfinished.fileId,
      partSha1Array: [sha1(saved.part1), sha1('tail')],
    });
    assert.equal(done.contentLength, MIN + 4);
    const d = await fetchRaw(byIdUrl(s, done.fileId), { headers: { Authorization: s.token } });
    assert.ok(d.bytes.equals(Buffer.concat([saved.part1, Buffer.from('tail')])));
  });

  it('application keys survive a restart with their restrictions', async () => {
    const r = await authorizeRaw(emu.url, saved.key.applicationKeyId, saved.key.applicationKey, { version: 'v2' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.allowed.bucketId, saved.priv.bucketId);
    assert.equal(r.body.allowed.bucketName, saved.priv.bucketName);
  });

  it('the master key still authorizes after a restart, and new writes work', async () => {
    assert.equal((await authorizeRaw(emu.url, MASTER_KEY_ID, MASTER_KEY)).status, 200);
    const f = await upload(s, saved.pub.bucketId, 'docs/after.txt', 'after restart');
    assert.notEqual(f.fileId, saved.v1.fileId);
    const d = await fetchRaw(byIdUrl(s, f.fileId));
    assert.equal(d.bytes.toString(), 'after restart');
  });

  it('an upload cut off mid-body leaves no file, before or after a restart', async () => {
    const t = await ok(s, 'b2_get_upload_url', { bucketId: saved.pub.bucketId });
    const data = Buffer.alloc(200_000, 9);
    const p = partialPost(
      t.uploadUrl,
      {
        Authorization: t.authorizationToken,
        'X-Bz-File-Name': 'cut/off.bin',
        'Content-Type': 'b2/x-auto',
        'X-Bz-Content-Sha1': sha1(data),
      },
      data.length,
      data.subarray(0, 100_000),
    );
    await sleep(150);
    p.abort();
    await p.reply;
    await sleep(50);
    const before = await ok(s, 'b2_list_file_versions', { bucketId: saved.pub.bucketId, prefix: 'cut/' });
    assert.deepEqual(before.files, []);
    await emu.close();
    emu = await start({ dataDir: dir, minPartSize: MIN });
    s = await session(emu);
    const after = await ok(s, 'b2_list_file_versions', { bucketId: saved.pub.bucketId, prefix: 'cut/' });
    assert.deepEqual(after.files, []);
  });

  it('account tokens issued before a restart answer 401 bad_auth_token afterwards (docs/emulator.md choice)', async () => {
    const before = await session(emu);
    await emu.close();
    emu = await start({ dataDir: dir, minPartSize: MIN });
    s = await session(emu);
    const r = await call(s, 'b2_list_buckets', { accountId: s.accountId }, { token: before.token });
    assertError(r, 401, 'bad_auth_token');
  });

  it('a deletion made after a restart persists across another restart', async () => {
    await ok(s, 'b2_delete_file_version', { fileId: saved.hide.fileId, fileName: 'docs/hidden.txt' });
    await emu.close();
    emu = await start({ dataDir: dir, minPartSize: MIN });
    s = await session(emu);
    const names = await ok(s, 'b2_list_file_names', { bucketId: saved.pub.bucketId, prefix: 'docs/hidden' });
    assert.deepEqual(
      names.files.map((f: Json) => f.fileId),
      [saved.gone.fileId],
    );
    const d = await fetchRaw(byNameUrl(s, saved.pub.bucketName, 'docs/hidden.txt'));
    assert.equal(d.bytes.toString(), 'hide me');
  });
});
