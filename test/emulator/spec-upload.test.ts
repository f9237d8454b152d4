/** Conformance: b2_get_upload_url and b2_upload_file (§5, §6). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  b2Decode,
  b2Encode,
  byIdUrl,
  call,
  fetchRaw,
  getUploadUrl,
  makeBucket,
  md5,
  ok,
  rawHttp,
  session,
  sha1,
  start,
  uploadOk,
  uploadTo,
  type Json,
  type RunningEmulator,
  type Session,
  type UploadTarget,
} from './spec-helpers.js';

describe('spec: simple upload', () => {
  let emu: RunningEmulator;
  let s: Session;
  let bucket: Json;
  let t: UploadTarget;

  async function names(prefix = ''): Promise<string[]> {
    const r = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix, maxFileCount: 10000 });
    return r.files.map((f: Json) => f.fileName);
  }

  before(async () => {
    emu = await start();
    s = await session(emu);
    bucket = await makeBucket(s);
    t = await getUploadUrl(s, bucket.bucketId);
  });
  after(async () => {
    await emu.close();
  });

  it('get_upload_url returns bucketId, uploadUrl and an upload token', async () => {
    const r = await ok(s, 'b2_get_upload_url', { bucketId: bucket.bucketId });
    assert.equal(r.bucketId, bucket.bucketId);
    assert.match(r.uploadUrl, /^http:\/\//);
    assert.equal(typeof r.authorizationToken, 'string');
    assert.notEqual(r.authorizationToken, s.token);
  });

  it('get_upload_url of an unknown bucket answers 400 bad_bucket_id', async () => {
    assertError(await call(s, 'b2_get_upload_url', { bucketId: 'aaaaaaaaaaaaaaaaaaaaaaaa' }), 400, 'bad_bucket_id');
  });

  it('upload_file returns the file object: action upload, length, SHA-1, MD5, type, info, timestamp', async () => {
    const data = 'hello world';
    const before = Date.now();
    const f = await uploadOk(t, 'shape/hello.txt', data, {
      contentType: 'text/x-custom',
      info: { src_last_modified_millis: '1700000000123' },
    });
    assert.equal(f.action, 'upload');
    assert.equal(f.accountId, s.accountId);
    assert.equal(f.bucketId, bucket.bucketId);
    assert.equal(f.fileName, 'shape/hello.txt');
    assert.equal(typeof f.fileId, 'string');
    assert.ok(f.fileId.length > 0 && f.fileId.length <= 200);
    assert.equal(f.contentLength, Buffer.byteLength(data));
    assert.equal(f.contentSha1, sha1(data));
    assert.equal(f.contentMd5, md5(data));
    assert.equal(f.contentType, 'text/x-custom');
    assert.deepEqual(f.fileInfo, { src_last_modified_millis: '1700000000123' });
    assert.equal(typeof f.uploadTimestamp, 'number');
    assert.ok(f.uploadTimestamp >= before - 2000 && f.uploadTimestamp <= Date.now() + 2000);
    assert.ok(Number.isSafeInteger(f.uploadTimestamp));
  });

  it('an unencrypted upload reports serverSideEncryption with mode and algorithm null', async () => {
    const f = await uploadOk(t, 'shape/sse.txt', 'x');
    assert.deepEqual(f.serverSideEncryption, { mode: null, algorithm: null });
  });

  it('every upload of the same name creates a new version with its own fileId', async () => {
    const a = await uploadOk(t, 'versions/same.txt', 'one');
    const b = await uploadOk(t, 'versions/same.txt', 'two');
    assert.notEqual(a.fileId, b.fileId);
    const v = await ok(s, 'b2_list_file_versions', { bucketId: bucket.bucketId, prefix: 'versions/' });
    assert.deepEqual(
      v.files.map((f: Json) => f.fileId),
      [b.fileId, a.fileId],
    );
  });

  it('a zero-byte upload is stored with the SHA-1 of empty input', async () => {
    const f = await uploadOk(t, 'empty.bin', Buffer.alloc(0));
    assert.equal(f.contentLength, 0);
    assert.equal(f.contentSha1, 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  });

  it('an upload whose X-Bz-Content-Sha1 does not match the body answers 400 and stores nothing', async () => {
    const r = await uploadTo(t, 'bad-sha.txt', 'payload', { sha1: { value: sha1('something else') } });
    assertError(r, 400);
    assert.ok(!(await names('bad-sha')).length);
  });

  it('an upload URL stays usable after it rejected an upload (docs/emulator.md choice)', async () => {
    const u = await getUploadUrl(s, bucket.bucketId);
    assertError(await uploadTo(u, 'reuse/bad.txt', 'payload', { sha1: { value: sha1('other') } }), 400);
    const r = await uploadTo(u, 'reuse/good.txt', 'payload');
    assert.equal(r.status, 200, r.text);
  });

  it('an X-Bz-Content-Sha1 that is not 40 hex digits answers 400', async () => {
    const r = await uploadTo(t, 'bad-sha-form.txt', 'payload', { sha1: { value: 'xyz' } });
    assertError(r, 400);
  });

  it('hex_digits_at_end: Content-Length includes the 40 trailing hex digits, which are verified and stripped', async () => {
    const data = 'streamed body';
    const f = await uploadOk(t, 'end/ok.txt', data, { sha1: 'end' });
    assert.equal(f.contentLength, data.length);
    assert.equal(f.contentSha1, sha1(data));
    const d = await fetchRaw(byIdUrl(s, f.fileId), { headers: { Authorization: s.token } });
    assert.equal(d.bytes.toString(), data);
  });

  it('hex_digits_at_end with wrong trailing digits answers 400', async () => {
    const body = Buffer.concat([Buffer.from('streamed body'), Buffer.from(sha1('other'))]);
    const r = await uploadTo(t, 'end/bad.txt', body, { sha1: { value: 'hex_digits_at_end' } });
    assertError(r, 400);
    assert.ok(!(await names('end/bad')).length);
  });

  it('hex_digits_at_end with a body shorter than 40 bytes answers 400', async () => {
    const r = await uploadTo(t, 'end/short.txt', 'abc', { sha1: { value: 'hex_digits_at_end' } });
    assertError(r, 400);
  });

  it('do_not_verify stores contentSha1 as "unverified:<sha1>"', async () => {
    const data = 'unchecked';
    const f = await uploadOk(t, 'unverified.txt', data, { sha1: 'none' });
    assert.equal(f.contentSha1, `unverified:${sha1(data)}`);
    const info = await ok(s, 'b2_get_file_info', { fileId: f.fileId });
    assert.equal(info.contentSha1, `unverified:${sha1(data)}`);
    const d = await fetchRaw(byIdUrl(s, f.fileId), { headers: { Authorization: s.token } });
    assert.equal(d.headers.get('x-bz-content-sha1'), `unverified:${sha1(data)}`);
  });

  it('an upload without Content-Length (chunked) is rejected with a JSON error and stores nothing', async () => {
    const u = new URL(t.uploadUrl);
    const raw =
      `POST ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${t.authorizationToken}\r\n` +
      `X-Bz-File-Name: chunked.txt\r\nContent-Type: text/plain\r\nX-Bz-Content-Sha1: ${sha1('hello')}\r\n` +
      `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`;
    const r = await rawHttp(t.uploadUrl, raw);
    assert.equal(r.status, 400);
    const body = JSON.parse(r.body);
    assert.equal(body.status, 400);
    assert.ok(!(await names('chunked')).length);
  });

  it('upload without Content-Type answers 400', async () => {
    const r = await fetch(t.uploadUrl, {
      method: 'POST',
      headers: { Authorization: t.authorizationToken, 'X-Bz-File-Name': 'notype.txt', 'X-Bz-Content-Sha1': sha1('a') },
      body: Buffer.from('a'),
    });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as Json).status, 400);
  });

  it('upload without X-Bz-File-Name or X-Bz-Content-Sha1 answers 400', async () => {
    const r1 = await fetch(t.uploadUrl, {
      method: 'POST',
      headers: { Authorization: t.authorizationToken, 'Content-Type': 'text/plain', 'X-Bz-Content-Sha1': sha1('a') },
      body: 'a',
    });
    assert.equal(r1.status, 400);
    assert.equal(((await r1.json()) as Json).status, 400);
    const r2 = await fetch(t.uploadUrl, {
      method: 'POST',
      headers: { Authorization: t.authorizationToken, 'Content-Type': 'text/plain', 'X-Bz-File-Name': 'nosha.txt' },
      body: 'a',
    });
    assert.equal(r2.status, 400);
    assert.equal(((await r2.json()) as Json).status, 400);
  });

  it('X-Bz-File-Name is percent-decoded: %20 and + become spaces, %2B a plus, UTF-8 sequences characters', async () => {
    const cases: [string, string][] = [
      ['dec/a%20b.txt', 'dec/a b.txt'],
      ['dec/c+d.txt', 'dec/c d.txt'],
      ['dec/e%2Bf.txt', 'dec/e+f.txt'],
      ['dec/%C3%BCn%C3%AF%20%E2%82%AC%F0%9F%98%80.txt', 'dec/ünï €😀.txt'],
    ];
    for (const [raw, want] of cases) {
      const f = await uploadOk(t, '', 'x', { rawName: raw });
      assert.equal(f.fileName, want);
    }
    const listed = await names('dec/');
    for (const [, want] of cases) assert.ok(listed.includes(want), `${want} not listed`);
  });

  it('names with URL-special characters round-trip through upload, listing and download by name', async () => {
    const special = [
      'url/what?.txt',
      'url/hash#.txt',
      'url/pct%41.txt',
      'url/amp&eq=.txt',
      'url/trail ',
      'url/semi;colon(1).txt',
    ];
    for (const n of special) {
      const f = await uploadOk(t, n, n);
      assert.equal(f.fileName, n);
      const d = await fetchRaw(`${s.downloadUrl}/file/${bucket.bucketName}/${b2Encode(n)}`, {
        headers: { Authorization: s.token },
      });
      assert.equal(d.status, 200, n);
      assert.equal(d.bytes.toString(), n);
      assert.equal(b2Decode(d.headers.get('x-bz-file-name') ?? ''), n);
    }
    assert.deepEqual(await names('url/'), [...special].sort());
  });

  it('only the current name rules are enforced: leading /, //, trailing /, backslash and 251-byte segments are accepted', async () => {
    for (const n of ['/lead.txt', 'old//double.txt', 'old/ends/', 'old/back\\slash', 'old/' + 'x'.repeat(251)]) {
      const f = await uploadOk(t, n, 'x');
      assert.equal(f.fileName, n);
    }
  });

  it('a name of exactly 1024 UTF-8 bytes is accepted; 1025 bytes answers 400', async () => {
    const okName = 'n/' + 'é'.repeat(511); // 2 + 1022 bytes
    assert.equal(Buffer.byteLength(okName), 1024);
    const f = await uploadOk(t, okName, 'x');
    assert.equal(f.fileName, okName);
    const r = await uploadTo(t, okName + 'a', 'x');
    assertError(r, 400);
  });

  it('names with control characters or DEL answer 400', async () => {
    for (const raw of ['ctl/a%01b', 'ctl/a%1Fb', 'ctl/a%7Fb', 'ctl/a%0Ab']) {
      const r = await uploadTo(t, '', 'x', { rawName: raw });
      assertError(r, 400);
    }
    assert.ok(!(await names('ctl/')).length);
  });

  it('an empty file name answers 400', async () => {
    assertError(await uploadTo(t, '', 'x', { rawName: '' }), 400);
  });

  it('ten X-Bz-Info headers are accepted and stored lower-cased; eleven answer 400', async () => {
    const info: Record<string, string> = {};
    for (let i = 0; i < 10; i++) info[`Key${i}`] = `v${i}`;
    const f = await uploadOk(t, 'info/ten.txt', 'x', { info });
    const want: Record<string, string> = {};
    for (let i = 0; i < 10; i++) want[`key${i}`] = `v${i}`;
    assert.deepEqual(f.fileInfo, want);
    const r = await uploadTo(t, 'info/eleven.txt', 'x', { info: { ...info, key10: 'v10' } });
    assertError(r, 400);
  });

  it('b2-* info headers count toward the 10-header limit (9 + 2 answers 400)', async () => {
    const info: Record<string, string> = {};
    for (let i = 0; i < 9; i++) info[`k${i}`] = 'v';
    const r = await uploadTo(t, 'info/nine-plus-two.txt', 'x', {
      info: { ...info, 'b2-cache-control': 'no-cache', 'b2-content-language': 'en' },
    });
    assertError(r, 400);
  });

  it('info values are percent-decoded UTF-8, with + as a space', async () => {
    const f = await uploadOk(t, 'info/utf8.txt', 'x', { info: { note: 'café ☕ 100% + more' } });
    assert.equal(f.fileInfo.note, 'café ☕ 100% + more');
    const g = await uploadOk(t, 'info/plus.txt', 'x', { headers: { 'X-Bz-Info-note': 'a+b%2Bc' } });
    assert.equal(g.fileInfo.note, 'a b+c');
  });

  it('an info name longer than 50 bytes answers 400', async () => {
    const r = await uploadTo(t, 'info/longname.txt', 'x', { info: { ['k'.repeat(51)]: 'v' } });
    assertError(r, 400);
    const f = await uploadOk(t, 'info/name50.txt', 'x', { info: { ['k'.repeat(50)]: 'v' } });
    assert.equal(f.fileInfo['k'.repeat(50)], 'v');
  });

  it('name plus info within the 7000-byte header budget is accepted; beyond it answers 400', async () => {
    const f = await uploadOk(t, 'budget/under.txt', 'x', { info: { a: 'v'.repeat(2500), b: 'w'.repeat(2500) } });
    assert.equal(f.fileInfo.a.length, 2500);
    const r = await uploadTo(t, 'budget/over.txt', 'x', { info: { a: 'v'.repeat(3600), b: 'w'.repeat(3600) } });
    assertError(r, 400);
    // percent-encoding counts: 2400 'é' are 4800 bytes of UTF-8 and 14400 encoded bytes
    const enc = await uploadTo(t, 'budget/encoded.txt', 'x', { info: { a: 'é'.repeat(2400) } });
    assertError(enc, 400);
  });

  it('defined b2-* info keys are accepted and kept in fileInfo', async () => {
    const f = await uploadOk(t, 'b2info/ok.txt', 'x', {
      info: {
        'b2-content-disposition': 'attachment; filename="x.txt"',
        'b2-content-language': 'de',
        'b2-expires': 'Wed, 21 Oct 2037 07:28:00 GMT',
        'b2-cache-control': 'max-age=60',
        'b2-content-encoding': 'identity',
      },
    });
    assert.equal(f.fileInfo['b2-content-disposition'], 'attachment; filename="x.txt"');
    assert.equal(f.fileInfo['b2-cache-control'], 'max-age=60');
    assert.equal(f.fileInfo['b2-expires'], 'Wed, 21 Oct 2037 07:28:00 GMT');
  });

  it('an unknown b2-* info key answers 400', async () => {
    const r = await uploadTo(t, 'b2info/unknown.txt', 'x', { info: { 'b2-something': 'x' } });
    assertError(r, 400);
  });

  it('an invalid b2-expires value answers 400', async () => {
    const r = await uploadTo(t, 'b2info/badexpires.txt', 'x', { info: { 'b2-expires': 'not a date' } });
    assertError(r, 400);
  });

  /** Upload with one b2-* info value; answers the status. */
  async function b2InfoStatus(key: string, value: string): Promise<number> {
    return (await uploadTo(t, 'b2info/grammar.txt', 'x', { info: { [key]: value } })).status;
  }
  async function assertGrammar(key: string, good: string[], bad: string[]): Promise<void> {
    for (const v of good)
      assert.equal(await b2InfoStatus(key, v), 200, `${key}: ${JSON.stringify(v)} should be accepted`);
    const accepted: string[] = [];
    for (const v of bad) if ((await b2InfoStatus(key, v)) !== 400) accepted.push(v);
    assert.deepEqual(accepted, [], `${key}: invalid values accepted (want 400)`);
  }

  it('b2-content-disposition must be RFC 6266 without continuations; filename* only UTF-8 with empty language', async () => {
    await assertGrammar(
      'b2-content-disposition',
      ['inline', 'attachment; filename="a b.txt"', "attachment; filename*=UTF-8''%E2%82%AC.txt"],
      [
        "attachment; filename*=ISO-8859-1''x",
        "attachment; filename*=UTF-8'en'x",
        'attachment; filename*0="a"; filename*1="b"',
        'attachment; filename="unterminated',
        '; ;',
      ],
    );
  });

  it('b2-expires must be an RFC 2616 HTTP-date', async () => {
    await assertGrammar(
      'b2-expires',
      ['Sun, 06 Nov 1994 08:49:37 GMT', 'Sunday, 06-Nov-94 08:49:37 GMT'],
      ['2037-01-01', 'tomorrow', '1700000000'],
    );
  });

  it('b2-content-language must be RFC 2616 language tags', async () => {
    await assertGrammar('b2-content-language', ['en', 'en-US', 'de, fr'], ['en_US', 'verylonglanguage', 'en US']);
  });

  it('b2-content-encoding must be RFC 2616 content-codings', async () => {
    await assertGrammar('b2-content-encoding', ['gzip', 'gzip, identity'], ['gz ip', 'gzip;;', '"gzip"']);
  });

  it('b2-cache-control must be RFC 2616 cache directives', async () => {
    await assertGrammar(
      'b2-cache-control',
      ['max-age=60', 'no-cache, no-store', 'private="x"'],
      ['max-age="unbalanced', 'a b c', ',,='],
    );
  });

  it('Content-Disposition and other forbidden headers on the upload request answer 400', async () => {
    for (const [h, v] of [
      ['Content-Disposition', 'attachment'],
      ['Content-Language', 'en'],
      ['Expires', 'Wed, 21 Oct 2037 07:28:00 GMT'],
    ]) {
      const r = await uploadTo(t, 'forbidden.txt', 'x', { headers: { [h]: v } });
      assertError(r, 400);
    }
  });

  it('b2/x-auto picks the content type from the extension, octet-stream without one; explicit types are kept', async () => {
    const txt = await uploadOk(t, 'auto/a.txt', 'x', { contentType: 'b2/x-auto' });
    assert.equal(txt.contentType, 'text/plain');
    const json = await uploadOk(t, 'auto/a.json', '{}', { contentType: 'b2/x-auto' });
    assert.equal(json.contentType, 'application/json');
    const jpg = await uploadOk(t, 'auto/a.JPG', 'x', { contentType: 'b2/x-auto' });
    assert.equal(jpg.contentType, 'image/jpeg');
    const none = await uploadOk(t, 'auto/noext', 'x', { contentType: 'b2/x-auto' });
    assert.equal(none.contentType, 'application/octet-stream');
    const explicit = await uploadOk(t, 'auto/b.txt', 'x', { contentType: 'application/x-mine' });
    assert.equal(explicit.contentType, 'application/x-mine');
  });

  it('src_last_modified_millis is kept in fileInfo, get_file_info and the download headers', async () => {
    const f = await uploadOk(t, 'mtime.txt', 'x', { info: { src_last_modified_millis: '1600000000000' } });
    assert.equal(f.fileInfo.src_last_modified_millis, '1600000000000');
    const info = await ok(s, 'b2_get_file_info', { fileId: f.fileId });
    assert.equal(info.fileInfo.src_last_modified_millis, '1600000000000');
    const d = await fetchRaw(byIdUrl(s, f.fileId), { headers: { Authorization: s.token } });
    assert.equal(d.headers.get('x-bz-info-src_last_modified_millis'), '1600000000000');
  });

  it('concurrent uploads of one name through separate upload URLs each become a version', async () => {
    const targets = await Promise.all(Array.from({ length: 8 }, () => getUploadUrl(s, bucket.bucketId)));
    const res = await Promise.all(targets.map((u, i) => uploadTo(u, 'race/same.txt', `v${i}`)));
    assert.deepEqual(
      res.map((r) => r.status),
      Array(8).fill(200),
    );
    const v = await ok(s, 'b2_list_file_versions', { bucketId: bucket.bucketId, prefix: 'race/' });
    assert.deepEqual(new Set(v.files.map((f: Json) => f.fileId)), new Set(res.map((r) => r.body.fileId)));
    const n = await ok(s, 'b2_list_file_names', { bucketId: bucket.bucketId, prefix: 'race/' });
    assert.equal(n.files[0].fileId, v.files[0].fileId);
  });

  it('many serial uploads reuse one upload URL', async () => {
    const t2 = await getUploadUrl(s, bucket.bucketId);
    for (let i = 0; i < 20; i++) await uploadOk(t2, `serial/${i}`, String(i));
    assert.equal((await names('serial/')).length, 20);
  });

  it('uploads to an upload URL of a deleted bucket fail', async () => {
    const b = await makeBucket(s);
    const t2 = await getUploadUrl(s, b.bucketId);
    await ok(s, 'b2_delete_bucket', { accountId: s.accountId, bucketId: b.bucketId });
    const r = await uploadTo(t2, 'gone.txt', 'x');
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
    assert.equal(r.body.status, r.status);
  });
});
