/** Conformance: downloads by id and by name (§11) and b2_get_download_authorization (§12). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  b2Decode,
  b2Encode,
  byIdUrl,
  byNameUrl,
  call,
  fetchRaw,
  makeBucket,
  ok,
  session,
  sha1,
  sleep,
  start,
  upload,
  type Json,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

describe('spec: downloads', () => {
  let emu: RunningEmulator;
  let s: Session;
  let priv: Json;
  let pub: Json;
  let ten: Json;
  let meta: Json;
  const TEN = '0123456789';
  const auth = () => ({ Authorization: s.token });

  before(async () => {
    emu = await start();
    s = await session(emu);
    priv = await makeBucket(s, 'allPrivate', undefined, { bucketInfo: { 'Cache-Control': 'max-age=111' } });
    pub = await makeBucket(s, 'allPublic');
    ten = await upload(s, priv.bucketId, 'dl/ten.txt', TEN, {
      contentType: 'text/plain',
      info: { src_last_modified_millis: '5', color: 'café au lait' },
    });
    meta = await upload(s, priv.bucketId, 'dl/meta.bin', 'meta', {
      contentType: 'application/octet-stream',
      info: {
        'b2-content-disposition': 'attachment; filename="m.bin"',
        'b2-content-language': 'fr',
        'b2-expires': 'Thu, 01 Jan 2037 00:00:00 GMT',
        'b2-cache-control': 'no-cache',
        'b2-content-encoding': 'identity',
        plain: 'yes',
      },
    });
    await upload(s, pub.bucketId, 'open/file.txt', 'public bytes');
    await upload(s, priv.bucketId, 'share/a.txt', 'shared a');
    await upload(s, priv.bucketId, 'share/sub/b.txt', 'shared b');
  });
  after(async () => {
    await emu.close();
  });

  function assertTenHeaders(h: Headers) {
    assert.equal(h.get('content-length'), '10');
    assert.equal(h.get('content-type'), 'text/plain');
    assert.equal(h.get('x-bz-file-id'), ten.fileId);
    assert.equal(b2Decode(h.get('x-bz-file-name') ?? ''), 'dl/ten.txt');
    assert.equal(h.get('x-bz-content-sha1'), sha1(TEN));
    assert.equal(h.get('x-bz-upload-timestamp'), String(ten.uploadTimestamp));
    assert.equal(h.get('x-bz-info-src_last_modified_millis'), '5');
    assert.match(h.get('x-bz-info-color') ?? '', /^[\x21-\x7e]+$/, 'x-bz-info-* must be percent-encoded');
    assert.equal(b2Decode(h.get('x-bz-info-color') ?? ''), 'café au lait');
    assert.equal(h.get('accept-ranges'), 'bytes');
  }

  it('download by id (GET) answers the bytes with the §11.4 headers', async () => {
    const d = await fetchRaw(byIdUrl(s, ten.fileId), { headers: auth() });
    assert.equal(d.status, 200);
    assert.equal(d.bytes.toString(), TEN);
    assertTenHeaders(d.headers);
  });

  it('download by name (GET) answers the newest version with the same headers', async () => {
    const d = await fetchRaw(byNameUrl(s, priv.bucketName, 'dl/ten.txt'), { headers: auth() });
    assert.equal(d.status, 200);
    assert.equal(d.bytes.toString(), TEN);
    assertTenHeaders(d.headers);
  });

  it('HEAD by id and by name answers the same status and headers without a body', async () => {
    for (const url of [byIdUrl(s, ten.fileId), byNameUrl(s, priv.bucketName, 'dl/ten.txt')]) {
      const d = await fetchRaw(url, { method: 'HEAD', headers: auth() });
      assert.equal(d.status, 200);
      assert.equal(d.bytes.length, 0);
      assertTenHeaders(d.headers);
    }
  });

  it('HEAD of a missing file answers 404 with no body', async () => {
    const d = await fetchRaw(byNameUrl(s, priv.bucketName, 'dl/none.txt'), { method: 'HEAD', headers: auth() });
    assert.equal(d.status, 404);
    assert.equal(d.bytes.length, 0);
  });

  it('download by id is served under every API version and as POST with a JSON fileId', async () => {
    for (const v of ['v1', 'v2', 'v3', 'v4']) {
      const d = await fetchRaw(byIdUrl(s, ten.fileId, v), { headers: auth() });
      assert.equal(d.status, 200, v);
      assert.equal(d.bytes.toString(), TEN);
    }
    const r = await fetch(`${s.downloadUrl}/b2api/v2/b2_download_file_by_id`, {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ fileId: ten.fileId }),
    });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), TEN);
  });

  it('download by id of an older version answers that version', async () => {
    const a = await upload(s, priv.bucketId, 'dl/versions.txt', 'first');
    await upload(s, priv.bucketId, 'dl/versions.txt', 'second');
    const d = await fetchRaw(byIdUrl(s, a.fileId), { headers: auth() });
    assert.equal(d.bytes.toString(), 'first');
    const n = await fetchRaw(byNameUrl(s, priv.bucketName, 'dl/versions.txt'), { headers: auth() });
    assert.equal(n.bytes.toString(), 'second');
  });

  it('by-name paths are percent-decoded (UTF-8, %20 and +) and X-Bz-File-Name comes back percent-encoded', async () => {
    const name = 'dl/sp ace ü€ 😀.txt';
    const f = await upload(s, priv.bucketId, name, 'unicode');
    const d = await fetchRaw(byNameUrl(s, priv.bucketName, name), { headers: auth() });
    assert.equal(d.status, 200);
    assert.equal(d.bytes.toString(), 'unicode');
    const hdr = d.headers.get('x-bz-file-name') ?? '';
    assert.match(hdr, /^[\x21-\x7e]*$/, 'x-bz-file-name must be percent-encoded ASCII');
    assert.equal(b2Decode(hdr), name);
    const plus = await fetchRaw(`${s.downloadUrl}/file/${priv.bucketName}/${b2Encode(name).replace(/%20/g, '+')}`, {
      headers: auth(),
    });
    assert.equal(plus.status, 200);
    assert.equal(plus.headers.get('x-bz-file-id'), f.fileId);
  });

  it('b2-* info becomes standard headers and is not echoed as X-Bz-Info-b2-*', async () => {
    const d = await fetchRaw(byIdUrl(s, meta.fileId), { headers: auth() });
    assert.equal(d.status, 200);
    assert.equal(d.headers.get('content-disposition'), 'attachment; filename="m.bin"');
    assert.equal(d.headers.get('content-language'), 'fr');
    assert.equal(d.headers.get('expires'), 'Thu, 01 Jan 2037 00:00:00 GMT');
    assert.equal(d.headers.get('cache-control'), 'no-cache');
    assert.equal(d.headers.get('content-encoding'), 'identity');
    assert.equal(d.headers.get('x-bz-info-plain'), 'yes');
    for (const k of d.headers.keys()) assert.ok(!k.startsWith('x-bz-info-b2-'), `echoed ${k}`);
  });

  it('Cache-Control falls back to the bucketInfo Cache-Control when the file has no b2-cache-control', async () => {
    const d = await fetchRaw(byIdUrl(s, ten.fileId), { headers: auth() });
    assert.equal(d.headers.get('cache-control'), 'max-age=111');
  });

  it('b2Content* query parameters override the response headers', async () => {
    const q = new URLSearchParams({
      b2ContentDisposition: 'inline',
      b2ContentLanguage: 'en-GB',
      b2Expires: 'Fri, 02 Jan 2037 00:00:00 GMT',
      b2CacheControl: 'max-age=9',
      b2ContentEncoding: 'gzip',
      b2ContentType: 'application/x-override',
    }).toString();
    for (const url of [byIdUrl(s, meta.fileId, 'v4', q), byNameUrl(s, priv.bucketName, 'dl/meta.bin', q)]) {
      const d = await fetchRaw(url, { method: 'HEAD', headers: auth() });
      assert.equal(d.status, 200);
      assert.equal(d.headers.get('content-disposition'), 'inline');
      assert.equal(d.headers.get('content-language'), 'en-GB');
      assert.equal(d.headers.get('expires'), 'Fri, 02 Jan 2037 00:00:00 GMT');
      assert.equal(d.headers.get('cache-control'), 'max-age=9');
      assert.equal(d.headers.get('content-encoding'), 'gzip');
      assert.equal(d.headers.get('content-type'), 'application/x-override');
    }
  });

  it('a partial Range answers 206 with Content-Range and the whole-file X-Bz-Content-Sha1', async () => {
    const d = await fetchRaw(byIdUrl(s, ten.fileId), { headers: { ...auth(), Range: 'bytes=5-8' } });
    assert.equal(d.status, 206);
    assert.equal(d.bytes.toString(), '5678');
    assert.equal(d.headers.get('content-length'), '4');
    assert.equal(d.headers.get('content-range'), 'bytes 5-8/10');
    assert.equal(d.headers.get('x-bz-content-sha1'), sha1(TEN));
    const n = await fetchRaw(byNameUrl(s, priv.bucketName, 'dl/ten.txt'), {
      headers: { ...auth(), Range: 'bytes=0-0' },
    });
    assert.equal(n.status, 206);
    assert.equal(n.bytes.toString(), '0');
    assert.equal(n.headers.get('content-range'), 'bytes 0-0/10');
  });

  it('a Range covering the whole file answers 200 without Content-Range', async () => {
    for (const range of ['bytes=0-9', 'bytes=0-']) {
      const d = await fetchRaw(byIdUrl(s, ten.fileId), { headers: { ...auth(), Range: range } });
      assert.equal(d.status, 200, range);
      assert.equal(d.bytes.toString(), TEN);
      assert.equal(d.headers.get('content-range'), null);
    }
  });

  it('a syntactically invalid Range is ignored (200, whole body)', async () => {
    const d = await fetchRaw(byIdUrl(s, ten.fileId), { headers: { ...auth(), Range: 'bytes=abc' } });
    assert.equal(d.status, 200);
    assert.equal(d.bytes.toString(), TEN);
  });

  it('a Range entirely beyond the end answers 416 range_not_satisfiable', async () => {
    const d = await fetchRaw(byIdUrl(s, ten.fileId), { headers: { ...auth(), Range: 'bytes=20-30' } });
    assert.equal(d.status, 416);
    assert.equal(d.body?.code, 'range_not_satisfiable');
    assert.equal(d.body?.status, 416);
  });

  it('a Range starting inside but ending past the end is clamped (206)', async () => {
    const d = await fetchRaw(byIdUrl(s, ten.fileId), { headers: { ...auth(), Range: 'bytes=7-100' } });
    assert.equal(d.status, 206);
    assert.equal(d.bytes.toString(), '789');
    assert.equal(d.headers.get('content-range'), 'bytes 7-9/10');
  });

  it('a suffix Range is served (206); several ranges are ignored (200); any Range on an empty file answers 416', async () => {
    const suffix = await fetchRaw(byIdUrl(s, ten.fileId), { headers: { ...auth(), Range: 'bytes=-3' } });
    assert.equal(suffix.status, 206);
    assert.equal(suffix.bytes.toString(), '789');
    assert.equal(suffix.headers.get('content-range'), 'bytes 7-9/10');
    const multi = await fetchRaw(byIdUrl(s, ten.fileId), { headers: { ...auth(), Range: 'bytes=0-1,3-4' } });
    assert.equal(multi.status, 200);
    assert.equal(multi.bytes.toString(), TEN);
    const empty = await upload(s, priv.bucketId, 'dl/empty.bin', Buffer.alloc(0));
    const e = await fetchRaw(byIdUrl(s, empty.fileId), { headers: { ...auth(), Range: 'bytes=0-0' } });
    assert.equal(e.status, 416);
    const whole = await fetchRaw(byIdUrl(s, empty.fileId), { headers: auth() });
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-length'), '0');
  });

  it('the Authorization query parameter also works for downloads by id with an account token (docs/emulator.md choice)', async () => {
    const d = await fetchRaw(byIdUrl(s, ten.fileId, 'v4', `Authorization=${encodeURIComponent(s.token)}`));
    assert.equal(d.status, 200);
    assert.equal(d.bytes.toString(), TEN);
  });

  it('downloading a hide marker by id answers 404 not_found', async () => {
    await upload(s, priv.bucketId, 'dl/to-hide.txt', 'h');
    const h = await ok(s, 'b2_hide_file', { bucketId: priv.bucketId, fileName: 'dl/to-hide.txt' });
    const d = await fetchRaw(byIdUrl(s, h.fileId), { headers: auth() });
    assert.equal(d.status, 404);
    assert.equal(d.body?.code, 'not_found');
  });

  it('without b2-cache-control or a bucket Cache-Control a download carries no Cache-Control', async () => {
    const d = await fetchRaw(byNameUrl(s, pub.bucketName, 'open/file.txt'));
    assert.equal(d.headers.get('cache-control'), null);
  });

  it('HEAD with a partial Range answers 206 headers without a body', async () => {
    const d = await fetchRaw(byIdUrl(s, ten.fileId), { method: 'HEAD', headers: { ...auth(), Range: 'bytes=2-3' } });
    assert.equal(d.status, 206);
    assert.equal(d.bytes.length, 0);
    assert.equal(d.headers.get('content-range'), 'bytes 2-3/10');
  });

  it('a private bucket needs credentials: none → 401, unknown token → 401 bad_auth_token', async () => {
    for (const url of [byIdUrl(s, ten.fileId), byNameUrl(s, priv.bucketName, 'dl/ten.txt')]) {
      const none = await fetchRaw(url);
      assert.equal(none.status, 401);
      assert.equal(none.body?.status, 401);
      const bad = await fetchRaw(url, { headers: { Authorization: 'nope' } });
      assert.equal(bad.status, 401);
      assert.equal(bad.body?.code, 'bad_auth_token');
    }
  });

  it('a public bucket downloads without credentials, by name and by id', async () => {
    const n = await fetchRaw(byNameUrl(s, pub.bucketName, 'open/file.txt'));
    assert.equal(n.status, 200);
    assert.equal(n.bytes.toString(), 'public bytes');
    const id = n.headers.get('x-bz-file-id')!;
    const i = await fetchRaw(byIdUrl(s, id));
    assert.equal(i.status, 200);
    assert.equal(i.bytes.toString(), 'public bytes');
  });

  it('missing files and buckets answer 404 not_found', async () => {
    const a = await fetchRaw(byNameUrl(s, priv.bucketName, 'dl/nothing-here.txt'), { headers: auth() });
    assert.equal(a.status, 404);
    assert.equal(a.body?.code, 'not_found');
    const b = await fetchRaw(byNameUrl(s, 'no-such-bucket-xyz', 'x.txt'), { headers: auth() });
    assert.equal(b.status, 404);
    assert.equal(b.body?.code, 'not_found');
    const gone = await upload(s, priv.bucketId, 'dl/deleted.txt', 'x');
    await ok(s, 'b2_delete_file_version', { fileId: gone.fileId, fileName: gone.fileName });
    const c = await fetchRaw(byIdUrl(s, gone.fileId), { headers: auth() });
    assert.equal(c.status, 404);
    assert.equal(c.body?.code, 'not_found');
  });

  it('a private bucket becomes downloadable without credentials once updated to allPublic', async () => {
    const b = await makeBucket(s, 'allPrivate');
    await upload(s, b.bucketId, 'flip.txt', 'flip');
    assert.equal((await fetchRaw(byNameUrl(s, b.bucketName, 'flip.txt'))).status, 401);
    await ok(s, 'b2_update_bucket', { accountId: s.accountId, bucketId: b.bucketId, bucketType: 'allPublic' });
    assert.equal((await fetchRaw(byNameUrl(s, b.bucketName, 'flip.txt'))).status, 200);
  });

  describe('download authorization', () => {
    async function dlAuth(body: Json): Promise<Json> {
      return ok(s, 'b2_get_download_authorization', { bucketId: priv.bucketId, ...body });
    }

    it('get_download_authorization returns {bucketId, fileNamePrefix, authorizationToken}', async () => {
      const r = await dlAuth({ fileNamePrefix: 'share/', validDurationInSeconds: 60 });
      assert.equal(r.bucketId, priv.bucketId);
      assert.equal(r.fileNamePrefix, 'share/');
      assert.equal(typeof r.authorizationToken, 'string');
      assert.notEqual(r.authorizationToken, s.token);
    });

    it('a download token works by name under its prefix, in the header or as the Authorization query parameter', async () => {
      const { authorizationToken: tok } = await dlAuth({ fileNamePrefix: 'share/', validDurationInSeconds: 60 });
      const h = await fetchRaw(byNameUrl(s, priv.bucketName, 'share/sub/b.txt'), { headers: { Authorization: tok } });
      assert.equal(h.status, 200);
      assert.equal(h.bytes.toString(), 'shared b');
      const q = await fetchRaw(
        byNameUrl(s, priv.bucketName, 'share/a.txt', `Authorization=${encodeURIComponent(tok)}`),
      );
      assert.equal(q.status, 200);
      assert.equal(q.bytes.toString(), 'shared a');
    });

    it('a download token does not cover names outside its prefix or other buckets (401 unauthorized)', async () => {
      const { authorizationToken: tok } = await dlAuth({ fileNamePrefix: 'share/sub/', validDurationInSeconds: 60 });
      const out = await fetchRaw(byNameUrl(s, priv.bucketName, 'share/a.txt'), { headers: { Authorization: tok } });
      assert.equal(out.status, 401);
      assert.equal(out.body?.code, 'unauthorized');
      const other = await makeBucket(s, 'allPrivate');
      await upload(s, other.bucketId, 'share/sub/b.txt', 'x');
      const ob = await fetchRaw(byNameUrl(s, other.bucketName, 'share/sub/b.txt'), { headers: { Authorization: tok } });
      assert.equal(ob.status, 401);
    });

    it('a download token does not authorize downloads by id (401)', async () => {
      const { authorizationToken: tok } = await dlAuth({ fileNamePrefix: '', validDurationInSeconds: 60 });
      const d = await fetchRaw(byIdUrl(s, ten.fileId), { headers: { Authorization: tok } });
      assert.equal(d.status, 401);
      assert.equal(d.body?.status, 401);
    });

    it('an empty fileNamePrefix covers the whole bucket', async () => {
      const { authorizationToken: tok } = await dlAuth({ fileNamePrefix: '', validDurationInSeconds: 60 });
      const d = await fetchRaw(byNameUrl(s, priv.bucketName, 'dl/ten.txt'), { headers: { Authorization: tok } });
      assert.equal(d.status, 200);
    });

    it('a download token is not accepted for JSON API calls', async () => {
      const { authorizationToken: tok } = await dlAuth({ fileNamePrefix: '', validDurationInSeconds: 60 });
      const r = await call(s, 'b2_list_file_names', { bucketId: priv.bucketId }, { token: tok });
      assert.equal(r.status, 401);
    });

    it('a download token expires after validDurationInSeconds (401 expired_auth_token)', async () => {
      const { authorizationToken: tok } = await dlAuth({ fileNamePrefix: 'share/', validDurationInSeconds: 1 });
      assert.equal(
        (await fetchRaw(byNameUrl(s, priv.bucketName, 'share/a.txt'), { headers: { Authorization: tok } })).status,
        200,
      );
      await sleep(1600);
      const d = await fetchRaw(byNameUrl(s, priv.bucketName, 'share/a.txt'), { headers: { Authorization: tok } });
      assert.equal(d.status, 401);
      assert.equal(d.body?.code, 'expired_auth_token');
    });

    it('validDurationInSeconds must be 1..604800 (0 and 604801 answer 400)', async () => {
      assertError(
        await call(s, 'b2_get_download_authorization', {
          bucketId: priv.bucketId,
          fileNamePrefix: '',
          validDurationInSeconds: 0,
        }),
        400,
      );
      assertError(
        await call(s, 'b2_get_download_authorization', {
          bucketId: priv.bucketId,
          fileNamePrefix: '',
          validDurationInSeconds: 604801,
        }),
        400,
      );
      await dlAuth({ fileNamePrefix: '', validDurationInSeconds: 604800 });
    });

    it('fileNamePrefix and validDurationInSeconds are required (400 bad_request)', async () => {
      assertError(
        await call(s, 'b2_get_download_authorization', { bucketId: priv.bucketId, validDurationInSeconds: 10 }),
        400,
        'bad_request',
      );
      assertError(
        await call(s, 'b2_get_download_authorization', { bucketId: priv.bucketId, fileNamePrefix: '' }),
        400,
        'bad_request',
      );
    });

    it('b2ContentDisposition with a * parameter name answers 400 (RFC 6266, no * names)', async () => {
      await dlAuth({
        fileNamePrefix: '',
        validDurationInSeconds: 5,
        b2ContentDisposition: 'attachment; filename="a.txt"',
      });
      const accepted: string[] = [];
      for (const v of ['attachment; filename*=x', "attachment; filename*=UTF-8''x"]) {
        const r = await call(s, 'b2_get_download_authorization', {
          bucketId: priv.bucketId,
          fileNamePrefix: '',
          validDurationInSeconds: 5,
          b2ContentDisposition: v,
        });
        if (r.status !== 400) accepted.push(`${v} → ${r.status}`);
      }
      assert.deepEqual(accepted, []);
    });

    it('a token minted with b2ContentDisposition requires the same value on the download', async () => {
      const { authorizationToken: tok } = await dlAuth({
        fileNamePrefix: 'share/',
        validDurationInSeconds: 60,
        b2ContentDisposition: 'attachment; filename="s.txt"',
      });
      const q = (extra: Record<string, string>) => new URLSearchParams({ Authorization: tok, ...extra }).toString();
      const good = await fetchRaw(
        byNameUrl(s, priv.bucketName, 'share/a.txt', q({ b2ContentDisposition: 'attachment; filename="s.txt"' })),
      );
      assert.equal(good.status, 200);
      assert.equal(good.headers.get('content-disposition'), 'attachment; filename="s.txt"');
      const missing = await fetchRaw(byNameUrl(s, priv.bucketName, 'share/a.txt', q({})));
      assert.ok(missing.status >= 400 && missing.status < 500, `status ${missing.status}`);
      const other = await fetchRaw(byNameUrl(s, priv.bucketName, 'share/a.txt', q({ b2ContentDisposition: 'inline' })));
      assert.ok(other.status >= 400 && other.status < 500, `status ${other.status}`);
    });
  });
});
