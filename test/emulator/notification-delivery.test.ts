/**
 * Event-notification webhooks from the emulator: uploads, large-file finishes, copies, hides and deletes
 * each POST the documented payload to a loopback receiver, signed as B2 signs (checked here with our own
 * HMAC); rules filter by event type, prefix and isEnabled; failing receivers are retried and counted.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  makeBucket,
  ok,
  session,
  sha1,
  start,
  upload,
  uploadPart,
  type Json,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';
import { startSink, type Received, type Sink } from './webhook-sink.js';

const SECRET = randomBytes(16).toString('hex');

function verify(r: Received, secret = SECRET): void {
  const expected = 'v1=' + createHmac('sha256', secret).update(r.raw).digest('hex');
  assert.equal(r.headers['x-bz-event-notification-signature'], expected);
}

describe('emulator: event notification delivery', () => {
  let emu: RunningEmulator;
  let s: Session;
  let sink: Sink;
  let bucket: Json;

  const setRules = (rules: Json[]) =>
    ok(s, 'b2_set_bucket_notification_rules', { bucketId: bucket.bucketId, eventNotificationRules: rules });
  const rule = (over: Json = {}, target: Json = {}) => ({
    name: 'b2sync-test',
    eventTypes: ['b2:ObjectCreated:*', 'b2:ObjectDeleted:*', 'b2:HideMarkerCreated:*'],
    objectNamePrefix: 'watched/',
    isEnabled: true,
    targetConfiguration: {
      targetType: 'webhook',
      url: sink.url,
      hmacSha256SigningSecret: SECRET,
      customHeaders: [{ name: 'X-Team', value: 'sync' }],
      ...target,
    },
    ...over,
  });

  before(async () => {
    emu = await start({ minPartSize: 5 });
    s = await session(emu);
  });
  after(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    sink = await startSink();
    bucket = await makeBucket(s);
    emu.controls.resetCounters();
  });
  afterEach(async () => {
    await emu.controls.notificationsIdle();
    await sink.close();
  });

  it('an upload POSTs one signed event with the documented fields', async () => {
    await setRules([rule()]);
    const f = await upload(s, bucket.bucketId, 'watched/a.txt', 'hello');
    const [got] = await sink.waitFor(1);
    verify(got);
    assert.match(String(got.headers['content-type']), /^application\/json/);
    assert.equal(got.headers['x-team'], 'sync');
    assert.equal(got.body.events.length, 1);
    const e = got.body.events[0];
    assert.equal(typeof e.eventId, 'string');
    assert.ok(e.eventId.length > 0);
    assert.equal(typeof e.eventTimestamp, 'number');
    assert.deepEqual(
      { ...e, eventId: undefined, eventTimestamp: undefined },
      {
        accountId: s.accountId,
        bucketId: bucket.bucketId,
        bucketName: bucket.bucketName,
        eventId: undefined,
        eventTimestamp: undefined,
        eventType: 'b2:ObjectCreated:Upload',
        eventVersion: 1,
        matchedRuleName: 'b2sync-test',
        objectName: 'watched/a.txt',
        objectSize: 5,
        objectVersionId: f.fileId,
      },
    );
  });

  it('copy, hide and delete each POST their event type; hides and deletes carry no size', async () => {
    await setRules([rule()]);
    const f = await upload(s, bucket.bucketId, 'watched/src.txt', 'data!');
    await sink.waitFor(1);
    const copy = await ok(s, 'b2_copy_file', { sourceFileId: f.fileId, fileName: 'watched/dst.txt' });
    await sink.waitFor(2);
    const hide = await ok(s, 'b2_hide_file', { bucketId: bucket.bucketId, fileName: 'watched/src.txt' });
    await sink.waitFor(3);
    await ok(s, 'b2_delete_file_version', { fileName: 'watched/dst.txt', fileId: copy.fileId });
    const got = await sink.waitFor(4);
    for (const r of got) verify(r);
    const events = got.map((r) => r.body.events[0]);
    assert.deepEqual(
      events.map((e: Json) => [e.eventType, e.objectName, e.objectVersionId, e.objectSize]),
      [
        ['b2:ObjectCreated:Upload', 'watched/src.txt', f.fileId, 5],
        ['b2:ObjectCreated:Copy', 'watched/dst.txt', copy.fileId, 5],
        ['b2:HideMarkerCreated:Hide', 'watched/src.txt', hide.fileId, undefined],
        ['b2:ObjectDeleted:Delete', 'watched/dst.txt', copy.fileId, undefined],
      ],
    );
    assert.equal(new Set(events.map((e: Json) => e.eventId)).size, 4, 'every event has its own id');
  });

  it('finishing a large file POSTs b2:ObjectCreated:MultipartUpload', async () => {
    await setRules([rule({ eventTypes: ['b2:ObjectCreated:MultipartUpload'] })]);
    const start = await ok(s, 'b2_start_large_file', {
      bucketId: bucket.bucketId,
      fileName: 'watched/big.bin',
      contentType: 'b2/x-auto',
    });
    const t = await ok(s, 'b2_get_upload_part_url', { fileId: start.fileId });
    const parts = [Buffer.from('part-one'), Buffer.from('part-two')];
    for (let i = 0; i < parts.length; i++)
      assert.equal((await uploadPart({ ...t, fileId: start.fileId }, i + 1, parts[i])).status, 200);
    await ok(s, 'b2_finish_large_file', { fileId: start.fileId, partSha1Array: parts.map((p) => sha1(p)) });
    const [got] = await sink.waitFor(1);
    verify(got);
    const e = got.body.events[0];
    assert.equal(e.eventType, 'b2:ObjectCreated:MultipartUpload');
    assert.equal(e.objectSize, 16);
    assert.equal(e.objectVersionId, start.fileId);
  });

  it('only enabled rules whose prefix and event type match are notified; unsigned without a secret', async () => {
    await setRules([
      rule({ name: 'disabled-rule', objectNamePrefix: 'off/', isEnabled: false }),
      rule({ name: 'deletes-only', objectNamePrefix: 'del/', eventTypes: ['b2:ObjectDeleted:*'] }),
      rule({ name: 'unsigned-rule', objectNamePrefix: 'plain/' }, { hmacSha256SigningSecret: undefined }),
    ]);
    await upload(s, bucket.bucketId, 'off/x', '1');
    await upload(s, bucket.bucketId, 'del/x', '1');
    await upload(s, bucket.bucketId, 'elsewhere/x', '1');
    await upload(s, bucket.bucketId, 'plain/x', '1');
    await emu.controls.notificationsIdle();
    assert.equal(sink.received.length, 1);
    const [got] = sink.received;
    assert.equal(got.body.events[0].objectName, 'plain/x');
    assert.equal(got.body.events[0].matchedRuleName, 'unsigned-rule');
    assert.equal(got.headers['x-bz-event-notification-signature'], undefined);
  });

  it('a receiver answering 500 is retried, then counted as failed; the API call is unaffected', async () => {
    sink.status = 500;
    await setRules([rule()]);
    const before = emu.controls.notificationStats();
    const r = await upload(s, bucket.bucketId, 'watched/fail.txt', 'x');
    assert.equal(r.fileName, 'watched/fail.txt');
    await emu.controls.notificationsIdle();
    const after = emu.controls.notificationStats();
    assert.equal(sink.received.length, 3, 'three attempts');
    assert.equal(after.failed - before.failed, 1);
    assert.equal(after.retries - before.retries, 2);
    assert.equal(after.pending, 0);
    assert.match(String(after.lastError), /HTTP 500/);
    const http = await fetch(`${emu.url}/__b2sync__/notifications`);
    assert.equal(((await http.json()) as Json).failed, after.failed, 'stats over HTTP');
  });

  it('an unreachable receiver is counted as failed', async () => {
    const gone = sink.url;
    await sink.close();
    sink = await startSink();
    await setRules([rule({}, { url: gone })]);
    const before = emu.controls.notificationStats();
    await upload(s, bucket.bucketId, 'watched/nobody.txt', 'x');
    await emu.controls.notificationsIdle();
    assert.equal(emu.controls.notificationStats().failed - before.failed, 1);
  });

  it('a rule set on one bucket does not fire for another', async () => {
    await setRules([rule()]);
    const other = await makeBucket(s);
    await upload(s, other.bucketId, 'watched/a.txt', 'x');
    await emu.controls.notificationsIdle();
    assert.equal(sink.received.length, 0);
  });
});
