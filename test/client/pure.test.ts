import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LimitError, UsageError, isAbortError } from '../../src/core/errors.js';
import { sha1Hex } from '../../src/core/sha1.js';
import { parseAuthorize } from '../../src/client/account-info.js';
import { contentRangeTotal, parseDownloadHeaders } from '../../src/client/download-headers.js';
import { redactText, redactUrl, redactAuthorization } from '../../src/client/redact.js';
import { anySignal, sleep } from '../../src/core/abort.js';
import { backoffDelay, resolveRetry } from '../../src/client/retry.js';
import { clampDownloadDuration, shareUrl } from '../../src/client/share.js';
import { FileTokenStore, tokenCacheFileName } from '../../src/client/token-cache.js';
import { errorFromResponse, parseRetryAfter } from '../../src/client/transport.js';
import { makeAttemptBody } from '../../src/client/upload-body.js';
import { UploadUrlPool } from '../../src/client/upload-url-pool.js';
import { checkFileMetadata, checkPageSize } from '../../src/client/validate.js';
import { uploadVerdict } from '../../src/client/b2-client.js';
import { B2Error } from '../../src/core/errors.js';

test('backoff doubles from the base, stays within [50%,100%] jitter and the ceiling', () => {
  const r = resolveRetry({ baseDelayMs: 100, maxDelayMs: 1000 });
  assert.equal(
    backoffDelay(0, r, undefined, () => 0),
    50,
  );
  assert.equal(
    backoffDelay(0, r, undefined, () => 1),
    100,
  );
  assert.equal(
    backoffDelay(2, r, undefined, () => 1),
    400,
  );
  assert.equal(
    backoffDelay(10, r, undefined, () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(10, r, undefined, () => 0),
    500,
  );
});

test('backoff honours Retry-After seconds over the computed delay', () => {
  const r = resolveRetry({ baseDelayMs: 5 });
  assert.equal(backoffDelay(0, r, 3), 3000);
  assert.equal(backoffDelay(4, r, 0), 0);
  assert.equal(backoffDelay(0, r, 86_400), 64_000, 'an absurd Retry-After is capped');
});

test('retry defaults are 5 retries, 1 s base, 64 s ceiling', () => {
  assert.deepEqual(resolveRetry(undefined), { retries: 5, baseDelayMs: 1000, maxDelayMs: 64000 });
});

test('sleep rejects with an AbortError at once when the signal fires', async () => {
  const ac = new AbortController();
  const t0 = Date.now();
  setTimeout(() => ac.abort(), 20);
  await assert.rejects(sleep(10_000, ac.signal), (e) => isAbortError(e));
  assert.ok(Date.now() - t0 < 1000);
  const s = anySignal(undefined, ac.signal);
  assert.equal(s, ac.signal);
});

test('parseRetryAfter reads seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter('7'), 7);
  assert.equal(parseRetryAfter(undefined), undefined);
  assert.equal(parseRetryAfter('soon'), undefined);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now), 10);
});

test('errorFromResponse keeps status, code, message and Retry-After from a B2 error body', () => {
  const e = errorFromResponse(
    'b2_list_buckets',
    503,
    { 'retry-after': '2' },
    '{"status":503,"code":"service_unavailable","message":"busy"}',
  );
  assert.equal(e.status, 503);
  assert.equal(e.code, 'service_unavailable');
  assert.equal(e.message, 'busy');
  assert.equal(e.retryAfter, 2);
  assert.equal(e.retryable, true);
  const head = errorFromResponse('b2_download_file_by_name', 404, {}, '');
  assert.equal(head.code, 'not_found');
  assert.equal(head.fatal, true);
});

