/** The test controls, programmatic and over HTTP: faults (error, drop, corrupt), latency, tokens, reset, counters. */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { CONTROL_PREFIX } from '../../src/emulator/api.js';
import {
  assertError,
  byNameUrl,
  call,
  fetchRaw,
  getUploadUrl,
  makeBucket,
  ok,
  session,
  sha1,
  start,
  uploadOk,
  uploadTo,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

let emu: RunningEmulator;
let s: Session;

beforeEach(async () => {
  emu = await start();
  s = await session(emu);
});
afterEach(() => emu.close());

async function control(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${emu.url}${CONTROL_PREFIX}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

/** Whether a request fails at the transport level (connection destroyed). */
async function dropped(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch {
    return true;
  }
}

describe('error faults', () => {
  it('fail the next `count` matching calls after skipping `after`, with status, code, message and Retry-After', async () => {
    emu.controls.injectFault({
      call: 'b2_list_buckets',
      status: 429,
      code: 'too_many_requests',
      message: 'slow down',
      retryAfter: 7,
      count: 2,
      after: 1,
    });
    await ok(s, 'b2_list_buckets', { accountId: s.accountId });
    for (let i = 0; i < 2; i++) {
      const r = await call(s, 'b2_list_buckets', { accountId: s.accountId });
      assertError(r, 429, 'too_many_requests');
      assert.equal(r.body.message, 'slow down');
      assert.equal(r.headers.get('retry-after'), '7');
    }
    await ok(s, 'b2_list_buckets', { accountId: s.accountId });
  });

  it('default to one 503 service_unavailable, and only for the named call', async () => {
    emu.controls.injectFault({ call: 'b2_get_upload_url' });
    const bucket = await makeBucket(s);
    assertError(await call(s, 'b2_get_upload_url', { bucketId: bucket.bucketId }), 503, 'service_unavailable');
    await ok(s, 'b2_get_upload_url', { bucketId: bucket.bucketId });
  });

  it('"*" matches any call, authorize and uploads included', async () => {
    const bucket = await makeBucket(s);
    const target = await getUploadUrl(s, bucket.bucketId);
    emu.controls.injectFault({ call: '*', status: 500, count: 2 });
    assertError(await uploadTo(target, 'x', 'data'), 500, 'internal_error');
    const auth = await fetch(`${emu.url}/b2api/v4/b2_authorize_account`, {
      headers: { Authorization: s.auth.authorizationToken },
    });
    assert.equal(auth.status, 500);
    await uploadOk(target, 'x', 'data');
  });

  it('clearFaults drops pending rules', async () => {
    emu.controls.injectFault({ call: 'b2_list_buckets', count: 5 });
    emu.controls.clearFaults();
    await ok(s, 'b2_list_buckets', { accountId: s.accountId });
  });
});

describe('drop faults', () => {
  it('an upload dropped mid-body leaves nothing visible, and its upload URL works again', async () => {
    const bucket = await makeBucket(s);
    const target = await getUploadUrl(s, bucket.bucketId);
    emu.controls.injectFault({ call: 'b2_upload_file', kind: 'drop' });
    const body = Buffer.alloc(256 * 1024, 7);
    const req = request(target.uploadUrl, {
      method: 'POST',
      headers: {
        authorization: target.authorizationToken,
        'x-bz-file-name': 'dropped.bin',
        'content-type': 'b2/x-auto',
        'x-bz-content-sha1': sha1(body),
      },
      body,
    }).then((r) => r.body.text());
    assert.ok(await dropped(req), 'the connection was dropped');
    const names = await ok(s, 'b2_list_file_versions', { bucketId: bucket.bucketId });
    assert.deepEqual(names.files, []);
    await uploadOk(target, 'after.bin', 'fine');
  });

  it('a part upload can be dropped too', async () => {
    const bucket = await makeBucket(s);
    const large = await ok(s, 'b2_start_large_file', {
      bucketId: bucket.bucketId,
      fileName: 'big',
      contentType: 'b2/x-auto',
    });
    const t = await ok(s, 'b2_get_upload_part_url', { fileId: large.fileId });
    emu.controls.injectFault({ call: 'b2_upload_part', kind: 'drop' });
    const body = Buffer.alloc(64 * 1024, 1);
    const send = () =>
      request(t.uploadUrl, {
        method: 'POST',
        headers: { authorization: t.authorizationToken, 'x-bz-part-number': '1', 'x-bz-content-sha1': sha1(body) },
        body,
      }).then((r) => r.body.json());
    assert.ok(await dropped(send()));
    assert.deepEqual((await ok(s, 'b2_list_parts', { fileId: large.fileId })).parts, []);
    assert.equal(((await send()) as any).partNumber, 1);
  });

  it('a download dropped mid-body sends part of the bytes and then cuts the connection', async () => {
    const bucket = await makeBucket(s);
    const data = Buffer.alloc(512 * 1024, 3);
    await uploadOk(await getUploadUrl(s, bucket.bucketId), 'f.bin', data);
    emu.controls.injectFault({ call: 'b2_download_file_by_name', kind: 'drop' });
    const r = await request(byNameUrl(s, bucket.bucketName, 'f.bin'), { headers: { authorization: s.token } });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-length'], String(data.length));
    let got = 0;
    const cut = await dropped(
      (async () => {
        for await (const chunk of r.body) got += (chunk as Buffer).length;
      })(),
    );
    assert.ok(cut, 'the body ended early with an error');
    assert.ok(got < data.length, `received ${got} of ${data.length}`);
    assert.equal(
      (await fetchRaw(byNameUrl(s, bucket.bucketName, 'f.bin'), { headers: { Authorization: s.token } })).bytes.length,
      data.length,
    );
  });

  it('a JSON call dropped gets no answer at all', async () => {
    emu.controls.injectFault({ call: 'b2_list_buckets', kind: 'drop' });
    assert.ok(await dropped(call(s, 'b2_list_buckets', { accountId: s.accountId })));
    await ok(s, 'b2_list_buckets', { accountId: s.accountId });
  });
});

describe('cut faults', () => {
  it('a JSON call cut is carried out, then its reply stops part-way under a full Content-Length', async () => {
    const bucket = await makeBucket(s);
    const data = Buffer.from('cut me');
    await uploadOk(await getUploadUrl(s, bucket.bucketId), 'kept.txt', data);
    // A cut rule does not fire on downloads.
    emu.controls.injectFault({ call: '*', kind: 'cut' });
    assert.deepEqual(
      (await fetchRaw(byNameUrl(s, bucket.bucketName, 'kept.txt'), { headers: { Authorization: s.token } })).bytes,
      data,
    );
    const r = await request(`${s.apiUrl}/b2api/v4/b2_hide_file`, {
      method: 'POST',
      headers: { authorization: s.token },
      body: JSON.stringify({ bucketId: bucket.bucketId, fileName: 'kept.txt' }),
    });
    assert.equal(r.statusCode, 200);
    const promised = Number(r.headers['content-length']);
    let got = 0;
    const cut = await dropped(
      (async () => {
        for await (const chunk of r.body) got += (chunk as Buffer).length;
      })(),
    );
    assert.ok(cut, 'the reply ended early with an error');
    assert.ok(got > 0 && got < promised, `received ${got} of ${promised}`);
    // The call took effect: the name is hidden.
    assert.deepEqual((await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId })).files, []);
  });
  it('an upload cut is stored, then its reply stops part-way (a lost reply to b2_upload_file)', async () => {
    const bucket = await makeBucket(s);
    const target = await getUploadUrl(s, bucket.bucketId);
    emu.controls.injectFault({ call: 'b2_upload_file', kind: 'cut' });
    const data = Buffer.from('stored, but the client never hears of it');
    const r = await request(target.uploadUrl, {
      method: 'POST',
      headers: {
        authorization: target.authorizationToken,
        'x-bz-file-name': 'lost-reply.txt',
        'content-type': 'text/plain',
        'x-bz-content-sha1': sha1(data),
      },
      body: data,
    });
    assert.equal(r.statusCode, 200);
    const promised = Number(r.headers['content-length']);
    let got = 0;
    const cut = await dropped(
      (async () => {
        for await (const chunk of r.body) got += (chunk as Buffer).length;
      })(),
    );
    assert.ok(cut, 'the reply ended early with an error');
    assert.ok(got > 0 && got < promised, `received ${got} of ${promised}`);
    const files = (await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId })).files;
    assert.deepEqual(
      files.map((f: { fileName: string; contentSha1: string }) => [f.fileName, f.contentSha1]),
      [['lost-reply.txt', sha1(data)]],
    );
  });
});

