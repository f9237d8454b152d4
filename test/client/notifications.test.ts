/** B2Client's event-notification calls against the emulator: set, get, replace, clear, and B2's errors. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { B2Error } from '../../src/core/errors.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import type { B2Client } from '../../src/client/b2-client.js';
import type { NotificationRuleRequest } from '../../src/wire/notifications.js';
import type { Bucket } from '../../src/wire/types.js';
import { bucketName, makeClient, startTestEmulator } from './fixture.js';

let emu: RunningEmulator;
let c: B2Client;
let bucket: Bucket;

before(async () => {
  emu = await startTestEmulator();
  c = makeClient(emu);
  bucket = await c.createBucket({ bucketName: bucketName('notify'), bucketType: 'allPrivate' });
});
after(async () => {
  await c?.close();
  await emu?.close();
});

const rule = (name: string, prefix: string): NotificationRuleRequest => ({
  name,
  eventTypes: ['b2:ObjectCreated:*'],
  objectNamePrefix: prefix,
  isEnabled: true,
  targetConfiguration: {
    targetType: 'webhook',
    url: 'http://127.0.0.1:9/hook',
    hmacSha256SigningSecret: 'x'.repeat(32),
  },
});

test('setBucketNotificationRules replaces the rules; getBucketNotificationRules reads them back', async () => {
  const set = await c.setBucketNotificationRules(bucket.bucketId, [
    rule('second-rule', 'b/'),
    rule('first-rule', 'a/'),
  ]);
  assert.equal(set.bucketId, bucket.bucketId);
  assert.deepEqual(
    set.eventNotificationRules.map((r) => [r.name, r.objectNamePrefix, r.isSuspended]),
    [
      ['first-rule', 'a/', false],
      ['second-rule', 'b/', false],
    ],
  );
  assert.deepEqual(await c.getBucketNotificationRules(bucket.bucketId), set);
  await c.setBucketNotificationRules(bucket.bucketId, []);
  assert.deepEqual((await c.getBucketNotificationRules(bucket.bucketId)).eventNotificationRules, []);
});

test('an invalid rule is a B2Error 400 bad_request, not retried', async () => {
  const before = emu.controls.counters().calls.b2_set_bucket_notification_rules ?? 0;
  await assert.rejects(
    c.setBucketNotificationRules(bucket.bucketId, [rule('x', '')]),
    (err: unknown) => err instanceof B2Error && err.status === 400 && err.code === 'bad_request',
  );
  assert.equal((emu.controls.counters().calls.b2_set_bucket_notification_rules ?? 0) - before, 1);
});