test('upload failures that take a fresh URL: transport, 408, 429, 5xx, upload-token 401s, auth_token_limit', () => {
  const e = (status: number, code: string) => new B2Error({ status, code, message: '' });
  for (const [s, c] of [
    [0, 'network_error'],
    [408, 'request_timeout'],
    [429, 'too_many_requests'],
    [500, 'internal_error'],
    [503, 'service_unavailable'],
    [401, 'expired_auth_token'],
    [400, 'auth_token_limit'],
  ] as const) {
    assert.equal(e(s, c).retryableUpload, true, `${s} ${c}`);
  }
  for (const [s, c] of [
    [400, 'bad_request'],
    [401, 'unauthorized'],
    [403, 'storage_cap_exceeded'],
    [404, 'not_found'],
  ] as const) {
    assert.equal(e(s, c).retryableUpload, false, `${s} ${c}`);
    assert.equal(uploadVerdict(e(s, c)), 'fail', `${s} ${c}`);
  }
  assert.equal(uploadVerdict(e(401, 'bad_auth_token')), 'retry-now');
  assert.equal(uploadVerdict(e(400, 'auth_token_limit')), 'retry-now');
  assert.equal(uploadVerdict(e(503, 'service_unavailable')), 'retry');
  assert.equal(uploadVerdict(new Error('EIO: the source file')), 'fail');
});

test('B2Error flags: retryable, reauthorize, notFound', () => {
  const e = (status: number, code: string) => new B2Error({ status, code, message: '' });
  assert.equal(e(503, 'service_unavailable').retryable, true);
  assert.equal(e(0, 'network_error').retryable, true);
  assert.equal(e(400, 'bad_request').retryable, false);
  assert.equal(e(401, 'expired_auth_token').reauthorize, true);
  assert.equal(e(401, 'unauthorized').reauthorize, false);
  for (const [s, c] of [
    [404, 'not_found'],
    [400, 'no_such_file'],
    [400, 'file_not_present'],
    [400, 'bad_bucket_id'],
  ] as const) {
    assert.equal(e(s, c).notFound, true, `${s} ${c}`);
  }
  for (const [s, c] of [
    [400, 'bad_request'],
    [401, 'unauthorized'],
    [503, 'service_unavailable'],
  ] as const) {
    assert.equal(e(s, c).notFound, false, `${s} ${c}`);
  }
});

test('clampDownloadDuration keeps 1..604800 and reports clamping', () => {
  assert.deepEqual(clampDownloadDuration(3600), { seconds: 3600, clamped: false, requested: 3600 });
  assert.deepEqual(clampDownloadDuration(0), { seconds: 1, clamped: true, requested: 0 });
  assert.deepEqual(clampDownloadDuration(-5), { seconds: 1, clamped: true, requested: -5 });
  assert.deepEqual(clampDownloadDuration(10_000_000), { seconds: 604800, clamped: true, requested: 10_000_000 });
  assert.equal(clampDownloadDuration(1.5).seconds, 1);
  assert.equal(clampDownloadDuration(Infinity).seconds, 604800);
});

test('shareUrl encodes odd names the B2 way and appends the token as Authorization', () => {
  const url = shareUrl('https://f001.example.com/', 'my-bucket', 'dir/a b+c%d#e?é😀.txt', 'tok/en=');
  assert.equal(
    url,
    'https://f001.example.com/file/my-bucket/dir/a%20b%2Bc%25d%23e%3F%C3%A9%F0%9F%98%80.txt?Authorization=tok%2Fen%3D',
  );
  assert.equal(shareUrl('http://h', 'bkt-name', 'x'), 'http://h/file/bkt-name/x');
});

test('redaction hides Authorization query values, Basic credentials and known secrets', () => {
  assert.equal(
    redactUrl('http://h/file/b/x?Authorization=abc&b2ContentType=t'),
    'http://h/file/b/x?Authorization=<redacted>&b2ContentType=t',
  );
  assert.equal(redactAuthorization('Basic QWxhZGRpbjpvcGVu'), 'Basic <redacted>');
  assert.equal(redactAuthorization('4_abc'), '<redacted>');
  assert.equal(
    redactText('more than one upload using auth token SECRETTOKEN1', ['SECRETTOKEN1']),
    'more than one upload using auth token <redacted>',
  );
  assert.equal(redactText('Authorization: Basic QWxhZGRpbjpvcGVu', []), 'Authorization: Basic <redacted>');
});

