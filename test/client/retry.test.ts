import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { B2Error, isAbortError } from '../../src/core/errors.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import { calls, collect, makeClient, startTestEmulator } from './fixture.js';

let emu: RunningEmulator;
before(async () => {
  emu = await startTestEmulator();
});
after(async () => {
  await emu?.close();
});

test('503 is retried with backoff until it succeeds', async () => {
  const c = makeClient(emu);
  try {
    await c.account();
    emu.controls.resetCounters();
    emu.controls.injectFault({ call: 'b2_list_buckets', status: 503, code: 'service_unavailable', count: 3 });
    await c.listBuckets();
    assert.equal(calls(emu, 'b2_list_buckets'), 4);
  } finally {
    emu.controls.clearFaults();
    await c.close();
  }
});

test('429 with Retry-After waits the given seconds before the retry', async () => {
  const c = makeClient(emu);
  try {
    await c.account();
    emu.controls.resetCounters();
    emu.controls.injectFault({ call: 'b2_list_buckets', status: 429, code: 'too_many_requests', retryAfter: 1 });
    const t0 = Date.now();
    await c.listBuckets();
    const ms = Date.now() - t0;
    assert.ok(ms >= 950, `waited ${ms} ms`);
    assert.equal(calls(emu, 'b2_list_buckets'), 2);
  } finally {
    emu.controls.clearFaults();
    await c.close();
  }
});

test('retries stop after the configured count and the last error surfaces', async () => {
  const c = makeClient(emu, { retry: { retries: 2, baseDelayMs: 1 } });
  try {
    await c.account();
    emu.controls.resetCounters();
    emu.controls.injectFault({ call: 'b2_list_buckets', status: 500, code: 'internal_error', count: 10 });
    await assert.rejects(c.listBuckets(), (e) => e instanceof B2Error && e.status === 500);
    assert.equal(calls(emu, 'b2_list_buckets'), 3);
  } finally {
    emu.controls.clearFaults();
    await c.close();
  }
});

for (const [status, code] of [
  [400, 'bad_request'],
  [401, 'unauthorized'],
  [403, 'transaction_cap_exceeded'],
  [404, 'not_found'],
] as const) {
  test(`${status} ${code} is not retried`, async () => {
    const c = makeClient(emu);
    try {
      await c.account();
      emu.controls.resetCounters();
      emu.controls.injectFault({ call: 'b2_list_buckets', status, code, count: 5 });
      await assert.rejects(c.listBuckets(), (e) => e instanceof B2Error && e.status === status && e.code === code);
      assert.equal(calls(emu, 'b2_list_buckets'), 1);
      assert.equal(calls(emu, 'b2_authorize_account'), 0);
    } finally {
      emu.controls.clearFaults();
      await c.close();
    }
  });
}

test('the client-wide signal aborts a call waiting on retries, with an AbortError', async () => {
  const ac = new AbortController();
  const c = makeClient(emu, { signal: ac.signal, retry: { baseDelayMs: 10_000, maxDelayMs: 10_000 } });
  try {
    await c.account();
    emu.controls.injectFault({ call: 'b2_list_buckets', status: 503, code: 'service_unavailable', count: 5 });
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(c.listBuckets(), (e) => isAbortError(e));
    assert.ok(Date.now() - t0 < 2000);
  } finally {
    emu.controls.clearFaults();
    await c.close();
  }
});

test('a per-call signal aborts a request in flight (slow server)', async () => {
  const c = makeClient(emu);
  try {
    await c.account();
    emu.controls.setLatency(3000);
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 100);
    const it = c.listFileNames('0000', { signal: ac.signal })[Symbol.asyncIterator]();
    await assert.rejects(it.next(), (e) => isAbortError(e));
    assert.ok(Date.now() - t0 < 2000, 'aborted before the slow reply');
  } finally {
    emu.controls.setLatency(0);
    await c.close();
  }
});

test('connection refused is a transport error (status 0), retried then surfaced', async () => {
  const c = makeClient(emu, { endpoint: 'http://127.0.0.1:1', retry: { retries: 2, baseDelayMs: 1 } });
  try {
    await assert.rejects(c.account(), (e) => e instanceof B2Error && e.status === 0 && e.retryable);
  } finally {
    await c.close();
  }
});

test('maxConnections bounds open connections per origin (calls queue behind the bound)', async () => {
  const c1 = makeClient(emu, { maxConnections: 1 });
  const c4 = makeClient(emu, { maxConnections: 4 });
  try {
    await Promise.all([c1.account(), c4.account()]);
    emu.controls.setLatency(300);
    let t0 = Date.now();
    await Promise.all(Array.from({ length: 4 }, () => c1.listBuckets()));
    const serial = Date.now() - t0;
    t0 = Date.now();
    await Promise.all(Array.from({ length: 4 }, () => c4.listBuckets()));
    const wide = Date.now() - t0;
    assert.ok(serial >= 4 * 300 - 20, `one connection: ${serial} ms`);
    assert.ok(wide < 3 * 300, `four connections: ${wide} ms`);
  } finally {
    emu.controls.setLatency(0);
    await c1.close();
    await c4.close();
  }
});

test('a connection dropped on a JSON call is a transport error (status 0) and is retried', async () => {
  const log: number[] = [];
  const logged = makeClient(emu, { onCall: (e) => e.call === 'b2_list_buckets' && log.push(e.status) });
  try {
    await logged.account();
    emu.controls.resetCounters();
    emu.controls.injectFault({ call: 'b2_list_buckets', kind: 'drop', count: 2 });
    await logged.listBuckets();
    assert.equal(calls(emu, 'b2_list_buckets'), 3);
    assert.deepEqual(log, [0, 0, 200]);
  } finally {
    emu.controls.clearFaults();
    await logged.close();
  }
});

test('--retries 0: a listing and an upload fail on the first injected 503, and a cut listing is not re-asked', async () => {
  const c = makeClient(emu, { retry: { retries: 0, baseDelayMs: 1 } });
  try {
    const bucket = await c.createBucket({ bucketName: `t-r0-${process.pid}`, bucketType: 'allPrivate' });
    await c.uploadFile({ bucketId: bucket.bucketId, fileName: 'a.txt', body: Buffer.from('a'), contentLength: 1 });
    emu.controls.resetCounters();
    emu.controls.injectFault({ call: 'b2_list_file_names', status: 503, code: 'service_unavailable', count: 1 });
    const it = c.listFileNames(bucket.bucketId)[Symbol.asyncIterator]();
    await assert.rejects(it.next(), (e) => e instanceof B2Error && e.status === 503);
    assert.equal(calls(emu, 'b2_list_file_names'), 1);

    emu.controls.injectFault({ call: 'b2_upload_file', status: 503, code: 'service_unavailable', count: 1 });
    const up = c.uploadFile({ bucketId: bucket.bucketId, fileName: 'b.txt', body: Buffer.from('b'), contentLength: 1 });
    await assert.rejects(up, (e) => e instanceof B2Error && e.status === 503);
    assert.equal(calls(emu, 'b2_upload_file'), 1);

    emu.controls.injectFault({ call: 'b2_list_file_names', kind: 'cut', count: 1 });
    await assert.rejects(collect(c.listFileNames(bucket.bucketId)), (e) => e instanceof B2Error && e.retryable);
    assert.equal(calls(emu, 'b2_list_file_names'), 2);
  } finally {
    emu.controls.clearFaults();
    await c.close();
  }
});
