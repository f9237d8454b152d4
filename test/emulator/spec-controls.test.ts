/** Conformance: test controls, programmatic and over HTTP under /__b2sync__ (src/emulator/api.ts). */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  MASTER_KEY,
  MASTER_KEY_ID,
  assertError,
  authorizeRaw,
  byIdUrl,
  byNameUrl,
  bulkUpload,
  call,
  fetchRaw,
  getUploadUrl,
  makeBucket,
  ok,
  rawHttp,
  session,
  sha1,
  start,
  upload,
  uploadTo,
  type Json,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

describe('spec: test controls', () => {
  let emu: RunningEmulator;
  let s: Session;
  let bucket: Json;
  let file: Json;
  const BODY = Buffer.alloc(256 * 1024);
  for (let i = 0; i < BODY.length; i++) BODY[i] = (i * 13) & 0xff;

  async function control(method: string, path: string, body?: Json): Promise<{ status: number; body: Json }> {
    const r = await fetch(`${emu.url}/__b2sync__${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  }
  const listBuckets = () => call(s, 'b2_list_buckets', { accountId: s.accountId });

  before(async () => {
    emu = await start();
    s = await session(emu);
    bucket = await makeBucket(s);
    file = await upload(s, bucket.bucketId, 'ctl/body.bin', BODY);
  });
  beforeEach(() => {
    emu.controls.clearFaults();
    emu.controls.setLatency(0);
  });
  after(async () => {
    await emu.close();
  });

  describe('error faults', () => {
    it('injectFault answers the given status, code, message and Retry-After once, then calls succeed', async () => {
      emu.controls.injectFault({
        call: 'b2_list_buckets',
        status: 503,
        code: 'service_unavailable',
        message: 'busy now',
        retryAfter: 7,
      });
      const r = await listBuckets();
      assertError(r, 503, 'service_unavailable');
      assert.equal(r.body.message, 'busy now');
      assert.equal(r.headers.get('retry-after'), '7');
      assert.equal((await listBuckets()).status, 200);
    });

    it('POST /__b2sync__/faults injects the same fault over HTTP', async () => {
      const c = await control('POST', '/faults', {
        call: 'b2_list_buckets',
        status: 429,
        code: 'too_many_requests',
        retryAfter: 2,
      });
      assert.equal(c.status, 200);
      assert.deepEqual(c.body, { ok: true });
      const r = await listBuckets();
      assertError(r, 429, 'too_many_requests');
      assert.equal(r.headers.get('retry-after'), '2');
      assert.equal((await listBuckets()).status, 200);
    });

    it('count fails that many matching calls', async () => {
      emu.controls.injectFault({ call: 'b2_list_buckets', status: 500, code: 'internal_error', count: 3 });
      for (let i = 0; i < 3; i++) assertError(await listBuckets(), 500, 'internal_error');
      assert.equal((await listBuckets()).status, 200);
    });

    it('after lets that many matching calls through first', async () => {
      emu.controls.injectFault({ call: 'b2_list_buckets', status: 503, code: 'service_unavailable', after: 2 });
      assert.equal((await listBuckets()).status, 200);
      assert.equal((await listBuckets()).status, 200);
      assertError(await listBuckets(), 503, 'service_unavailable');
      assert.equal((await listBuckets()).status, 200);
    });

    it('a fault only matches its own call name', async () => {
      emu.controls.injectFault({ call: 'b2_get_file_info', status: 503, code: 'service_unavailable' });
      assert.equal((await listBuckets()).status, 200);
      assertError(await call(s, 'b2_get_file_info', { fileId: file.fileId }), 503, 'service_unavailable');
    });

    it('call "*" matches any call', async () => {
      emu.controls.injectFault({ call: '*', status: 500, code: 'internal_error', count: 2 });
      assertError(await call(s, 'b2_get_file_info', { fileId: file.fileId }), 500, 'internal_error');
      assertError(await call(s, 'b2_list_file_names', { bucketId: bucket.bucketId }), 500, 'internal_error');
      assert.equal((await listBuckets()).status, 200);
    });

    it('clearFaults and DELETE /__b2sync__/faults drop pending faults', async () => {
      emu.controls.injectFault({ call: 'b2_list_buckets', status: 503, count: 5 });
      emu.controls.clearFaults();
      assert.equal((await listBuckets()).status, 200);
      await control('POST', '/faults', { call: 'b2_list_buckets', status: 503, count: 5 });
      const d = await control('DELETE', '/faults');
      assert.equal(d.status, 200);
      assert.deepEqual(d.body, { ok: true });
      assert.equal((await listBuckets()).status, 200);
    });

    it('faults apply to b2_authorize_account', async () => {
      emu.controls.injectFault({
        call: 'b2_authorize_account',
        status: 503,
        code: 'service_unavailable',
        retryAfter: 1,
      });
      const r = await authorizeRaw(emu.url, MASTER_KEY_ID, MASTER_KEY);
      assertError(r, 503, 'service_unavailable');
      assert.equal(r.headers.get('retry-after'), '1');
      assert.equal((await authorizeRaw(emu.url, MASTER_KEY_ID, MASTER_KEY)).status, 200);
    });

    it('faults apply to b2_upload_file and b2_upload_part, and nothing is stored', async () => {
      emu.controls.injectFault({ call: 'b2_upload_file', status: 503, code: 'service_unavailable' });
      const t = await getUploadUrl(s, bucket.bucketId);
      assertError(await uploadTo(t, 'ctl/fail.txt', 'x'), 503, 'service_unavailable');
      const names = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: 'ctl/fail' });
      assert.deepEqual(names.files, []);
      const t2 = await getUploadUrl(s, bucket.bucketId);
      assert.equal((await uploadTo(t2, 'ctl/fail.txt', 'x')).status, 200);

      const lf = await ok(s, 'b2_start_large_file', {
        bucketId: bucket.bucketId,
        fileName: 'ctl/lf.bin',
        contentType: 'b2/x-auto',
      });
      const pu = await ok(s, 'b2_get_upload_part_url', { fileId: lf.fileId });
      emu.controls.injectFault({ call: 'b2_upload_part', status: 500, code: 'internal_error' });
      const r = await fetch(pu.uploadUrl, {
        method: 'POST',
        headers: { Authorization: pu.authorizationToken, 'X-Bz-Part-Number': '1', 'X-Bz-Content-Sha1': sha1('p') },
        body: 'p',
      });
      assert.equal(r.status, 500);
      assert.equal(((await r.json()) as Json).code, 'internal_error');
      const parts = await ok(s, 'b2_list_parts', { fileId: lf.fileId });
      assert.deepEqual(parts.parts, []);
    });

    it('faults apply to downloads by name and by id', async () => {
      emu.controls.injectFault({
        call: 'b2_download_file_by_name',
        status: 503,
        code: 'service_unavailable',
        retryAfter: 3,
      });
      const a = await fetchRaw(byNameUrl(s, bucket.bucketName, 'ctl/body.bin'), {
        headers: { Authorization: s.token },
      });
      assert.equal(a.status, 503);
      assert.equal(a.body.code, 'service_unavailable');
      assert.equal(a.headers.get('retry-after'), '3');
      emu.controls.injectFault({ call: 'b2_download_file_by_id', status: 500, code: 'internal_error' });
      const b = await fetchRaw(byIdUrl(s, file.fileId), { headers: { Authorization: s.token } });
      assert.equal(b.status, 500);
      assert.equal(b.body.code, 'internal_error');
      const c = await fetchRaw(byIdUrl(s, file.fileId), { headers: { Authorization: s.token } });
      assert.equal(c.status, 200);
    });

    it('an invalid fault spec over HTTP answers 400 with a JSON error', async () => {
      const r = await control('POST', '/faults', { kind: 'explode' });
      assert.equal(r.status, 400);
      assert.equal(r.body.status, 400);
    });
  });

  describe('drop and corrupt faults', () => {
    it('drop on b2_upload_file cuts the connection mid-body; nothing is stored; the next upload works', async () => {
      emu.controls.injectFault({ call: 'b2_upload_file', kind: 'drop' });
      const t = await getUploadUrl(s, bucket.bucketId);
      await assert.rejects(uploadTo(t, 'ctl/dropped.bin', BODY));
      const names = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: 'ctl/dropped' });
      assert.deepEqual(names.files, []);
      const t2 = await getUploadUrl(s, bucket.bucketId);
      assert.equal((await uploadTo(t2, 'ctl/dropped.bin', BODY)).status, 200);
    });

    it('drop over HTTP on b2_upload_part cuts the part upload', async () => {
      await control('POST', '/faults', { call: 'b2_upload_part', kind: 'drop' });
      const lf = await ok(s, 'b2_start_large_file', {
        bucketId: bucket.bucketId,
        fileName: 'ctl/lfdrop.bin',
        contentType: 'b2/x-auto',
      });
      const pu = await ok(s, 'b2_get_upload_part_url', { fileId: lf.fileId });
      await assert.rejects(
        fetch(pu.uploadUrl, {
          method: 'POST',
          headers: { Authorization: pu.authorizationToken, 'X-Bz-Part-Number': '1', 'X-Bz-Content-Sha1': sha1(BODY) },
          body: BODY,
        }).then((r) => r.text()),
      );
      const parts = await ok(s, 'b2_list_parts', { fileId: lf.fileId });
      assert.deepEqual(parts.parts, []);
    });

    it('drop on a download sends the headers and part of the body, then closes', async () => {
      emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'drop' });
      const u = new URL(byIdUrl(s, file.fileId));
      const r = await rawHttp(
        u.href,
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${s.token}\r\n\r\n`,
        { waitMs: 3000 },
      );
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-length'], String(BODY.length));
      assert.ok(r.closed, 'connection was not closed');
      assert.ok(r.bodyBytes.length < BODY.length, `the whole body arrived (${r.bodyBytes.length} bytes)`);
      // fetch sees a failed body read
      emu.controls.injectFault({ call: 'b2_download_file_by_name', kind: 'drop' });
      await assert.rejects(
        fetchRaw(byNameUrl(s, bucket.bucketName, 'ctl/body.bin'), { headers: { Authorization: s.token } }),
      );
      const ok2 = await fetchRaw(byNameUrl(s, bucket.bucketName, 'ctl/body.bin'), {
        headers: { Authorization: s.token },
      });
      assert.ok(ok2.bytes.equals(BODY));
    });

    it('corrupt changes download bytes while X-Bz-Content-Sha1 still names the true SHA-1', async () => {
      emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt' });
      const d = await fetchRaw(byIdUrl(s, file.fileId), { headers: { Authorization: s.token } });
      assert.equal(d.status, 200);
      assert.equal(d.headers.get('x-bz-content-sha1'), sha1(BODY));
      assert.equal(d.bytes.length, BODY.length);
      assert.notEqual(sha1(d.bytes), sha1(BODY));
      const clean = await fetchRaw(byIdUrl(s, file.fileId), { headers: { Authorization: s.token } });
      assert.equal(sha1(clean.bytes), sha1(BODY));
    });

    it('corrupt over HTTP applies to downloads by name', async () => {
      await control('POST', '/faults', { call: 'b2_download_file_by_name', kind: 'corrupt' });
      const d = await fetchRaw(byNameUrl(s, bucket.bucketName, 'ctl/body.bin'), {
        headers: { Authorization: s.token },
      });
      assert.equal(d.status, 200);
      assert.equal(d.headers.get('x-bz-content-sha1'), sha1(BODY));
      assert.notEqual(sha1(d.bytes), sha1(BODY));
    });
  });

  describe('latency', () => {
    async function timed(): Promise<number> {
      const t0 = performance.now();
      assert.equal((await listBuckets()).status, 200);
      return performance.now() - t0;
    }

    it('setLatency delays every response by at least that many ms; 0 removes it', async () => {
      emu.controls.setLatency(400);
      assert.ok((await timed()) >= 380);
      emu.controls.setLatency(0);
      assert.ok((await timed()) < 300);
    });

    it('latency also delays uploads and downloads', async () => {
      emu.controls.setLatency(300);
      let t0 = performance.now();
      const d = await fetchRaw(byIdUrl(s, file.fileId), { headers: { Authorization: s.token } });
      assert.equal(d.status, 200);
      assert.ok(performance.now() - t0 >= 280, 'download not delayed');
      const t = await getUploadUrl(s, bucket.bucketId);
      t0 = performance.now();
      assert.equal((await uploadTo(t, 'ctl/slow.txt', 'x')).status, 200);
      assert.ok(performance.now() - t0 >= 280, 'upload not delayed');
    });

    it('POST /__b2sync__/latency sets the delay over HTTP', async () => {
      const c = await control('POST', '/latency', { ms: 400 });
      assert.deepEqual(c.body, { ok: true });
      assert.ok((await timed()) >= 380);
      await control('POST', '/latency', { ms: 0 });
      assert.ok((await timed()) < 300);
    });

    it('control requests get no latency', async () => {
      emu.controls.setLatency(600);
      const t0 = performance.now();
      const c = await control('GET', '/counters');
      assert.equal(c.status, 200);
      assert.ok(performance.now() - t0 < 400, 'a control request was delayed');
    });

    it('the latencyMs start option delays responses', async () => {
      const e2 = await start({ latencyMs: 200 });
      try {
        const t0 = performance.now();
        await authorizeRaw(e2.url, MASTER_KEY_ID, MASTER_KEY);
        assert.ok(performance.now() - t0 >= 180);
      } finally {
        await e2.close();
      }
    });
  });

  describe('expire tokens', () => {
    async function checkExpired(expire: () => Promise<void> | void): Promise<void> {
      const s2 = await session(emu);
      const t = await getUploadUrl(s2, bucket.bucketId);
      const dl = await ok(s2, 'b2_get_download_authorization', {
        bucketId: bucket.bucketId,
        fileNamePrefix: '',
        validDurationInSeconds: 600,
      });
      await expire();
      assertError(await call(s2, 'b2_list_buckets', { accountId: s2.accountId }), 401, 'expired_auth_token');
      assertError(await uploadTo(t, 'ctl/expired.txt', 'x'), 401, 'expired_auth_token');
      const d = await fetchRaw(byNameUrl(s2, bucket.bucketName, 'ctl/body.bin'), {
        headers: { Authorization: dl.authorizationToken },
      });
      assert.equal(d.status, 401);
      assert.equal(d.body.code, 'expired_auth_token');
      const fresh = await session(emu);
      await ok(fresh, 'b2_list_buckets', { accountId: fresh.accountId });
    }

    it('expireAllTokens makes account, upload and download tokens answer 401 expired_auth_token', async () => {
      await checkExpired(() => emu.controls.expireAllTokens());
      s = await session(emu);
    });

    it('POST /__b2sync__/expire-tokens does the same over HTTP', async () => {
      await checkExpired(async () => {
        const c = await control('POST', '/expire-tokens');
        assert.deepEqual(c.body, { ok: true });
      });
      s = await session(emu);
    });
  });

  describe('counters', () => {
    let cb: Json;
    before(async () => {
      cb = await makeBucket(s);
      const targets = await Promise.all(Array.from({ length: 4 }, () => getUploadUrl(s, cb.bucketId)));
      await bulkUpload(
        targets,
        Array.from({ length: 1001 }, (_, i) => `c/${String(i).padStart(5, '0')}`),
        () => 'x',
      );
    });

    it('counters() counts calls per name and transactions per class; listings bill ceil(returned/1000), minimum 1', async () => {
      emu.controls.resetCounters();
      assert.deepEqual(emu.controls.counters(), { calls: {}, classes: { A: 0, B: 0, C: 0 } });
      const t = await getUploadUrl(s, cb.bucketId); // A 1
      const f = (await uploadTo(t, 'z/one.txt', 'one')).body; // A 1
      await ok(s, 'b2_get_file_info', { fileId: f.fileId }); // B 1
      await fetchRaw(byIdUrl(s, f.fileId), { headers: { Authorization: s.token } }); // B 1
      await fetchRaw(byNameUrl(s, cb.bucketName, 'z/one.txt'), { headers: { Authorization: s.token } }); // B 1
      const all = await ok(s, 'b2_list_file_names', { bucketId: cb.bucketId, maxFileCount: 10000 }); // C 2 (1002 returned)
      assert.equal(all.files.length, 1002);
      const thousand = await ok(s, 'b2_list_file_names', { bucketId: cb.bucketId, maxFileCount: 1000 }); // C 1
      assert.equal(thousand.files.length, 1000);
      const none = await ok(s, 'b2_list_file_versions', { bucketId: cb.bucketId, prefix: 'nothing/' }); // C 1 (minimum)
      assert.equal(none.files.length, 0);
      await ok(s, 'b2_hide_file', { bucketId: cb.bucketId, fileName: 'z/one.txt' }); // A 1
      const c = emu.controls.counters();
      assert.equal(c.calls.b2_get_upload_url, 1);
      assert.equal(c.calls.b2_upload_file, 1);
      assert.equal(c.calls.b2_get_file_info, 1);
      assert.equal(c.calls.b2_download_file_by_id, 1);
      assert.equal(c.calls.b2_download_file_by_name, 1);
      assert.equal(c.calls.b2_list_file_names, 2);
      assert.equal(c.calls.b2_list_file_versions, 1);
      assert.equal(c.calls.b2_hide_file, 1);
      assert.equal(c.classes.A, 3);
      assert.equal(c.classes.B, 3);
      // only calls whose class b2-api.md §15 confirms are made here
      assert.equal(c.classes.C, 2 + 1 + 1);
    });

    it('every call is counted by name, including authorize and failed calls; HEAD downloads count as class B', async () => {
      emu.controls.resetCounters();
      const s2 = await session(emu);
      await ok(s2, 'b2_list_buckets', { accountId: s2.accountId });
      await ok(s2, 'b2_list_buckets', { accountId: s2.accountId });
      await call(s2, 'b2_list_buckets', {}); // 400: still a call (docs/emulator.md)
      const c = emu.controls.counters();
      assert.equal(c.calls.b2_authorize_account, 1);
      assert.equal(c.calls.b2_list_buckets, 3);
      emu.controls.resetCounters();
      const h = await fetchRaw(byIdUrl(s2, file.fileId), { method: 'HEAD', headers: { Authorization: s2.token } });
      assert.equal(h.status, 200);
      assert.deepEqual(emu.controls.counters(), {
        calls: { b2_download_file_by_id: 1 },
        classes: { A: 0, B: 1, C: 0 },
      });
    });

    it('GET /__b2sync__/counters matches counters(); POST /__b2sync__/counters/reset zeroes them', async () => {
      emu.controls.resetCounters();
      await ok(s, 'b2_list_file_names', { bucketId: cb.bucketId, maxFileCount: 1500 }); // C 2
      const g = await control('GET', '/counters');
      assert.equal(g.status, 200);
      assert.deepEqual(g.body, emu.controls.counters());
      assert.equal(g.body.calls.b2_list_file_names, 1);
      assert.equal(g.body.classes.C, 2);
      const r = await control('POST', '/counters/reset');
      assert.deepEqual(r.body, { ok: true });
      assert.deepEqual(emu.controls.counters(), { calls: {}, classes: { A: 0, B: 0, C: 0 } });
    });

    it('control requests are not counted as B2 calls', async () => {
      emu.controls.resetCounters();
      await control('GET', '/counters');
      await control('DELETE', '/faults');
      assert.deepEqual(emu.controls.counters(), { calls: {}, classes: { A: 0, B: 0, C: 0 } });
    });
  });

  describe('reset', () => {
    async function checkReset(doReset: () => Promise<void>): Promise<void> {
      const b = await makeBucket(s);
      await upload(s, b.bucketId, 'r.txt', 'r');
      const key = await ok(s, 'b2_create_key', {
        accountId: s.accountId,
        keyName: 'gone-after-reset',
        capabilities: ['listFiles'],
      });
      emu.controls.injectFault({ call: 'b2_list_buckets', status: 503, count: 10 });
      await doReset();
      assert.deepEqual(emu.controls.counters(), { calls: {}, classes: { A: 0, B: 0, C: 0 } });
      assert.equal((await authorizeRaw(emu.url, key.applicationKeyId, key.applicationKey)).status, 401);
      const old = await call(s, 'b2_list_buckets', { accountId: s.accountId });
      assert.equal(old.status, 401, 'tokens issued before reset must stop working');
      s = await session(emu);
      const list = await ok(s, 'b2_list_buckets', { accountId: s.accountId });
      assert.deepEqual(list.buckets, []);
      const keys = await ok(s, 'b2_list_keys', { accountId: s.accountId });
      assert.ok(!keys.keys.some((k: Json) => k.applicationKeyId === key.applicationKeyId));
      bucket = await makeBucket(s);
      file = await upload(s, bucket.bucketId, 'ctl/body.bin', BODY);
    }

    it('reset() drops buckets, files, keys, tokens, faults and counters; the master key still works', async () => {
      await checkReset(() => emu.controls.reset());
    });

    it('POST /__b2sync__/reset does the same over HTTP', async () => {
      await checkReset(async () => {
        const r = await control('POST', '/reset');
        assert.deepEqual(r.body, { ok: true });
      });
    });
  });

  describe('X-Bz-Test-Mode (§17.9)', () => {
    it('fail_some_uploads makes some uploads answer 503 and lets others through', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const t = await getUploadUrl(s, bucket.bucketId);
        const r = await uploadTo(t, 'ctl/testmode.txt', 'x', { headers: { 'X-Bz-Test-Mode': 'fail_some_uploads' } });
        if (r.status !== 200) assertError(r, 503);
        statuses.push(r.status);
      }
      assert.ok(statuses.includes(503), 'no upload failed');
      assert.ok(statuses.includes(200), 'every upload failed');
    });

    it('expire_some_account_authorization_tokens makes some calls answer 401 expired_auth_token', async () => {
      const s2 = await session(emu);
      const codes: string[] = [];
      for (let i = 0; i < 10; i++) {
        const r = await fetch(`${s2.apiUrl}/b2api/v4/b2_list_buckets`, {
          method: 'POST',
          headers: {
            Authorization: s2.token,
            'Content-Type': 'application/json',
            'X-Bz-Test-Mode': 'expire_some_account_authorization_tokens',
          },
          body: JSON.stringify({ accountId: s2.accountId }),
        });
        const body = (await r.json()) as Json;
        codes.push(r.status === 200 ? 'ok' : `${r.status}:${body.code}`);
      }
      assert.ok(codes.includes('401:expired_auth_token'), codes.join(','));
    });

    it('force_cap_exceeded answers 403', async () => {
      const r = await fetch(`${s.apiUrl}/b2api/v4/b2_list_buckets`, {
        method: 'POST',
        headers: { Authorization: s.token, 'Content-Type': 'application/json', 'X-Bz-Test-Mode': 'force_cap_exceeded' },
        body: JSON.stringify({ accountId: s.accountId }),
      });
      assert.equal(r.status, 403);
      const body = (await r.json()) as Json;
      assert.equal(body.status, 403);
      assert.match(body.code, /cap_exceeded$/);
    });
  });

  it('control paths need no credentials and unknown control paths answer 404', async () => {
    const c = await fetch(`${emu.url}/__b2sync__/counters`);
    assert.equal(c.status, 200);
    const u = await fetch(`${emu.url}/__b2sync__/nope`, { method: 'POST' });
    assert.equal(u.status, 404);
  });
});