test('parseAuthorize reads the v4 shape', () => {
  const { token, account } = parseAuthorize(
    {
      accountId: 'acc',
      authorizationToken: 'tok',
      apiInfo: {
        storageApi: {
          apiUrl: 'http://api/',
          downloadUrl: 'http://dl',
          s3ApiUrl: 'http://s3',
          recommendedPartSize: 100,
          absoluteMinimumPartSize: 5,
          allowed: { capabilities: ['listFiles'], buckets: [{ id: 'b1', name: 'one' }], namePrefix: 'p/' },
        },
      },
      applicationKeyExpirationTimestamp: null,
    },
    42,
  );
  assert.equal(token, 'tok');
  assert.deepEqual(account, {
    accountId: 'acc',
    apiUrl: 'http://api',
    downloadUrl: 'http://dl',
    recommendedPartSize: 100,
    absoluteMinimumPartSize: 5,
    allowed: { capabilities: ['listFiles'], buckets: [{ id: 'b1', name: 'one' }], namePrefix: 'p/' },
    authorizedAt: 42,
  });
});

test('parseAuthorize falls back to the v3 and v2 shapes', () => {
  const v3 = parseAuthorize(
    {
      accountId: 'a',
      authorizationToken: 't',
      apiInfo: {
        storageApi: {
          apiUrl: 'http://a',
          downloadUrl: 'http://d',
          recommendedPartSize: 10,
          absoluteMinimumPartSize: 1,
          bucketId: 'b',
          bucketName: 'bn',
          capabilities: ['x'],
          namePrefix: null,
          infoType: 'storageApi',
        },
      },
    },
    1,
  );
  assert.deepEqual(v3.account.allowed, { capabilities: ['x'], buckets: [{ id: 'b', name: 'bn' }], namePrefix: null });
  const v2 = parseAuthorize(
    {
      accountId: 'a',
      authorizationToken: 't',
      apiUrl: 'http://a',
      downloadUrl: 'http://d',
      recommendedPartSize: 10,
      absoluteMinimumPartSize: 1,
      allowed: { bucketId: null, bucketName: null, capabilities: ['y'], namePrefix: null },
    },
    1,
  );
  assert.equal(v2.account.apiUrl, 'http://a');
  assert.deepEqual(v2.account.allowed, { capabilities: ['y'], buckets: null, namePrefix: null });
  assert.throws(() => parseAuthorize({ accountId: 'a' }, 1), /authorizationToken/);
});

test('download headers: X-Bz-Info decoded, name decoded, Content-Range total', () => {
  const d = parseDownloadHeaders('b2_download_file_by_id', 206, {
    'content-length': '4',
    'content-range': 'bytes 5-8/10',
    'content-type': 'text/plain',
    'x-bz-file-id': 'id1',
    'x-bz-file-name': 'a%20b%2Bc',
    'x-bz-content-sha1': 'none',
    'x-bz-upload-timestamp': '1000',
    'x-bz-info-author': 'J%C3%BCrgen+x',
  });
  assert.equal(d.fileName, 'a b+c');
  assert.equal(d.contentLength, 4);
  assert.equal(d.totalLength, 10);
  assert.deepEqual(d.info, { author: 'Jürgen x' });
  assert.equal(contentRangeTotal('bytes */77'), 77);
});

