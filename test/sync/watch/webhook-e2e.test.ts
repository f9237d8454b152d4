/**
 * End to end: a bucket rule set through B2Client on the emulator points at the webhook receiver; an
 * upload, a hide and a delete there arrive as remote changes relative to the watched prefix, signed with
 * the rule's secret; a rule signed with another secret is refused and delivers nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import type { B2Client } from '../../../src/client/b2-client.js';
import type { RunningEmulator } from '../../../src/emulator/api.js';
import { openWebhookSource, type WebhookSource } from '../../../src/sync/watch/webhook-receiver.js';
import { webhookSecrets } from '../../../src/sync/watch/webhook-secrets.js';
import type { Bucket } from '../../../src/wire/types.js';
import { bucketName, makeClient, startTestEmulator } from '../../client/fixture.js';

const SECRET = randomBytes(16).toString('hex');
let emu: RunningEmulator;
let c: B2Client;
let bucket: Bucket;
let src: WebhookSource;

before(async () => {
  emu = await startTestEmulator();
  c = makeClient(emu);
  bucket = await c.createBucket({ bucketName: bucketName('hook'), bucketType: 'allPrivate' });
  src = await openWebhookSource({
    host: '127.0.0.1',
    port: 0,
    secrets: [SECRET],
    prefix: 'docs/',
    bucketName: bucket.bucketName,
    coalesceMs: 50,
  });
});
after(async () => {
  await src?.close();
  await c?.close();
  await emu?.close();
});

const rule = (secret: string) => ({
  name: 'b2sync-e2e',
  eventTypes: ['b2:ObjectCreated:*', 'b2:ObjectDeleted:*', 'b2:HideMarkerCreated:*'],
  objectNamePrefix: 'docs/',
  isEnabled: true,
  targetConfiguration: {
    targetType: 'webhook' as const,
    url: `http://127.0.0.1:${src.address.port}/b2`,
    hmacSha256SigningSecret: secret,
  },
});

const put = (name: string) =>
  c.uploadFile({ bucketId: bucket.bucketId, fileName: name, body: Buffer.from(name), contentLength: name.length });

it('emulator uploads, hides and deletes reach the receiver as remote changes', async () => {
  await c.setBucketNotificationRules(bucket.bucketId, [rule(SECRET)]);
  const a = await put('docs/a.txt');
  assert.deepEqual(await src.next(), { origin: 'remote', changes: [{ path: 'a.txt', kind: 'update' }] });
  await c.hideFile(bucket.bucketId, 'docs/a.txt');
  assert.deepEqual(await src.next(), { origin: 'remote', changes: [{ path: 'a.txt', kind: 'delete' }] });
  const b = await put('docs/sub/b.txt');
  await emu.controls.notificationsIdle();
  await c.deleteFileVersion(b.fileName, b.fileId!);
  await put('outside.txt'); // outside the rule's prefix: no POST at all
  // The upload and the deletion of sub/b.txt may come in one batch or two: the last word is the deletion.
  const seen: string[] = [];
  while (seen.at(-1) !== 'sub/b.txt:delete') {
    const batch = await src.next();
    assert.equal(batch?.origin, 'remote');
    if (batch?.origin === 'remote') seen.push(...batch.changes.map((ch) => `${ch.path}:${ch.kind}`));
  }
  assert.ok(
    seen.every((x) => x.startsWith('sub/b.txt:')),
    seen.join(' '),
  );
  await emu.controls.notificationsIdle();
  assert.equal(src.stats().refused, 0);
  assert.ok(a.fileId);
});

it('a rule signed with a secret the receiver does not know is refused and delivers nothing', async () => {
  await c.setBucketNotificationRules(bucket.bucketId, [rule(randomBytes(16).toString('hex'))]);
  const before = emu.controls.notificationStats();
  await put('docs/forged.txt');
  await emu.controls.notificationsIdle();
  const after = emu.controls.notificationStats();
  assert.equal(after.failed - before.failed, 1, 'the emulator saw 401s and gave up');
  assert.ok(src.stats().refused >= 1);
  // The next good event is the first thing the source hands out.
  await c.setBucketNotificationRules(bucket.bucketId, [rule(SECRET)]);
  await put('docs/real.txt');
  assert.deepEqual(await src.next(), { origin: 'remote', changes: [{ path: 'real.txt', kind: 'update' }] });
});

it('webhookSecrets collects the secrets of the enabled rules related to the watched prefix', async () => {
  const other = randomBytes(16).toString('hex');
  const off = randomBytes(16).toString('hex');
  await c.setBucketNotificationRules(bucket.bucketId, [
    rule(SECRET),
    { ...rule(other), name: 'unrelated-rule', objectNamePrefix: 'elsewhere/' },
    {
      ...rule(off),
      name: 'disabled-rule',
      objectNamePrefix: 'docs/deep/',
      eventTypes: ['b2:MultipartUploadCreated:*'],
      isEnabled: false,
    },
  ]);
  assert.deepEqual(await webhookSecrets(c, bucket.bucketId, 'docs/', ['from-env']), ['from-env', SECRET]);
  assert.deepEqual((await webhookSecrets(c, bucket.bucketId, '')).sort(), [SECRET, other].sort());
});
