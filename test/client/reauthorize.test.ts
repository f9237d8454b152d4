/**
 * Tokens that expire again while a call is being retried: every expiry re-authorizes (the first for
 * free, later ones against --retries), so a sync under tokens expiring every ~100 calls never fails a
 * file for it; a token refused whatever is done still fails once the retry budget is spent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { B2Error } from '../../src/core/errors.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import { calls, makeClient, startTestEmulator } from './fixture.js';

let emu: RunningEmulator;
before(async () => {
  emu = await startTestEmulator();
});
after(() => emu?.close());

const expired = { call: 'b2_list_buckets', status: 401, code: 'expired_auth_token', message: 'expired' } as const;

test('a token that expires again after the re-authorization is renewed again, and the call succeeds', async () => {
  const c = makeClient(emu);
  try {
    await c.listBuckets();
    emu.controls.resetCounters();
    emu.controls.injectFault({ ...expired, count: 3 });
    await c.listBuckets();
    assert.equal(calls(emu, 'b2_list_buckets'), 4, 'three refused, the fourth answered');
    assert.equal(calls(emu, 'b2_authorize_account'), 3, 'one re-authorization per expiry');
  } finally {
    emu.controls.clearFaults();
    await c.close();
  }
});

test('a token refused on every try fails the call once the retry budget is spent', async () => {
  const c = makeClient(emu, { retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 } });
  try {
    await c.listBuckets();
    emu.controls.resetCounters();
    emu.controls.injectFault({ ...expired, count: 100 });
    await assert.rejects(c.listBuckets(), (e) => e instanceof B2Error && e.code === 'expired_auth_token');
    // the first re-authorization is free, the next two spend the budget: 4 tries in all
    assert.equal(calls(emu, 'b2_list_buckets'), 4);
    assert.ok(calls(emu, 'b2_authorize_account') <= 4, `${calls(emu, 'b2_authorize_account')} authorizations`);
  } finally {
    emu.controls.clearFaults();
    await c.close();
  }
});

test('an upload meeting a few stale upload tokens in a row succeeds without spending its retries', async () => {
  const c = makeClient(emu, { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 5 } });
  try {
    const bucket = await c.createBucket({ bucketName: 'reauth-upload-bucket', bucketType: 'allPrivate' });
    emu.controls.resetCounters();
    emu.controls.injectFault({ call: 'b2_upload_file', status: 401, code: 'expired_auth_token', count: 3 });
    const data = Buffer.from('stale tokens are no fault of this upload');
    const v = await c.uploadFile({
      bucketId: bucket.bucketId,
      fileName: 'u.txt',
      body: data,
      contentLength: data.length,
    });
    assert.equal(v.contentLength, data.length);
    assert.equal(calls(emu, 'b2_upload_file'), 4, 'three refused, the fourth stored');
  } finally {
    emu.controls.clearFaults();
    await c.close();
  }
});

test('an upload whose token is refused on every try still fails', async () => {
  const c = makeClient(emu, { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 5 } });
  try {
    const bucket = await c.createBucket({ bucketName: 'reauth-upload-bucket-2', bucketType: 'allPrivate' });
    emu.controls.injectFault({ call: 'b2_upload_file', status: 401, code: 'expired_auth_token', count: 100 });
    const data = Buffer.from('never');
    await assert.rejects(
      c.uploadFile({ bucketId: bucket.bucketId, fileName: 'u.txt', body: data, contentLength: data.length }),
      B2Error,
    );
  } finally {
    emu.controls.clearFaults();
    await c.close();
  }
});