describe('corrupt faults', () => {
  it('flip one byte of a download body while the headers keep the true SHA-1', async () => {
    const bucket = await makeBucket(s);
    const data = Buffer.from('the quick brown fox jumps over the lazy dog');
    const f = await uploadOk(await getUploadUrl(s, bucket.bucketId), 'fox.txt', data);
    emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt' });
    // A corrupt rule does not fire on non-download calls, nor on the other download form.
    await ok(s, 'b2_get_file_info', { fileId: f.fileId });
    assert.deepEqual(
      (await fetchRaw(byNameUrl(s, bucket.bucketName, 'fox.txt'), { headers: { Authorization: s.token } })).bytes,
      data,
    );
    const r = await fetchRaw(`${s.downloadUrl}/b2api/v4/b2_download_file_by_id?fileId=${f.fileId}`, {
      headers: { Authorization: s.token },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-bz-content-sha1'), sha1(data));
    assert.equal(r.bytes.length, data.length);
    assert.notDeepEqual(r.bytes, data);
    assert.equal([...r.bytes].filter((b, i) => b !== data[i]).length, 1);
    assert.notEqual(sha1(r.bytes), sha1(data));
    // One-shot: the next download is clean.
    const again = await fetchRaw(`${s.downloadUrl}/b2api/v4/b2_download_file_by_id?fileId=${f.fileId}`, {
      headers: { Authorization: s.token },
    });
    assert.deepEqual(again.bytes, data);
  });
});

describe('latency, tokens, reset, counters', () => {
  it('latency delays every B2 response', async () => {
    emu.controls.setLatency(200);
    let t0 = performance.now();
    await ok(s, 'b2_list_buckets', { accountId: s.accountId });
    assert.ok(performance.now() - t0 >= 190, 'delayed');
    emu.controls.setLatency(0);
    t0 = performance.now();
    await ok(s, 'b2_list_buckets', { accountId: s.accountId });
  });

  it('expireAllTokens expires account, upload and download tokens; a new authorize works', async () => {
    const bucket = await makeBucket(s);
    const target = await getUploadUrl(s, bucket.bucketId);
    await uploadOk(target, 'a.txt', 'a');
    const dl = await ok(s, 'b2_get_download_authorization', {
      bucketId: bucket.bucketId,
      fileNamePrefix: '',
      validDurationInSeconds: 3600,
    });
    emu.controls.expireAllTokens();
    assertError(await call(s, 'b2_list_buckets', { accountId: s.accountId }), 401, 'expired_auth_token');
    assertError(await uploadTo(target, 'b.txt', 'b'), 401, 'expired_auth_token');
    const r = await fetchRaw(byNameUrl(s, bucket.bucketName, 'a.txt'), {
      headers: { Authorization: dl.authorizationToken },
    });
    assert.equal(r.status, 401);
    assert.equal(r.body.code, 'expired_auth_token');
    const fresh = await session(emu);
    await ok(fresh, 'b2_list_buckets', { accountId: fresh.accountId });
  });

  it('reset drops buckets, files, keys, tokens, faults and counters but keeps the master key', async () => {
    const bucket = await makeBucket(s);
    await uploadOk(await getUploadUrl(s, bucket.bucketId), 'a.txt', 'a');
    await ok(s, 'b2_create_key', { accountId: s.accountId, capabilities: ['listBuckets'], keyName: 'k1' });
    emu.controls.injectFault({ call: 'b2_list_buckets', count: 10 });
    await emu.controls.reset();
    assertError(await call(s, 'b2_list_buckets', { accountId: s.accountId }), 401, 'bad_auth_token');
    assert.deepEqual(emu.controls.counters(), { calls: { b2_list_buckets: 1 }, classes: { A: 0, B: 0, C: 1 } });
    const fresh = await session(emu);
    assert.deepEqual((await ok(fresh, 'b2_list_buckets', { accountId: fresh.accountId })).buckets, []);
    assert.deepEqual((await ok(fresh, 'b2_list_keys', { accountId: fresh.accountId })).keys, []);
  });

  it('counters count calls by name and billing class', async () => {
    emu.controls.resetCounters();
    const bucket = await makeBucket(s);
    const target = await getUploadUrl(s, bucket.bucketId);
    await uploadOk(target, 'a.txt', 'a');
    await fetchRaw(byNameUrl(s, bucket.bucketName, 'a.txt'), { headers: { Authorization: s.token } });
    await fetchRaw(byNameUrl(s, bucket.bucketName, 'a.txt'), { method: 'HEAD', headers: { Authorization: s.token } });
    await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId });
    const c = emu.controls.counters();
    assert.deepEqual(c.calls, {
      b2_create_bucket: 1,
      b2_get_upload_url: 1,
      b2_upload_file: 1,
      b2_download_file_by_name: 2,
      b2_list_file_names: 1,
    });
    assert.deepEqual(c.classes, { A: 2, B: 2, C: 2 });
    emu.controls.resetCounters();
    assert.deepEqual(emu.controls.counters(), { calls: {}, classes: { A: 0, B: 0, C: 0 } });
  });
});

