import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { B2Error } from '../../src/core/errors.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import type { CallLogEntry } from '../../src/client/api.js';
import { bucketName, calls, collect, makeClient, startTestEmulator } from './fixture.js';

let emu: RunningEmulator;
let dir: string;

before(async () => {
  emu = await startTestEmulator();
  dir = await mkdtemp(join(tmpdir(), 'b2sync-session-'));
});
after(async () => {
  await emu?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('authorize once and reuse the token from memory for later calls', async () => {
  emu.controls.resetCounters();
  const c = makeClient(emu);
  try {
    const acct = await c.account();
    assert.ok(acct.apiUrl.startsWith('http://127.0.0.1'));
    assert.ok(acct.allowed.capabilities.includes('listBuckets'));
    await c.listBuckets();
    await c.listBuckets();
    assert.equal(calls(emu, 'b2_authorize_account'), 1);
    assert.equal(calls(emu, 'b2_list_buckets'), 2);
  } finally {
    await c.close();
  }
});

test('a file token cache is reused by the next client (no second authorize), is 0600 and holds no key', async () => {
  emu.controls.resetCounters();
  const cacheDir = join(dir, 'cache');
  const c1 = makeClient(emu, { tokenCache: { kind: 'file', dir: cacheDir } });
  await c1.listBuckets();
  await c1.close();
  const c2 = makeClient(emu, { tokenCache: { kind: 'file', dir: cacheDir } });
  await c2.listBuckets();
  await c2.close();
  assert.equal(calls(emu, 'b2_authorize_account'), 1, 'second client used the cached token');
  const files = await readdir(cacheDir);
  assert.equal(files.length, 1);
  const path = join(cacheDir, files[0]);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const text = await readFile(path, 'utf8');
  assert.ok(!text.includes(emu.applicationKey), 'the application key is not written');
  assert.ok(!files[0].includes(emu.keyId), 'the key id is hashed in the file name');
});

test('expired tokens: re-authorize once and replay the call', async () => {
  const c = makeClient(emu);
  try {
    await c.listBuckets();
    emu.controls.resetCounters();
    emu.controls.expireAllTokens();
    await c.listBuckets();
    assert.equal(calls(emu, 'b2_authorize_account'), 1);
    assert.equal(calls(emu, 'b2_list_buckets'), 2);
  } finally {
    await c.close();
  }
});

test('concurrent calls hitting an expired token share one re-authorization', async () => {
  const c = makeClient(emu);
  try {
    await c.listBuckets();
    emu.controls.resetCounters();
    emu.controls.expireAllTokens();
    await Promise.all(Array.from({ length: 8 }, () => c.listBuckets()));
    assert.equal(calls(emu, 'b2_authorize_account'), 1);
  } finally {
    await c.close();
  }
});

test('when re-authorization fails, the original expired_auth_token error surfaces', async () => {
  const c = makeClient(emu);
  try {
    await c.listBuckets();
    emu.controls.expireAllTokens();
    emu.controls.injectFault({
      call: 'b2_authorize_account',
      status: 401,
      code: 'unauthorized',
      message: 'key revoked',
    });
    await assert.rejects(
      c.listBuckets(),
      (e) => e instanceof B2Error && e.status === 401 && e.code === 'expired_auth_token',
    );
  } finally {
    emu.controls.clearFaults();
    await c.close();
  }
});

test('a 401 from authorize itself is final (no retry)', async () => {
  emu.controls.resetCounters();
  const c = makeClient(emu, { applicationKey: 'wrong-key-wrong-key' });
  try {
    await assert.rejects(c.account(), (e) => e instanceof B2Error && e.status === 401);
    assert.equal(calls(emu, 'b2_authorize_account'), 1);
  } finally {
    await c.close();
  }
});

test('tokens expired mid-listing of thousands of names: the listing continues after one re-authorize', async () => {
  const c = makeClient(emu);
  try {
    const bucket = await c.createBucket({ bucketName: bucketName('midlist'), bucketType: 'allPrivate' });
    const names = Array.from({ length: 2500 }, (_, i) => `f/${String(i).padStart(5, '0')}`);
    const empty = Buffer.alloc(0);
    const queue = [...names];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
          await c.uploadFile({ bucketId: bucket.bucketId, fileName: n, body: empty, contentLength: 0 });
        }
      }),
    );
    emu.controls.resetCounters();
    const seen: string[] = [];
    for await (const f of c.listFileNames(bucket.bucketId, { pageSize: 100 })) {
      seen.push(f.fileName);
      if (seen.length === 1234) emu.controls.expireAllTokens();
    }
    assert.deepEqual(seen, names);
    assert.equal(calls(emu, 'b2_authorize_account'), 1);
    assert.equal(calls(emu, 'b2_list_file_names'), 26, '25 pages plus the one replayed');
  } finally {
    await c.close();
  }
});

test('onCall logs each exchange with tokens and keys redacted', async () => {
  const log: CallLogEntry[] = [];
  const c = makeClient(emu, { onCall: (e) => log.push(e) });
  try {
    const bucket = await c.createBucket({ bucketName: bucketName('log'), bucketType: 'allPrivate' });
    await c.uploadFile({ bucketId: bucket.bucketId, fileName: 'x', body: Buffer.from('x'), contentLength: 1 });
    const acctToken = (await readAccountToken(c)) ?? '';
    assert.ok(acctToken.length > 0);
    emu.controls.injectFault({
      call: 'b2_list_buckets',
      status: 503,
      code: 'service_unavailable',
      message: `busy for token ${acctToken}`,
    });
    await c.listBuckets();
    const url = await c.downloadUrlByName(bucket.bucketName, 'x', 'SHARETOKEN123');
    assert.match(url, /Authorization=SHARETOKEN123$/);
    assert.ok(log.some((e) => e.call === 'b2_authorize_account' && e.status === 200));
    const failed = log.find((e) => e.call === 'b2_list_buckets' && e.status === 503);
    assert.match(failed?.error ?? '', /busy for token <redacted>/);
    const text = JSON.stringify(log);
    assert.ok(!text.includes(emu.applicationKey), 'no application key in the log');
    assert.ok(!text.includes(acctToken), 'no account token in the log');
    assert.ok(log.every((e) => typeof e.ms === 'number' && typeof e.attempt === 'number'));
  } finally {
    emu.controls.clearFaults();
    await c.close();
  }
});

async function readAccountToken(c: ReturnType<typeof makeClient>): Promise<string | undefined> {
  await c.account();
  return (c as unknown as { core: { session: { token?: string } } }).core.session.token;
}

test('listKeys pages through keys and createKey/deleteKey round-trip', async () => {
  const c = makeClient(emu);
  try {
    const made = await c.createKey({ keyName: 'k-one', capabilities: ['listBuckets'] });
    assert.ok(made.applicationKey);
    const keys = await collect(c.listKeys({ pageSize: 1 }));
    assert.ok(keys.some((k) => k.applicationKeyId === made.applicationKeyId));
    const deleted = await c.deleteKey(made.applicationKeyId);
    assert.equal(deleted.applicationKeyId, made.applicationKeyId);
    const after = await collect(c.listKeys());
    assert.ok(!after.some((k) => k.applicationKeyId === made.applicationKeyId));
  } finally {
    await c.close();
  }
});
