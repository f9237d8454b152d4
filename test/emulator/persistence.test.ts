/** --data mode: state survives a restart (clean or crash), and an aborted upload never becomes visible. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startEmulator } from '../../src/emulator/index.js';
import {
  assertError,
  b2Encode,
  byIdUrl,
  byNameUrl,
  call,
  fetchRaw,
  getUploadUrl,
  makeBucket,
  ok,
  session,
  sha1,
  uploadOk,
  uploadPart,
  type Session,
} from './spec-helpers.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'b2sync-emu-data-'));
  dirs.push(d);
  return d;
}

async function allBlobs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const shard of await readdir(join(dir, 'blobs'))) out.push(...(await readdir(join(dir, 'blobs', shard))));
  return out;
}

/** Retry an assertion for up to 3 s (cleanup after a cut connection is asynchronous). */
async function eventually(check: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await check();
    } catch (err) {
      if (i >= 60) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Send the headers and part of an upload body, then cut the connection. */
async function abortedUpload(
  uploadUrl: string,
  token: string,
  name: string,
  total: number,
  sent: Buffer,
): Promise<void> {
  const u = new URL(uploadUrl);
  const sock = connect(Number(u.port), u.hostname);
  await once(sock, 'connect');
  sock.write(
    `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${token}\r\nX-Bz-File-Name: ${b2Encode(name)}\r\n` +
      `Content-Type: b2/x-auto\r\nX-Bz-Content-Sha1: do_not_verify\r\nContent-Length: ${total}\r\n\r\n`,
  );
  await new Promise<void>((resolve) => sock.write(sent, () => resolve()));
  await new Promise((r) => setTimeout(r, 100));
  sock.destroy();
  await new Promise((r) => setTimeout(r, 100));
}

describe('--data mode', () => {
  it('keeps buckets, files, versions, large files, copies, keys and the master key across a restart', async () => {
    const dir = await dataDir();
    let emu = await startEmulator({ port: 0, dataDir: dir, minPartSize: 5 });
    const master = { keyId: emu.keyId, key: emu.applicationKey };
    let s: Session = await session(emu, master.keyId, master.key);
    const priv = await makeBucket(s);
    const pub = await makeBucket(s, 'allPublic');
    const t = await getUploadUrl(s, priv.bucketId);
    const v1 = await uploadOk(t, 'docs/a.txt', 'first', { info: { src_last_modified_millis: '1000' } });
    await uploadOk(t, 'docs/a.txt', 'second');
    await uploadOk(t, 'gone.txt', 'hide me');
    await ok(s, 'b2_hide_file', { bucketId: priv.bucketId, fileName: 'gone.txt' });
    await uploadOk(await getUploadUrl(s, pub.bucketId), 'public.txt', 'hello');

    const parts = [Buffer.from('0123456789'), Buffer.from('abc')];
    const large = await ok(s, 'b2_start_large_file', {
      bucketId: priv.bucketId,
      fileName: 'big.bin',
      contentType: 'b2/x-auto',
      fileInfo: { large_file_sha1: sha1(Buffer.concat(parts)) },
    });
    const pt = await ok(s, 'b2_get_upload_part_url', { fileId: large.fileId });
    for (const [i, p] of parts.entries()) assert.equal((await uploadPart(pt, i + 1, p)).status, 200);
    const big = await ok(s, 'b2_finish_large_file', { fileId: large.fileId, partSha1Array: parts.map((p) => sha1(p)) });
    const copy = await ok(s, 'b2_copy_file', {
      sourceFileId: big.fileId,
      fileName: 'big-tail.bin',
      range: 'bytes=8-12',
    });
    const unfinished = await ok(s, 'b2_start_large_file', {
      bucketId: priv.bucketId,
      fileName: 'half.bin',
      contentType: 'b2/x-auto',
    });
    const ut = await ok(s, 'b2_get_upload_part_url', { fileId: unfinished.fileId });
    assert.equal((await uploadPart(ut, 1, Buffer.from('part one'))).status, 200);
    const key = await ok(s, 'b2_create_key', {
      accountId: s.accountId,
      capabilities: ['listBuckets', 'listFiles', 'readFiles'],
      keyName: 'reader',
    });

    const versionsBefore = await ok(s, 'b2_list_file_versions', { bucketId: priv.bucketId });
    const oldToken = s.token;
    await emu.close();

    emu = await startEmulator({ port: 0, dataDir: dir, minPartSize: 5 });
    try {
      assert.deepEqual(
        { keyId: emu.keyId, key: emu.applicationKey },
        master,
        'the data directory remembers the master key',
      );
      assertError(
        await call({ ...s, apiUrl: emu.url, token: oldToken }, 'b2_list_buckets', { accountId: s.accountId }),
        401,
        'bad_auth_token',
      );
      s = await session(emu, master.keyId, master.key);
      const buckets = (await ok(s, 'b2_list_buckets', { accountId: s.accountId })).buckets
        .map((b: any) => b.bucketName)
        .sort();
      assert.deepEqual(buckets, [priv.bucketName, pub.bucketName].sort());
      assert.deepEqual(await ok(s, 'b2_list_file_versions', { bucketId: priv.bucketId }), versionsBefore);
      const names = (await ok(s, 'b2_list_file_names', { bucketId: priv.bucketId })).files.map((f: any) => f.fileName);
      assert.deepEqual(names, ['big-tail.bin', 'big.bin', 'docs/a.txt']);

      const dl = (url: string) =>
        fetchRaw(url, { headers: { Authorization: s.token } }).then((r) => r.bytes.toString());
      assert.equal(await dl(byNameUrl(s, priv.bucketName, 'docs/a.txt')), 'second');
      assert.equal(await dl(byIdUrl(s, v1.fileId)), 'first');
      assert.equal(await dl(byNameUrl(s, priv.bucketName, 'big.bin')), '0123456789abc');
      assert.equal(await dl(byIdUrl(s, copy.fileId)), '89abc');
      assert.equal((await fetchRaw(byNameUrl(s, pub.bucketName, 'public.txt'))).bytes.toString(), 'hello');
      assert.equal(
        (await fetchRaw(byNameUrl(s, priv.bucketName, 'gone.txt'), { headers: { Authorization: s.token } })).status,
        404,
      );

      const pending = await ok(s, 'b2_list_unfinished_large_files', { bucketId: priv.bucketId });
      assert.deepEqual(
        pending.files.map((f: any) => f.fileId),
        [unfinished.fileId],
      );
      assert.equal(
        (await ok(s, 'b2_list_parts', { fileId: unfinished.fileId })).parts[0].contentSha1,
        sha1('part one'),
      );

      const reader = await session(emu, key.applicationKeyId, key.applicationKey);
      assert.equal((await ok(reader, 'b2_list_buckets', { accountId: reader.accountId })).buckets.length, 2);

      // New ids keep increasing after a restart: a new upload becomes the newest version.
      await uploadOk(await getUploadUrl(s, priv.bucketId), 'docs/a.txt', 'third');
      assert.equal(await dl(byNameUrl(s, priv.bucketName, 'docs/a.txt')), 'third');
      // Deleting a version removes its bytes from disk.
      const blobsBefore = (await allBlobs(dir)).length;
      await ok(s, 'b2_delete_file_version', { fileId: v1.fileId, fileName: 'docs/a.txt' });
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await allBlobs(dir)).length, blobsBefore - 1);
    } finally {
      await emu.close();
    }
  });

  it('an upload aborted mid-body leaves no visible file and no bytes behind', async () => {
    const dir = await dataDir();
    const emu = await startEmulator({ port: 0, dataDir: dir });
    try {
      const s = await session(emu, emu.keyId, emu.applicationKey);
      const bucket = await makeBucket(s);
      const t = await getUploadUrl(s, bucket.bucketId);
      await uploadOk(t, 'kept.txt', 'kept');
      const blobs = await allBlobs(dir);
      await abortedUpload(t.uploadUrl, t.authorizationToken, 'half.bin', 1_000_000, Buffer.alloc(300_000, 1));
      assert.deepEqual(
        (await ok(s, 'b2_list_file_versions', { bucketId: bucket.bucketId })).files.map((f: any) => f.fileName),
        ['kept.txt'],
      );
      await eventually(async () =>
        assert.deepEqual(await readdir(join(dir, 'tmp')), [], 'the partial temp file is removed'),
      );
      assert.deepEqual(await allBlobs(dir), blobs);
      // The upload URL's token was released by the aborted upload.
      await uploadOk(t, 'next.txt', 'next');
    } finally {
      await emu.close();
    }
  });

  it('multi-MiB uploads and parts are stored byte for byte; one aborted after MiBs leaves no temp file', async () => {
    const dir = await dataDir();
    let emu = await startEmulator({ port: 0, dataDir: dir, minPartSize: 5 });
    try {
      let s = await session(emu, emu.keyId, emu.applicationKey);
      const bucket = await makeBucket(s);
      const t = await getUploadUrl(s, bucket.bucketId);
      const data = randomBytes(9 * 1024 * 1024 + 12345);
      const f = await uploadOk(t, 'nine.bin', data, { sha1: 'end' });
      assert.equal(f.contentSha1, sha1(data));
      assert.equal(f.contentLength, data.length);
      const large = await ok(s, 'b2_start_large_file', {
        bucketId: bucket.bucketId,
        fileName: 'big.bin',
        contentType: 'b2/x-auto',
      });
      const pt = await ok(s, 'b2_get_upload_part_url', { fileId: large.fileId });
      const parts = [data.subarray(0, 6 * 1024 * 1024), data.subarray(6 * 1024 * 1024)];
      for (const [i, p] of parts.entries()) assert.equal((await uploadPart(pt, i + 1, p)).status, 200);
      await ok(s, 'b2_finish_large_file', { fileId: large.fileId, partSha1Array: parts.map((p) => sha1(p)) });
      await abortedUpload(t.uploadUrl, t.authorizationToken, 'cut.bin', 10_000_000, Buffer.alloc(6_000_000, 2));
      await eventually(async () =>
        assert.deepEqual(await readdir(join(dir, 'tmp')), [], 'the partial temp file is removed'),
      );
      await emu.close();
      emu = await startEmulator({ port: 0, dataDir: dir, minPartSize: 5 });
      s = await session(emu, emu.keyId, emu.applicationKey);
      const dl = (name: string) =>
        fetchRaw(byNameUrl(s, bucket.bucketName, name), { headers: { Authorization: s.token } }).then((r) => r.bytes);
      assert.ok((await dl('nine.bin')).equals(data));
      assert.ok((await dl('big.bin')).equals(data));
      assert.deepEqual(
        (await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId })).files.map((x: any) => x.fileName),
        ['big.bin', 'nine.bin'],
      );
    } finally {
      await emu.close();
    }
  });

  it('after a crash (SIGKILL) mid-upload, a restart shows every finished upload and nothing of the cut one', async () => {
    const dir = await dataDir();
    const script = `
      import { startEmulator } from './src/emulator/index.ts';
      const emu = await startEmulator({ port: 0, dataDir: process.argv[1], keyId: 'crash-key', applicationKey: 'crash-secret' });
      process.stdout.write(emu.url + '\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], {
      cwd: new URL('../..', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const url = line.toString().trim();
    const s = await session({ url }, 'crash-key', 'crash-secret');
    const bucket = await makeBucket(s);
    const t = await getUploadUrl(s, bucket.bucketId);
    for (let i = 0; i < 20; i++) await uploadOk(t, `done-${i}.txt`, `content ${i}`);
    const u = new URL(t.uploadUrl);
    const sock = connect(Number(u.port), u.hostname);
    await once(sock, 'connect');
    sock.write(
      `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${t.authorizationToken}\r\nX-Bz-File-Name: cut.bin\r\n` +
        `Content-Type: b2/x-auto\r\nX-Bz-Content-Sha1: do_not_verify\r\nContent-Length: 2000000\r\n\r\n`,
    );
    sock.write(Buffer.alloc(500_000, 2));
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGKILL');
    await once(child, 'exit');
    sock.destroy();

    const emu = await startEmulator({ port: 0, dataDir: dir, keyId: 'crash-key', applicationKey: 'crash-secret' });
    try {
      const s2 = await session(emu, 'crash-key', 'crash-secret');
      const names = (await ok(s2, 'b2_list_file_versions', { bucketId: bucket.bucketId })).files.map(
        (f: any) => f.fileName,
      );
      assert.deepEqual(names, Array.from({ length: 20 }, (_, i) => `done-${i}.txt`).sort());
      assert.deepEqual(await readdir(join(dir, 'tmp')), []);
      assert.equal((await allBlobs(dir)).length, 20);
      assert.equal(
        (
          await fetchRaw(byNameUrl(s2, bucket.bucketName, 'done-7.txt'), { headers: { Authorization: s2.token } })
        ).bytes.toString(),
        'content 7',
      );
    } finally {
      await emu.close();
    }
  });

  it('a journal line cut short by a crash is ignored; everything before it loads', async () => {
    const dir = await dataDir();
    let emu = await startEmulator({ port: 0, dataDir: dir, keyId: 'k', applicationKey: 'secret' });
    const s = await session(emu, 'k', 'secret');
    const bucket = await makeBucket(s);
    await emu.close();
    await appendFile(join(dir, 'journal.jsonl'), '{"t":"bucket","b":{"bucketId":"trunc');
    emu = await startEmulator({ port: 0, dataDir: dir, keyId: 'k', applicationKey: 'secret' });
    try {
      const s2 = await session(emu, 'k', 'secret');
      assert.deepEqual(
        (await ok(s2, 'b2_list_buckets', { accountId: s2.accountId })).buckets.map((b: any) => b.bucketId),
        [bucket.bucketId],
      );
    } finally {
      await emu.close();
    }
  });
});