describe('controls over HTTP', () => {
  it('every control route works and answers JSON', async () => {
    emu.controls.resetCounters();
    assert.deepEqual(await control('POST', '/faults', { call: 'b2_list_buckets', status: 503, retryAfter: 2 }), {
      status: 200,
      body: { ok: true },
    });
    const r = await call(s, 'b2_list_buckets', { accountId: s.accountId });
    assertError(r, 503, 'service_unavailable');
    assert.equal(r.headers.get('retry-after'), '2');

    await control('POST', '/faults', { call: 'b2_list_buckets', count: 3 });
    assert.equal((await control('DELETE', '/faults')).status, 200);
    await ok(s, 'b2_list_buckets', { accountId: s.accountId });

    assert.equal((await control('POST', '/latency', { ms: 150 })).status, 200);
    const t0 = performance.now();
    await ok(s, 'b2_list_buckets', { accountId: s.accountId });
    assert.ok(performance.now() - t0 >= 140);
    await control('POST', '/latency', { ms: 0 });

    const counters = await control('GET', '/counters');
    assert.deepEqual(counters.body, { calls: { b2_list_buckets: 3 }, classes: { A: 0, B: 0, C: 3 } });
    assert.equal((await control('POST', '/counters/reset')).status, 200);
    assert.deepEqual((await control('GET', '/counters')).body, { calls: {}, classes: { A: 0, B: 0, C: 0 } });

    assert.equal((await control('POST', '/expire-tokens')).status, 200);
    assertError(await call(s, 'b2_list_buckets', { accountId: s.accountId }), 401, 'expired_auth_token');

    const fresh = await session(emu);
    await makeBucket(fresh);
    assert.equal((await control('POST', '/reset')).status, 200);
    const again = await session(emu);
    assert.deepEqual((await ok(again, 'b2_list_buckets', { accountId: again.accountId })).buckets, []);
  });

  it('control calls are not counted as B2 calls', async () => {
    emu.controls.resetCounters();
    await control('GET', '/counters');
    await control('POST', '/latency', { ms: 0 });
    assert.deepEqual(emu.controls.counters().calls, {});
  });

  it('bad control requests answer JSON errors', async () => {
    const unknown = await control('GET', '/nope');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'not_found');
    const wrongMethod = await control('GET', '/faults');
    assert.equal(wrongMethod.status, 405);
    for (const spec of [
      {},
      { call: 5 },
      { call: 'x', kind: 'explode' },
      { call: 'x', count: 0 },
      { call: 'x', status: 99 },
    ]) {
      const r = await control('POST', '/faults', spec);
      assert.equal(r.status, 400, JSON.stringify(spec));
      assert.equal(r.body.code, 'bad_request');
    }
    assert.equal((await control('POST', '/latency', { ms: -1 })).status, 400);
  });
});

