/** Conformance: bad input gets B2's JSON error and the server keeps serving (§13, issue 2). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  call,
  getUploadUrl,
  makeBucket,
  ok,
  partialPost,
  rawHttp,
  session,
  sha1,
  sleep,
  start,
  uploadTo,
  type Json,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

describe('spec: robustness', () => {
  let emu: RunningEmulator;
  let s: Session;
  let bucket: Json;
  let host: string;

  /** A follow-up call that must work after each abuse. */
  async function stillServing(): Promise<void> {
    const r = await ok(s, 'b2_list_buckets', { accountId: s.accountId });
    assert.ok(Array.isArray(r.buckets));
  }
  async function fileNames(prefix: string): Promise<string[]> {
    const r = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix });
    return r.files.map((f: Json) => f.fileName);
  }
  function jsonPost(path: string, body: string, extra = ''): string {
    return `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${s.token}\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  }

  before(async () => {
    emu = await start();
    s = await session(emu);
    bucket = await makeBucket(s);
    host = new URL(s.apiUrl).host;
  });
  after(async () => {
    await emu.close();
  });

  it('malformed JSON answers 400 with a JSON error body, and the server keeps serving', async () => {
    const r = await fetch(`${s.apiUrl}/b2api/v4/b2_list_buckets`, {
      method: 'POST',
      headers: { Authorization: s.token, 'Content-Type': 'application/json' },
      body: '{"accountId": ',
    });
    assert.equal(r.status, 400);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await r.json()) as Json;
    assert.equal(body.status, 400);
    assert.equal(body.code, 'bad_json');
    assert.equal(typeof body.message, 'string');
    await stillServing();
  });

  it('JSON success responses carry Content-Type application/json and Cache-Control no-store', async () => {
    const r = await fetch(`${s.apiUrl}/b2api/v4/b2_list_buckets`, {
      method: 'POST',
      headers: { Authorization: s.token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ accountId: s.accountId }),
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/i);
    assert.match(r.headers.get('cache-control') ?? '', /no-store/);
    await r.text();
  });

  it('a JSON body that is not an object answers 400', async () => {
    for (const raw of ['[]', '"text"', '42', 'null']) {
      const r = await fetch(`${s.apiUrl}/b2api/v4/b2_list_buckets`, {
        method: 'POST',
        headers: { Authorization: s.token, 'Content-Type': 'application/json' },
        body: raw,
      });
      assert.equal(r.status, 400, raw);
      assert.equal(((await r.json()) as Json).status, 400);
    }
    await stillServing();
  });

  it('a missing required parameter answers 400 bad_request', async () => {
    assertError(await call(s, 'b2_list_file_names', {}), 400, 'bad_request');
    assertError(await call(s, 'b2_get_upload_url', {}), 400, 'bad_request');
    assertError(
      await call(s, 'b2_start_large_file', { bucketId: bucket.bucketId, contentType: 'b2/x-auto' }),
      400,
      'bad_request',
    );
    await stillServing();
  });

  it('a wrong-typed parameter answers 400 bad_request', async () => {
    assertError(await call(s, 'b2_list_file_names', { bucketId: 12345 }), 400, 'bad_request');
    assertError(
      await call(s, 'b2_list_file_names', { bucketId: bucket.bucketId, maxFileCount: 'ten' }),
      400,
      'bad_request',
    );
    assertError(
      await call(s, 'b2_list_file_names', { bucketId: bucket.bucketId, maxFileCount: 1.5 }),
      400,
      'bad_request',
    );
    assertError(
      await call(s, 'b2_list_buckets', { accountId: s.accountId, bucketTypes: 'allPublic' }),
      400,
      'bad_request',
    );
    assertError(
      await call(s, 'b2_start_large_file', {
        bucketId: bucket.bucketId,
        fileName: 'x',
        contentType: 'b2/x-auto',
        fileInfo: 'nope',
      }),
      400,
      'bad_request',
    );
    assertError(await call(s, 'b2_finish_large_file', { fileId: 'x', partSha1Array: 'nope' }), 400, 'bad_request');
    await stillServing();
  });

  it('an unknown call answers 404 not_found as JSON', async () => {
    for (const path of ['/b2api/v4/b2_no_such_call', '/b2api/v9/b2_list_buckets', '/nowhere']) {
      const r = await fetch(`${s.apiUrl}${path}`, {
        method: 'POST',
        headers: { Authorization: s.token, 'Content-Type': 'application/json' },
        body: '{}',
      });
      assert.equal(r.status, 404, path);
      const body = (await r.json()) as Json;
      assert.equal(body.status, 404);
      assert.equal(body.code, 'not_found');
    }
    await stillServing();
  });

  it('a wrong HTTP method answers 405 method_not_allowed as JSON', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const r = await fetch(`${s.apiUrl}/b2api/v4/b2_list_buckets`, { method, headers: { Authorization: s.token } });
      assert.equal(r.status, 405, method);
      const body = (await r.json()) as Json;
      assert.equal(body.status, 405);
      assert.equal(body.code, 'method_not_allowed');
      assert.ok(r.headers.get('allow'), 'a 405 carries an Allow header');
    }
    await stillServing();
  });

  it('GET on an upload URL answers 405 method_not_allowed', async () => {
    const t = await getUploadUrl(s, bucket.bucketId);
    const r = await fetch(t.uploadUrl, { headers: { Authorization: t.authorizationToken } });
    assert.equal(r.status, 405);
    assert.equal(((await r.json()) as Json).code, 'method_not_allowed');
  });

  it('huge request headers answer 400 bad_request as JSON and the server keeps serving', async () => {
    const raw = `POST /b2api/v4/b2_list_buckets HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${s.token}\r\nX-Huge: ${'a'.repeat(80_000)}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`;
    const r = await rawHttp(s.apiUrl, raw);
    assert.equal(r.status, 400);
    const body = JSON.parse(r.body);
    assert.equal(body.status, 400);
    assert.equal(body.code, 'bad_request');
    await stillServing();
  });

  it('a JSON body shorter than Content-Length, then the client closes: the server keeps serving', async () => {
    const p = partialPost(
      `${s.apiUrl}/b2api/v4/b2_list_buckets`,
      { Authorization: s.token, 'Content-Type': 'application/json' },
      100,
      Buffer.from('{"accountId":'),
    );
    await sleep(100);
    p.abort();
    await p.reply;
    await stillServing();
  });

  it('an upload body shorter than Content-Length, then the client closes: no file appears and uploads still work', async () => {
    const t = await getUploadUrl(s, bucket.bucketId);
    const data = Buffer.alloc(50_000, 3);
    const p = partialPost(
      t.uploadUrl,
      {
        Authorization: t.authorizationToken,
        'X-Bz-File-Name': 'short/cut.bin',
        'Content-Type': 'b2/x-auto',
        'X-Bz-Content-Sha1': sha1(data),
      },
      data.length,
      data.subarray(0, 20_000),
    );
    await sleep(100);
    p.abort();
    await p.reply;
    await sleep(50);
    assert.deepEqual(await fileNames('short/'), []);
    const versions = await ok(s, 'b2_list_file_versions', { bucketId: bucket.bucketId, prefix: 'short/' });
    assert.deepEqual(versions.files, []);
    const t2 = await getUploadUrl(s, bucket.bucketId);
    const r = await uploadTo(t2, 'short/ok.bin', data);
    assert.equal(r.status, 200, r.text);
  });

  it('an upload body shorter than Content-Length with the write side half-closed stores nothing', async () => {
    const t = await getUploadUrl(s, bucket.bucketId);
    const u = new URL(t.uploadUrl);
    const raw =
      `POST ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${t.authorizationToken}\r\nX-Bz-File-Name: half/closed.bin\r\n` +
      `Content-Type: b2/x-auto\r\nX-Bz-Content-Sha1: ${sha1('0123456789')}\r\nContent-Length: 10\r\n\r\n01234`;
    const r = await rawHttp(t.uploadUrl, raw, { endAfterWrite: true, waitMs: 1500 });
    if (r.status) assert.ok(r.status >= 400, `status ${r.status}`);
    assert.deepEqual(await fileNames('half/'), []);
    await stillServing();
  });

  it('a JSON body longer than Content-Length: the declared bytes are the request, and the server keeps serving', async () => {
    const body = JSON.stringify({ accountId: s.accountId });
    const raw = `POST /b2api/v4/b2_list_buckets HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${s.token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}TRAILING-GARBAGE-NOT-HTTP\r\n\r\n`;
    const r = await rawHttp(s.apiUrl, raw);
    assert.equal(r.status, 200, r.head);
    assert.ok(Array.isArray(JSON.parse(r.body).buckets));
    await stillServing();
  });

  it('an upload body longer than Content-Length stores exactly the declared bytes', async () => {
    const t = await getUploadUrl(s, bucket.bucketId);
    const u = new URL(t.uploadUrl);
    const raw =
      `POST ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${t.authorizationToken}\r\nX-Bz-File-Name: long/body.txt\r\n` +
      `Content-Type: text/plain\r\nX-Bz-Content-Sha1: ${sha1('hello')}\r\nContent-Length: 5\r\n\r\nhelloEXTRA-BYTES-BEYOND`;
    const r = await rawHttp(t.uploadUrl, raw);
    assert.equal(r.status, 200, r.head + r.body);
    const f = JSON.parse(r.body);
    assert.equal(f.contentLength, 5);
    assert.equal(f.contentSha1, sha1('hello'));
    await stillServing();
  });

  it('an upload whose Content-Length disagrees with the SHA-1 of the bytes sent is rejected (400)', async () => {
    const t = await getUploadUrl(s, bucket.bucketId);
    const u = new URL(t.uploadUrl);
    // declares 8 bytes, SHA-1 of the 10 bytes the client "meant"
    const raw =
      `POST ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${t.authorizationToken}\r\nX-Bz-File-Name: mismatch/len.txt\r\n` +
      `Content-Type: text/plain\r\nX-Bz-Content-Sha1: ${sha1('0123456789')}\r\nContent-Length: 8\r\nConnection: close\r\n\r\n0123456789`;
    const r = await rawHttp(t.uploadUrl, raw);
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).status, 400);
    assert.deepEqual(await fileNames('mismatch/'), []);
  });

  it('a malformed percent-encoding in X-Bz-File-Name answers 400', async () => {
    const t = await getUploadUrl(s, bucket.bucketId);
    for (const raw of ['bad%ZZname', 'bad%E2%82', 'trail%']) {
      const r = await uploadTo(t, '', 'x', { rawName: raw });
      assertError(r, 400);
    }
    await stillServing();
  });

  it('an upload without an Authorization header answers 401', async () => {
    const t = await getUploadUrl(s, bucket.bucketId);
    const r = await fetch(t.uploadUrl, {
      method: 'POST',
      headers: { 'X-Bz-File-Name': 'noauth.txt', 'Content-Type': 'text/plain', 'X-Bz-Content-Sha1': sha1('x') },
      body: 'x',
    });
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as Json).status, 401);
  });

  it('an unparsable request (bad Content-Length, garbage request line) answers 400 with a JSON body', async () => {
    for (const raw of [
      `POST /b2api/v4/b2_list_buckets HTTP/1.1\r\nHost: ${host}\r\nContent-Length: abc\r\n\r\n`,
      'GARBAGE\r\n\r\n',
    ]) {
      const r = await rawHttp(s.apiUrl, raw);
      assert.equal(r.status, 400, JSON.stringify(raw));
      assert.equal(JSON.parse(r.body).status, 400);
    }
    await stillServing();
  });

  it('an upload or part declaring more than 5 GiB answers 400 at once, without waiting for the body', async () => {
    const t = await getUploadUrl(s, bucket.bucketId);
    const u = new URL(t.uploadUrl);
    const t0 = Date.now();
    const r = await rawHttp(
      t.uploadUrl,
      `POST ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${t.authorizationToken}\r\nX-Bz-File-Name: huge.bin\r\n` +
        `Content-Type: b2/x-auto\r\nX-Bz-Content-Sha1: do_not_verify\r\nContent-Length: ${5 * 1024 ** 3 + 1}\r\n\r\nabc`,
      { waitMs: 2500 },
    );
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).status, 400);
    assert.ok(Date.now() - t0 < 2000);
    const lf = await ok(s, 'b2_start_large_file', {
      bucketId: bucket.bucketId,
      fileName: 'huge-part.bin',
      contentType: 'b2/x-auto',
    });
    const pu = await ok(s, 'b2_get_upload_part_url', { fileId: lf.fileId });
    const pu2 = new URL(pu.uploadUrl);
    const p = await rawHttp(
      pu.uploadUrl,
      `POST ${pu2.pathname}${pu2.search} HTTP/1.1\r\nHost: ${pu2.host}\r\nAuthorization: ${pu.authorizationToken}\r\nX-Bz-Part-Number: 1\r\n` +
        `X-Bz-Content-Sha1: ${sha1('x')}\r\nContent-Length: ${5 * 1024 ** 3 + 1}\r\n\r\nabc`,
      { waitMs: 2500 },
    );
    assert.equal(p.status, 400);
    assert.equal(JSON.parse(p.body).status, 400);
  });

  it('JSON calls may be made as GET with query parameters, writes included', async () => {
    const name = `get-made-${Date.now().toString(36)}`;
    const b = await ok(
      s,
      'b2_create_bucket',
      { accountId: s.accountId, bucketName: name, bucketType: 'allPrivate' },
      { method: 'GET' },
    );
    assert.equal(b.bucketName, name);
    const u = await ok(s, 'b2_get_upload_url', { bucketId: b.bucketId }, { method: 'GET' });
    assert.equal(u.bucketId, b.bucketId);
    await ok(s, 'b2_delete_bucket', { accountId: s.accountId, bucketId: b.bucketId }, { method: 'GET' });
  });

  it('many bad requests in a row do not disturb the server', async () => {
    const bad = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        rawHttp(s.apiUrl, i % 2 ? jsonPost('/b2api/v4/b2_list_buckets', '{not json') : 'GARBAGE / NOT-HTTP\r\n\r\n', {
          waitMs: 2000,
        }),
      ),
    );
    assert.ok(bad.every((r) => r.status === 0 || r.status >= 400));
    assert.ok(bad.filter((_, i) => i % 2).every((r) => r.status === 400));
    await stillServing();
    const t = await getUploadUrl(s, bucket.bucketId);
    const up = await uploadTo(t, 'after/storm.txt', 'ok');
    assert.equal(up.status, 200, up.text);
  });
});
