/**
 * The webhook receiver over real HTTP on 127.0.0.1: good signatures are delivered as 'remote' batches,
 * bad or missing ones refused with 401 and never delivered, redeliveries dropped by eventId, names
 * outside the prefix ignored, events within the coalescing window batched; plus its pure helpers.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import type { ChangeBatch } from '../../../src/sync/watch/types.js';
import { RecentIds, changeKind, relativePath, signatureValid } from '../../../src/sync/watch/webhook-events.js';
import { openWebhookSource, type WebhookSource } from '../../../src/sync/watch/webhook-receiver.js';

const SECRET = randomBytes(16).toString('hex');
const OTHER = randomBytes(16).toString('hex');

const sign = (raw: string | Buffer, secret = SECRET) => 'v1=' + createHmac('sha256', secret).update(raw).digest('hex');

let seq = 0;
function event(objectName: string, eventType = 'b2:ObjectCreated:Upload', eventId = `ev-${++seq}`) {
  return { eventId, eventType, objectName, bucketName: 'bkt', eventVersion: 1, eventTimestamp: Date.now() };
}

describe('webhook receiver: pure parts', () => {
  it('signatureValid accepts v1=hex under any known secret and nothing else', () => {
    const raw = Buffer.from('{"events":[]}');
    assert.equal(signatureValid(raw, sign(raw), [SECRET]), true);
    assert.equal(signatureValid(raw, sign(raw, OTHER), [SECRET, OTHER]), true);
    assert.equal(signatureValid(raw, sign(raw).toUpperCase().replace('V1=', 'v1='), [SECRET]), true);
    assert.equal(signatureValid(raw, sign(raw, OTHER), [SECRET]), false);
    assert.equal(signatureValid(raw, undefined, [SECRET]), false);
    assert.equal(signatureValid(raw, sign(raw).replace('v1=', 'v2='), [SECRET]), false);
    assert.equal(signatureValid(raw, sign(raw).slice(0, -2), [SECRET]), false);
    assert.equal(signatureValid(Buffer.from('{"events":[1]}'), sign(raw), [SECRET]), false);
    assert.equal(signatureValid(raw, [sign(raw), sign(raw)], [SECRET]), false, 'two headers');
  });

  it('changeKind and relativePath', () => {
    assert.equal(changeKind('b2:ObjectCreated:Copy'), 'update');
    assert.equal(changeKind('b2:ObjectDeleted:Delete'), 'delete');
    assert.equal(changeKind('b2:HideMarkerCreated:Hide'), 'delete');
    assert.equal(changeKind('b2:MultipartUploadCreated:LiveRead'), undefined);
    assert.equal(relativePath('photos/a/b.jpg', 'photos/'), 'a/b.jpg');
    assert.equal(relativePath('photos/', 'photos/'), undefined);
    assert.equal(relativePath('other/b.jpg', 'photos/'), undefined);
    assert.equal(relativePath('b.jpg', ''), 'b.jpg');
  });

  it('RecentIds forgets the oldest id past its bound', () => {
    const r = new RecentIds(3);
    for (const id of ['a', 'b', 'c']) assert.equal(r.seen(id), false);
    assert.equal(r.seen('a'), true);
    assert.equal(r.seen('d'), false);
    assert.equal(r.size, 3);
    assert.equal(r.seen('a'), false, 'a was the oldest and is forgotten');
  });
});

describe('webhook receiver over HTTP', () => {
  let src: WebhookSource | undefined;
  const notices: string[] = [];
  afterEach(async () => {
    await src?.close();
    src = undefined;
    notices.length = 0;
  });

  const open = (extra = {}) =>
    openWebhookSource({
      host: '127.0.0.1',
      port: 0,
      secrets: [SECRET],
      prefix: 'watched/',
      bucketName: 'bkt',
      onNotice: (m) => notices.push(m),
      ...extra,
    });
  const url = () => `http://127.0.0.1:${src!.address.port}/`;
  async function post(events: unknown[], signature?: string | null): Promise<number> {
    const raw = JSON.stringify({ events });
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (signature !== null) headers['X-Bz-Event-Notification-Signature'] = signature ?? sign(raw);
    const r = await fetch(url(), { method: 'POST', headers, body: raw });
    await r.arrayBuffer();
    return r.status;
  }

  it('a signed POST is answered 200 and delivered as one remote batch of relative paths', async () => {
    src = await open();
    assert.equal(await post([event('watched/a.txt'), event('watched/sub/b.txt', 'b2:HideMarkerCreated:Hide')]), 200);
    const batch = await src.next();
    assert.deepEqual(batch, {
      origin: 'remote',
      changes: [
        { path: 'a.txt', kind: 'update' },
        { path: 'sub/b.txt', kind: 'delete' },
      ],
    });
    assert.equal(src.stats().accepted, 1);
  });

  it('a bad or missing signature is refused with 401, noticed once, and nothing is delivered', async () => {
    src = await open();
    assert.equal(await post([event('watched/evil.txt')], sign('something else')), 401);
    assert.equal(await post([event('watched/evil2.txt')], null), 401);
    assert.equal(await post([event('watched/evil3.txt')], sign('x', OTHER)), 401);
    assert.equal(src.stats().refused, 3);
    assert.equal(notices.length, 1, 'rate-limited to one line');
    assert.match(notices[0], /bad signature/);
    // A good POST afterwards is the first (and only) thing delivered.
    assert.equal(await post([event('watched/good.txt')]), 200);
    assert.deepEqual(await src.next(), { origin: 'remote', changes: [{ path: 'good.txt', kind: 'update' }] });
  });

  it('a redelivered eventId is dropped', async () => {
    src = await open();
    const e = event('watched/once.txt');
    assert.equal(await post([e]), 200);
    assert.deepEqual((await src.next()) as ChangeBatch, {
      origin: 'remote',
      changes: [{ path: 'once.txt', kind: 'update' }],
    });
    assert.equal(await post([e]), 200, 'a redelivery is still acknowledged');
    assert.equal(await post([event('watched/next.txt')]), 200);
    assert.deepEqual(await src.next(), { origin: 'remote', changes: [{ path: 'next.txt', kind: 'update' }] });
    assert.equal(src.stats().duplicates, 1);
  });

  it('names outside the prefix, other buckets and other event types are ignored', async () => {
    src = await open();
    const otherBucket = { ...event('watched/x.txt'), bucketName: 'other' };
    assert.equal(
      await post([
        event('elsewhere/a.txt'),
        event('watched/'),
        otherBucket,
        event('watched/live.bin', 'b2:MultipartUploadCreated:LiveRead'),
        event('watched/in.txt', 'b2:ObjectDeleted:Delete'),
      ]),
      200,
    );
    assert.deepEqual(await src.next(), { origin: 'remote', changes: [{ path: 'in.txt', kind: 'delete' }] });
    assert.equal(src.stats().ignored, 4);
  });

  it('POSTs within the coalescing window form one batch; the latest kind of a path wins', async () => {
    src = await open({ coalesceMs: 300 });
    await post([event('watched/a.txt')]);
    await post([event('watched/b.txt')]);
    await post([event('watched/a.txt', 'b2:ObjectDeleted:Delete')]);
    const batch = await src.next();
    assert.equal(batch?.origin, 'remote');
    assert.deepEqual(batch?.origin === 'remote' ? [...batch.changes].sort((x, y) => (x.path < y.path ? -1 : 1)) : [], [
      { path: 'a.txt', kind: 'delete' },
      { path: 'b.txt', kind: 'update' },
    ]);
  });

  it('too many pending paths become one remote-full batch', async () => {
    src = await open({ maxPendingPaths: 2, coalesceMs: 200 });
    await post([event('watched/1'), event('watched/2'), event('watched/3')]);
    const batch = await src.next();
    assert.equal(batch?.origin, 'remote-full');
  });

  it('refuses other methods (405), non-JSON payloads (400) and oversized bodies (413)', async () => {
    src = await open({ maxBodyBytes: 64 });
    assert.equal((await fetch(url())).status, 405);
    const notJson = 'not json';
    const r = await fetch(url(), {
      method: 'POST',
      headers: { 'X-Bz-Event-Notification-Signature': sign(notJson) },
      body: notJson,
    });
    assert.equal(r.status, 400);
    const big = JSON.stringify({ events: [event('watched/' + 'x'.repeat(100))] });
    const r2 = await fetch(url(), {
      method: 'POST',
      headers: { 'X-Bz-Event-Notification-Signature': sign(big) },
      body: big,
    });
    assert.equal(r2.status, 413);
  });

  it('next() resolves undefined once the signal fires, and the port is released', async () => {
    const ac = new AbortController();
    src = await open({ signal: ac.signal });
    const pending = src.next();
    ac.abort();
    assert.equal(await pending, undefined);
    await assert.rejects(fetch(url()));
  });

  it('needs a secret', async () => {
    await assert.rejects(open({ secrets: [] }), /secret/);
  });
});