test('file token cache: mode 0600, atomic, no key stored, key change invalidates', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'b2c-'));
  try {
    const key = 'K001supersecretapplicationkey';
    const store = new FileTokenStore(join(dir, 'sub'), 'http://e', 'kid', key);
    assert.equal(await store.load(), undefined);
    const account = {
      accountId: 'a',
      apiUrl: 'http://a',
      downloadUrl: 'http://d',
      recommendedPartSize: 1,
      absoluteMinimumPartSize: 1,
      allowed: { capabilities: [], buckets: null, namePrefix: null },
      authorizedAt: 5,
    };
    await store.save({ authorizationToken: 'tok', account });
    const st = await stat(store.path);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal((await readdir(join(dir, 'sub'))).length, 1, 'no temp file left behind');
    assert.ok(store.path.endsWith(tokenCacheFileName('http://e', 'kid')));
    const text = await readFile(store.path, 'utf8');
    assert.ok(!text.includes(key));
    assert.deepEqual(await store.load(), { authorizationToken: 'tok', account });
    assert.equal(await new FileTokenStore(join(dir, 'sub'), 'http://e', 'kid', 'other-key').load(), undefined);
    await store.clear();
    assert.equal(await store.load(), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

async function drain(r: Buffer | Readable | AsyncIterable<Buffer>): Promise<Buffer> {
  if (Buffer.isBuffer(r)) return r;
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('attempt body from a factory appends the SHA-1 hex and counts progress', async () => {
  const data = Buffer.from('hello world, hashed inline');
  const progress: number[] = [];
  const b = makeAttemptBody(
    () => Readable.from([data.subarray(0, 5), data.subarray(5)]),
    data.length,
    undefined,
    (n) => progress.push(n),
  );
  assert.equal(b.length, data.length + 40);
  assert.equal(b.sha1Header, 'hex_digits_at_end');
  const sent = await drain(b.body);
  assert.equal(sent.toString(), data.toString() + sha1Hex(data));
  assert.equal(b.sha1(), sha1Hex(data));
  assert.equal(progress.at(-1), data.length);
});

test('attempt body from a Buffer sends the SHA-1 in the header and rejects a wrong length', async () => {
  const data = Buffer.alloc(600_000, 7);
  const progress: number[] = [];
  const b = makeAttemptBody(data, data.length, undefined, (n) => progress.push(n));
  assert.equal(b.sha1Header, sha1Hex(data));
  assert.equal(b.length, data.length);
  assert.deepEqual(await drain(b.body), data);
  assert.equal(progress.at(-1), data.length);
  assert.throws(() => makeAttemptBody(data, 5, undefined), UsageError);
});

test('upload URL pool hands a URL to one taker at a time', () => {
  const pool = new UploadUrlPool();
  pool.give('b', { uploadUrl: 'u1', authorizationToken: 't1' });
  const a = pool.take('b');
  assert.equal(a?.uploadUrl, 'u1');
  assert.equal(pool.take('b'), undefined);
  pool.give('b', a!);
  pool.drop('b');
  assert.equal(pool.size('b'), 0);
});

test('metadata checks name the limit and what to shorten', () => {
  assert.doesNotThrow(() => checkFileMetadata('ok.txt', { src_last_modified_millis: '1' }));
  assert.throws(() => checkFileMetadata(''), UsageError);
  assert.throws(() => checkFileMetadata('a\nb'), UsageError);
  assert.throws(
    () => checkFileMetadata('x'.repeat(1025)),
    (e) => e instanceof LimitError && /shorten the file name/.test(e.message),
  );
  assert.throws(
    () => checkFileMetadata('n', { big: '%'.repeat(3000) }),
    (e) => e instanceof LimitError && /shorten the file name or drop metadata/.test(e.message),
  );
  const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
  assert.throws(() => checkFileMetadata('n', eleven), LimitError);
  assert.throws(() => checkFileMetadata('n', { 'bad key': 'v' }), UsageError);
  assert.equal(checkPageSize(undefined, 10000, 1000), 1000);
  assert.throws(() => checkPageSize(10001, 10000, 1000), UsageError);
});

test('undici-lite loads undici from its Agent and request modules, not the whole package', async () => {
  const { undici } = await import('../../src/client/undici-lite.js');
  // 'package' means undici's layout changed: still works, but every start pays ~60 ms more.
  assert.equal(undici.via, 'modules');
  assert.equal(typeof undici.Agent, 'function');
  assert.equal(typeof undici.request, 'function');
});
