import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { B2Error, isAbortError } from '../../src/core/errors.js';
import { sha1Hex } from '../../src/core/sha1.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import type { B2Client } from '../../src/client/b2-client.js';
import type { Bucket, FileVersion } from '../../src/wire/types.js';
import { bucketName, calls, makeClient, startTestEmulator } from './fixture.js';

let emu: RunningEmulator;
let c: B2Client;
let bucket: Bucket;
let file: FileVersion;
const body = Buffer.from('0123456789abcdefghij');

before(async () => {
  emu = await startTestEmulator();
  c = makeClient(emu);
  bucket = await c.createBucket({ bucketName: bucketName('dl'), bucketType: 'allPrivate' });
  file = await c.uploadFile({
    bucketId: bucket.bucketId,
    fileName: 'dir/the file+1.txt',
    body,
    contentLength: body.length,
    contentType: 'text/plain',
    info: { src_last_modified_millis: '1234', note: 'a b+c/é' },
  });
});
after(async () => {
  await c?.close();
  await emu?.close();
});

async function text(r: { body: NodeJS.ReadableStream }): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const ch of r.body) chunks.push(ch as Buffer);
  return Buffer.concat(chunks).toString();
}

test('download by name: X-Bz headers parsed, info decoded, body streamed', async () => {
  const d = await c.downloadByName(bucket.bucketName, 'dir/the file+1.txt');
  assert.equal(d.status, 200);
  assert.equal(d.fileId, file.fileId);
  assert.equal(d.fileName, 'dir/the file+1.txt');
  assert.equal(d.contentLength, 20);
  assert.equal(d.totalLength, 20);
  assert.equal(d.contentSha1, sha1Hex(body));
  assert.match(d.contentType, /^text\/plain/);
  assert.equal(d.uploadTimestamp, file.uploadTimestamp);
  assert.deepEqual(d.info, { src_last_modified_millis: '1234', note: 'a b+c/é' });
  assert.equal(await text(d), body.toString());
});

test('download by id with a range: 206, the slice, and the total from Content-Range', async () => {
  const d = await c.downloadById(file.fileId!, { range: { start: 5, end: 8 } });
  assert.equal(d.status, 206);
  assert.equal(d.contentLength, 4);
  assert.equal(d.totalLength, 20);
  assert.equal(await text(d), '5678');
  const tail = await c.downloadById(file.fileId!, { range: { start: 15 } });
  assert.equal(await text(tail), 'fghij');
});

test('a range past the end is 416 and not retried', async () => {
  emu.controls.resetCounters();
  await assert.rejects(
    c.downloadById(file.fileId!, { range: { start: 100, end: 200 } }),
    (e) => e instanceof B2Error && e.status === 416,
  );
  assert.equal(calls(emu, 'b2_download_file_by_id'), 1);
});

test('a 503 before the body starts is retried', async () => {
  emu.controls.resetCounters();
  emu.controls.injectFault({ call: 'b2_download_file_by_name', status: 503, code: 'service_unavailable' });
  const d = await c.downloadByName(bucket.bucketName, 'dir/the file+1.txt');
  assert.equal(await text(d), body.toString());
  assert.equal(calls(emu, 'b2_download_file_by_name'), 2);
});

test('download re-authorizes once when the account token expired', async () => {
  emu.controls.resetCounters();
  emu.controls.expireAllTokens();
  const d = await c.downloadById(file.fileId!);
  assert.equal(await text(d), body.toString());
  assert.equal(calls(emu, 'b2_authorize_account'), 1);
});

test('headFileByName returns headers without a body, and undefined for a missing name', async () => {
  const h = await c.headFileByName(bucket.bucketName, 'dir/the file+1.txt');
  assert.ok(h);
  assert.equal(h.fileId, file.fileId);
  assert.equal(h.contentLength, 20);
  assert.equal(h.info.note, 'a b+c/é');
  assert.equal(await c.headFileByName(bucket.bucketName, 'no/such file'), undefined);
});

test('download of a missing name is a 404 B2Error', async () => {
  await assert.rejects(c.downloadByName(bucket.bucketName, 'missing'), (e) => e instanceof B2Error && e.status === 404);
});

test('download authorization: duration clamped, share URL works for odd names without other credentials', async () => {
  const names = [
    'odd/sp ace.txt',
    'odd/100%.txt',
    'odd/a+b.txt',
    'odd/hash#tag.txt',
    'odd/ünï😀.txt',
    'odd/q?x=1&y.txt',
  ];
  for (const n of names)
    await c.uploadFile({
      bucketId: bucket.bucketId,
      fileName: n,
      body: Buffer.from(n),
      contentLength: Buffer.byteLength(n),
    });
  const auth = await c.getDownloadAuthorization({
    bucketId: bucket.bucketId,
    fileNamePrefix: 'odd/',
    validDurationInSeconds: 30 * 24 * 3600,
  });
  assert.equal(auth.validDurationInSeconds, 604800);
  assert.equal(auth.clamped, true);
  assert.equal(auth.fileNamePrefix, 'odd/');
  for (const n of names) {
    const url = await c.downloadUrlByName(bucket.bucketName, n, auth.authorizationToken);
    assert.ok(!url.includes(' ') && !url.includes('#'), url);
    const res = await request(url);
    const got = await res.body.text();
    assert.equal(res.statusCode, 200, `${n}: ${got}`);
    assert.equal(got, n);
  }
  const unauth = await request(await c.downloadUrlByName(bucket.bucketName, names[0]));
  await unauth.body.dump();
  assert.equal(unauth.statusCode, 401, 'a private bucket needs the token');
  const short = await c.getDownloadAuthorization({
    bucketId: bucket.bucketId,
    fileNamePrefix: '',
    validDurationInSeconds: 0,
  });
  assert.equal(short.validDurationInSeconds, 1);
});

test('aborting a download stops the body stream', async () => {
  const big = Buffer.alloc(2_000_000, 1);
  const f = await c.uploadFile({
    bucketId: bucket.bucketId,
    fileName: 'big.bin',
    body: big,
    contentLength: big.length,
  });
  const ac = new AbortController();
  const d = await c.downloadById(f.fileId!, { signal: ac.signal });
  ac.abort();
  await assert.rejects(text(d), (e) => isAbortError(e) || (e as Error).name === 'AbortError');
});

test('close() does not hang on a download whose body was never read', async () => {
  const other = makeClient(emu);
  const big = Buffer.alloc(3_000_000, 2);
  const f = await other.uploadFile({
    bucketId: bucket.bucketId,
    fileName: 'unread.bin',
    body: big,
    contentLength: big.length,
  });
  const d = await other.downloadById(f.fileId!);
  d.body.on('error', () => undefined);
  const t0 = Date.now();
  await other.close();
  assert.ok(Date.now() - t0 < 5000);
});