describe('X-Bz-Test-Mode', () => {
  it('fail_some_uploads fails the 1st, 4th, 7th… upload carrying it with 503', async () => {
    const bucket = await makeBucket(s);
    const target = await getUploadUrl(s, bucket.bucketId);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await uploadTo(target, `f${i}`, 'x', { headers: { 'X-Bz-Test-Mode': 'fail_some_uploads' } })).status,
      );
    assert.deepEqual(statuses, [503, 200, 200, 503, 200, 200]);
  });

  it('expire_some_account_authorization_tokens expires the token of some calls (401 expired_auth_token)', async () => {
    const headers = {
      'X-Bz-Test-Mode': 'expire_some_account_authorization_tokens',
      Authorization: s.token,
      'Content-Type': 'application/json',
    };
    const r = await fetch(`${s.apiUrl}/b2api/v4/b2_list_buckets`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ accountId: s.accountId }),
    });
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as any).code, 'expired_auth_token');
    assertError(await call(s, 'b2_list_buckets', { accountId: s.accountId }), 401, 'expired_auth_token');
  });

  it('force_cap_exceeded answers 403 with the cap code of the call', async () => {
    const bucket = await makeBucket(s, 'allPublic');
    const target = await getUploadUrl(s, bucket.bucketId);
    await uploadOk(target, 'a', 'a');
    const h = { 'X-Bz-Test-Mode': 'force_cap_exceeded' };
    assertError(await uploadTo(target, 'b', 'b', { headers: h }), 403, 'storage_cap_exceeded');
    const dl = await fetchRaw(byNameUrl(s, bucket.bucketName, 'a'), { headers: h });
    assert.equal(dl.status, 403);
    assert.equal(dl.body.code, 'download_cap_exceeded');
    const list = await fetch(`${s.apiUrl}/b2api/v4/b2_list_buckets`, {
      method: 'POST',
      headers: { ...h, Authorization: s.token },
      body: JSON.stringify({ accountId: s.accountId }),
    });
    assert.equal(list.status, 403);
    assert.equal(((await list.json()) as any).code, 'transaction_cap_exceeded');
  });
});
