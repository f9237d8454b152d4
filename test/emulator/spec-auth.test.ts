/** Conformance: b2_authorize_account shapes per version (§3, §16) and token rules (§2). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  MASTER_KEY,
  MASTER_KEY_ID,
  assertError,
  authorizeRaw,
  b2Encode,
  byIdUrl,
  call,
  fetchRaw,
  getUploadUrl,
  makeBucket,
  ok,
  partialPost,
  session,
  sha1,
  sleep,
  upload,
  start,
  uploadTo,
  type Json,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

const MIN_PART = 1234;

describe('spec: authorize and tokens', () => {
  let emu: RunningEmulator;
  let s: Session;
  let bucket: { bucketId: string; bucketName: string };
  let restricted: { applicationKeyId: string; applicationKey: string };

  before(async () => {
    emu = await start({ minPartSize: MIN_PART });
    s = await session(emu);
    bucket = await makeBucket(s);
    restricted = await ok(
      s,
      'b2_create_key',
      {
        accountId: s.accountId,
        keyName: 'restricted-one',
        capabilities: ['listBuckets', 'listFiles', 'readFiles', 'writeFiles'],
        bucketId: bucket.bucketId,
        namePrefix: 'only/',
      },
      { version: 'v2' },
    );
  });
  after(async () => {
    await emu.close();
  });

  it('start() reports the master credentials and a loopback url', () => {
    assert.equal(emu.keyId, MASTER_KEY_ID);
    assert.equal(emu.applicationKey, MASTER_KEY);
    assert.match(emu.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('v4 authorize nests everything under apiInfo.storageApi with allowed{capabilities,buckets,namePrefix}', async () => {
    const r = await authorizeRaw(emu.url, MASTER_KEY_ID, MASTER_KEY, { version: 'v4' });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    const b = r.body;
    assert.equal(typeof b.accountId, 'string');
    assert.ok(b.authorizationToken.length > 0);
    const sa = b.apiInfo.storageApi;
    assert.equal(typeof sa.apiUrl, 'string');
    assert.equal(typeof sa.downloadUrl, 'string');
    assert.equal(typeof sa.s3ApiUrl, 'string');
    assert.equal(sa.absoluteMinimumPartSize, MIN_PART);
    assert.equal(typeof sa.recommendedPartSize, 'number');
    assert.ok(sa.recommendedPartSize >= MIN_PART);
    assert.ok(Array.isArray(sa.allowed.capabilities));
    for (const c of [
      'listBuckets',
      'writeBuckets',
      'deleteBuckets',
      'listFiles',
      'readFiles',
      'writeFiles',
      'deleteFiles',
      'shareFiles',
      'listKeys',
      'writeKeys',
      'deleteKeys',
    ])
      assert.ok(sa.allowed.capabilities.includes(c), `master key lacks ${c}`);
    assert.equal(sa.allowed.buckets, null);
    assert.equal(sa.allowed.namePrefix, null);
    assert.ok(
      !('bucketId' in sa) && !('bucketName' in sa) && !('infoType' in sa),
      'v4 storageApi must not carry bucketId/bucketName/infoType',
    );
    assert.ok('applicationKeyExpirationTimestamp' in b);
    assert.equal(b.applicationKeyExpirationTimestamp, null);
    assert.ok(!('apiUrl' in b), 'v4 has no top-level apiUrl');
  });

  it('v3 authorize puts flat scope fields in storageApi with infoType "storageApi" and no allowed object', async () => {
    const r = await authorizeRaw(emu.url, MASTER_KEY_ID, MASTER_KEY, { version: 'v3' });
    assert.equal(r.status, 200, r.text);
    const sa = r.body.apiInfo.storageApi;
    assert.equal(sa.infoType, 'storageApi');
    assert.equal(sa.absoluteMinimumPartSize, MIN_PART);
    assert.equal(typeof sa.recommendedPartSize, 'number');
    assert.equal(typeof sa.apiUrl, 'string');
    assert.equal(typeof sa.downloadUrl, 'string');
    assert.equal(typeof sa.s3ApiUrl, 'string');
    assert.ok(Array.isArray(sa.capabilities));
    assert.equal(sa.bucketId, null);
    assert.equal(sa.bucketName, null);
    assert.equal(sa.namePrefix, null);
    assert.ok(!('allowed' in sa));
  });

  for (const version of ['v1', 'v2']) {
    it(`${version} authorize is flat with apiUrl, downloadUrl, part sizes and allowed{bucketId,bucketName,capabilities,namePrefix}`, async () => {
      const r = await authorizeRaw(emu.url, MASTER_KEY_ID, MASTER_KEY, { version });
      assert.equal(r.status, 200, r.text);
      const b = r.body;
      assert.equal(typeof b.accountId, 'string');
      assert.equal(typeof b.authorizationToken, 'string');
      assert.equal(typeof b.apiUrl, 'string');
      assert.equal(typeof b.downloadUrl, 'string');
      assert.equal(b.absoluteMinimumPartSize, MIN_PART);
      assert.equal(typeof b.recommendedPartSize, 'number');
      if (version === 'v2') assert.equal(typeof b.s3ApiUrl, 'string');
      // v1 minimumPartSize is unconfirmed; docs/emulator.md says v1 carries it
      if (version === 'v1') assert.equal(typeof b.minimumPartSize, 'number');
      assert.ok(Array.isArray(b.allowed.capabilities));
      assert.equal(b.allowed.bucketId, null);
      assert.equal(b.allowed.bucketName, null);
      assert.equal(b.allowed.namePrefix, null);
      assert.ok(!('apiInfo' in b));
    });

    it(`${version} authorize of a bucket-restricted key names the bucket in allowed.bucketName`, async () => {
      const r = await authorizeRaw(emu.url, restricted.applicationKeyId, restricted.applicationKey, { version });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.allowed.bucketId, bucket.bucketId);
      assert.equal(r.body.allowed.bucketName, bucket.bucketName);
      assert.equal(r.body.allowed.namePrefix, 'only/');
      assert.deepEqual([...r.body.allowed.capabilities].sort(), [
        'listBuckets',
        'listFiles',
        'readFiles',
        'writeFiles',
      ]);
    });
  }

  it('v3 authorize of a bucket-restricted key carries bucketId, bucketName and namePrefix in storageApi', async () => {
    const r = await authorizeRaw(emu.url, restricted.applicationKeyId, restricted.applicationKey, { version: 'v3' });
    assert.equal(r.status, 200, r.text);
    const sa = r.body.apiInfo.storageApi;
    assert.equal(sa.bucketId, bucket.bucketId);
    assert.equal(sa.bucketName, bucket.bucketName);
    assert.equal(sa.namePrefix, 'only/');
  });

  it('v4 authorize of a bucket-restricted key lists allowed.buckets [{id,name}] and the namePrefix', async () => {
    const r = await authorizeRaw(emu.url, restricted.applicationKeyId, restricted.applicationKey, { version: 'v4' });
    assert.equal(r.status, 200, r.text);
    const al = r.body.apiInfo.storageApi.allowed;
    assert.deepEqual(al.buckets, [{ id: bucket.bucketId, name: bucket.bucketName }]);
    assert.equal(al.namePrefix, 'only/');
  });

  it('authorize accepts POST with a {} JSON body (b2sdk style) and answers the same shape', async () => {
    const r = await authorizeRaw(emu.url, MASTER_KEY_ID, MASTER_KEY, { version: 'v2', method: 'POST' });
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof r.body.apiUrl, 'string');
    assert.equal(typeof r.body.allowed, 'object');
    const r4 = await authorizeRaw(emu.url, MASTER_KEY_ID, MASTER_KEY, { version: 'v4', method: 'POST' });
    assert.equal(r4.status, 200, r4.text);
    assert.equal(typeof r4.body.apiInfo.storageApi.apiUrl, 'string');
  });

  it('the apiUrl and token from authorize serve JSON calls', async () => {
    const b = await ok(s, 'b2_list_buckets', { accountId: s.accountId });
    assert.ok(b.buckets.some((x: { bucketId: string }) => x.bucketId === bucket.bucketId));
  });

  it('authorize accepts the accountId in place of the master key id', async () => {
    const r = await authorizeRaw(emu.url, s.accountId, MASTER_KEY);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.accountId, s.accountId);
  });

  it('authorize with a wrong key or an unknown key id answers 401 unauthorized', async () => {
    for (const [id, key] of [
      [MASTER_KEY_ID, 'wrong'],
      ['nope', MASTER_KEY],
    ]) {
      const r = await authorizeRaw(emu.url, id, key);
      assertError(r, 401, 'unauthorized');
    }
  });

  it('authorize without a Basic credential answers 401 bad_auth_token with WWW-Authenticate (docs/emulator.md choice)', async () => {
    for (const headers of [{}, { Authorization: 'Bearer abc' }, { Authorization: 'Basic !!!not-base64' }] as Record<
      string,
      string
    >[]) {
      const r = await fetch(`${emu.url}/b2api/v4/b2_authorize_account`, { headers });
      assert.equal(r.status, 401, JSON.stringify(headers));
      const body = (await r.json()) as Json;
      assert.equal(body.status, 401);
      assert.equal(body.code, 'bad_auth_token');
      assert.match(r.headers.get('www-authenticate') ?? '', /^BASIC realm="authorize_account"$/i);
    }
  });

  it('each authorize issues a distinct account token', async () => {
    const a = await session(emu);
    const b = await session(emu);
    assert.notEqual(a.token, b.token);
    await ok(a, 'b2_list_buckets', { accountId: a.accountId });
    await ok(b, 'b2_list_buckets', { accountId: b.accountId });
  });

  it('an unknown account token answers 401 bad_auth_token', async () => {
    const r = await call(s, 'b2_list_buckets', { accountId: s.accountId }, { token: 'not-a-token' });
    assertError(r, 401, 'bad_auth_token');
  });

  it('a call without an Authorization header answers 401 missing_auth_token', async () => {
    const r = await call(s, 'b2_list_buckets', { accountId: s.accountId }, { token: null });
    assertError(r, 401, 'missing_auth_token');
  });

  it('an accountId naming another account answers 401 unauthorized', async () => {
    const r = await call(s, 'b2_list_buckets', { accountId: '000000000000' });
    assertError(r, 401, 'unauthorized');
  });

  it('an account token is rejected as an upload token at an upload URL (401)', async () => {
    const t = await getUploadUrl(s, bucket.bucketId);
    const r = await uploadTo(t, 'acct-token.txt', 'x', { token: s.token });
    assert.equal(r.status, 401, r.text);
    assert.equal(r.body.status, 401);
  });

  it('an upload token is bound to its own upload URL', async () => {
    const t1 = await getUploadUrl(s, bucket.bucketId);
    const t2 = await getUploadUrl(s, bucket.bucketId);
    assert.notEqual(t1.authorizationToken, t2.authorizationToken);
    const r = await uploadTo({ uploadUrl: t2.uploadUrl, authorizationToken: t1.authorizationToken }, 'swap.txt', 'x');
    assertError(r, 401, 'bad_auth_token');
    // each token still works at its own URL
    const ok1 = await uploadTo(t1, 'swap.txt', 'x');
    assert.equal(ok1.status, 200, ok1.text);
    const ok2 = await uploadTo(t2, 'swap.txt', 'y');
    assert.equal(ok2.status, 200, ok2.text);
  });

  it('an upload token is not usable as an account token for JSON calls', async () => {
    const t = await getUploadUrl(s, bucket.bucketId);
    const r = await call(s, 'b2_list_buckets', { accountId: s.accountId }, { token: t.authorizationToken });
    assert.equal(r.status, 401, r.text);
  });

  it('a second upload on an upload token already in flight answers 400 auth_token_limit; serial reuse works', async () => {
    const t = await getUploadUrl(s, bucket.bucketId);
    const data = Buffer.alloc(1000, 7);
    const first = partialPost(
      t.uploadUrl,
      {
        Authorization: t.authorizationToken,
        'X-Bz-File-Name': b2Encode('inflight.bin'),
        'Content-Type': 'b2/x-auto',
        'X-Bz-Content-Sha1': sha1(data),
      },
      data.length,
      data.subarray(0, 100),
    );
    await sleep(300);
    const second = await uploadTo(t, 'concurrent.bin', 'hello');
    assertError(second, 400, 'auth_token_limit');
    const done = await first.finish(data.subarray(100));
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.contentSha1, sha1(data));
    const third = await uploadTo(t, 'serial.bin', 'again');
    assert.equal(third.status, 200, third.text);
  });

  it('upload part tokens are also limited to one in-flight upload (auth_token_limit)', async () => {
    const lf = await ok(s, 'b2_start_large_file', {
      bucketId: bucket.bucketId,
      fileName: 'lf-inflight',
      contentType: 'b2/x-auto',
    });
    const pu = await ok(s, 'b2_get_upload_part_url', { fileId: lf.fileId });
    const data = Buffer.alloc(MIN_PART, 1);
    const first = partialPost(
      pu.uploadUrl,
      { Authorization: pu.authorizationToken, 'X-Bz-Part-Number': '1', 'X-Bz-Content-Sha1': sha1(data) },
      data.length,
      data.subarray(0, 10),
    );
    await sleep(300);
    const r = await fetch(pu.uploadUrl, {
      method: 'POST',
      headers: { Authorization: pu.authorizationToken, 'X-Bz-Part-Number': '2', 'X-Bz-Content-Sha1': sha1('zz') },
      body: 'zz',
    });
    const body = (await r.json()) as Json;
    assert.equal(r.status, 400);
    assert.equal(body.code, 'auth_token_limit');
    const done = await first.finish(data.subarray(10));
    assert.equal(done.status, 200, done.text);
    await ok(s, 'b2_cancel_large_file', { fileId: lf.fileId });
  });

  it('account tokens expire after tokenTtlSeconds (JSON calls and downloads: 401 expired_auth_token); re-authorizing works', async () => {
    const e2 = await start({ tokenTtlSeconds: 1 });
    try {
      const s2 = await session(e2);
      await ok(s2, 'b2_list_buckets', { accountId: s2.accountId });
      const b = await makeBucket(s2);
      const f = await upload(s2, b.bucketId, 'ttl.txt', 'x');
      await sleep(1600);
      const r = await call(s2, 'b2_list_buckets', { accountId: s2.accountId });
      assertError(r, 401, 'expired_auth_token');
      const d = await fetchRaw(byIdUrl(s2, f.fileId), { headers: { Authorization: s2.token } });
      assert.equal(d.status, 401);
      assert.equal(d.body?.code, 'expired_auth_token');
      const s3 = await session(e2);
      await ok(s3, 'b2_list_buckets', { accountId: s3.accountId });
    } finally {
      await e2.close();
    }
  });

  it('a token from one emulator is unknown (bad_auth_token) to another', async () => {
    const e2 = await start();
    try {
      const s2 = await session(e2);
      const r = await call(s, 'b2_list_buckets', { accountId: s.accountId }, { token: s2.token });
      assertError(r, 401, 'bad_auth_token');
    } finally {
      await e2.close();
    }
  });
});
