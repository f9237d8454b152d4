/** Conformance: b2_set/get_bucket_notification_rules — round trip, validation, capabilities, versions. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  call,
  makeBucket,
  ok,
  session,
  start,
  type Json,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

const SECRET = 'a'.repeat(16) + 'B1'.repeat(8);

function rule(over: Json = {}, target: Json = {}): Json {
  return {
    name: 'b2sync-rule',
    eventTypes: ['b2:ObjectCreated:*'],
    objectNamePrefix: '',
    isEnabled: true,
    targetConfiguration: { targetType: 'webhook', url: 'https://example.com/hook', ...target },
    ...over,
  };
}

describe('spec: event notification rules', () => {
  let emu: RunningEmulator;
  let s: Session;
  let bucket: Json;

  const set = (rules: Json[], opts = {}) =>
    call(s, 'b2_set_bucket_notification_rules', { bucketId: bucket.bucketId, eventNotificationRules: rules }, opts);

  before(async () => {
    emu = await start();
    s = await session(emu);
    bucket = await makeBucket(s);
  });
  after(async () => {
    await emu.close();
  });

  it('a new bucket has no rules', async () => {
    const got = await ok(s, 'b2_get_bucket_notification_rules', { bucketId: bucket.bucketId });
    assert.deepEqual(got, { bucketId: bucket.bucketId, eventNotificationRules: [] });
  });

  it('set replaces the rules and get returns them sorted by name, with B2-owned fields filled in', async () => {
    const a = rule(
      { name: 'zzz-second', eventTypes: ['b2:ObjectDeleted:*'], isSuspended: true, suspensionReason: 'x' },
      { hmacSha256SigningSecret: SECRET, customHeaders: [{ name: 'X-Team', value: 'sync' }] },
    );
    const b = rule({ name: 'aaa-first', objectNamePrefix: 'photos/' });
    const r = await set([a, b]);
    assert.equal(r.status, 200, r.text);
    const got = await ok(s, 'b2_get_bucket_notification_rules', { bucketId: bucket.bucketId });
    assert.deepEqual(got, r.body);
    assert.deepEqual(
      got.eventNotificationRules.map((x: Json) => x.name),
      ['aaa-first', 'zzz-second'],
    );
    const second = got.eventNotificationRules[1];
    assert.equal(second.isSuspended, false, 'isSuspended is ignored on input');
    assert.equal(second.suspensionReason, '');
    assert.equal(second.targetConfiguration.hmacSha256SigningSecret, SECRET);
    assert.deepEqual(second.targetConfiguration.customHeaders, [{ name: 'X-Team', value: 'sync' }]);
    assert.equal(got.eventNotificationRules[0].targetConfiguration.hmacSha256SigningSecret, null);
    assert.equal((await set([])).status, 200);
    const empty = await ok(s, 'b2_get_bucket_notification_rules', { bucketId: bucket.bucketId });
    assert.deepEqual(empty.eventNotificationRules, []);
  });

  it('rejects invalid rules with 400 bad_request', async () => {
    const bad: [string, Json[], RegExp][] = [
      ['name too short', [rule({ name: 'abc' })], /6 to 63/],
      ['name with a bad character', [rule({ name: 'my_rule_1' })], /6 to 63/],
      ['reserved b2- name', [rule({ name: 'b2-mine1' })], /reserved/],
      ['unknown event type', [rule({ eventTypes: ['b2:ObjectCreated:Teleport'] })], /unknown event type/],
      ['no event types', [rule({ eventTypes: [] })], /non-empty/],
      ['missing objectNamePrefix', [rule({ objectNamePrefix: undefined })], /objectNamePrefix is missing/],
      ['missing target', [rule({ targetConfiguration: undefined })], /targetConfiguration is missing/],
      ['bad target type', [rule({}, { targetType: 'sqs' })], /targetType/],
      ['http to a remote host', [rule({}, { url: 'http://example.com/hook' })], /https/],
      ['not a URL', [rule({}, { url: 'nope' })], /not a valid URL/],
      ['short secret', [rule({}, { hmacSha256SigningSecret: 'short' })], /32 letters/],
      ['X-Bz- custom header', [rule({}, { customHeaders: [{ name: 'X-Bz-Mine', value: '1' }] })], /X-Bz-/],
      ['duplicate names', [rule(), rule({ eventTypes: ['b2:ObjectDeleted:*'] })], /used twice/],
      [
        'overlapping prefixes for one event type',
        [
          rule({ name: 'images-all', objectNamePrefix: 'images/' }),
          rule({ name: 'images-pets', objectNamePrefix: 'images/pets/', eventTypes: ['b2:ObjectCreated:Upload'] }),
        ],
        /overlap/,
      ],
      [
        'too many rules',
        Array.from({ length: 26 }, (_, i) => rule({ name: `rule-${100 + i}`, objectNamePrefix: `p${i}/` })),
        /at most 25/,
      ],
    ];
    for (const [what, rules, message] of bad) {
      const r = await set(rules);
      assertError(r, 400, 'bad_request');
      assert.match(r.body.message, message, what);
    }
    const missing = await call(s, 'b2_set_bucket_notification_rules', { bucketId: bucket.bucketId });
    assertError(missing, 400, 'bad_request');
  });

  it('accepts nested prefixes for different event types, and http:// to loopback', async () => {
    const r = await set([
      rule({ name: 'images-created', objectNamePrefix: 'images/' }, { url: 'http://127.0.0.1:9/hook' }),
      rule({ name: 'images-deleted', objectNamePrefix: 'images/pets/', eventTypes: ['b2:ObjectDeleted:Delete'] }),
    ]);
    assert.equal(r.status, 200, r.text);
  });

  it('needs readBucketNotifications / writeBucketNotifications, within the key bucket set', async () => {
    const mk = async (capabilities: string[], bucketIds?: string[]) => {
      const key = await ok(s, 'b2_create_key', {
        accountId: s.accountId,
        keyName: 'k' + Math.random().toString(36).slice(2, 8),
        capabilities,
        ...(bucketIds ? { bucketIds } : {}),
      });
      return session(emu, key.applicationKeyId, key.applicationKey);
    };
    const reader = await mk(['readBucketNotifications']);
    const g = await call(reader, 'b2_get_bucket_notification_rules', { bucketId: bucket.bucketId });
    assert.equal(g.status, 200, g.text);
    const w = await call(reader, 'b2_set_bucket_notification_rules', {
      bucketId: bucket.bucketId,
      eventNotificationRules: [],
    });
    assertError(w, 401, 'unauthorized');
    const writer = await mk(['writeBucketNotifications']);
    assertError(
      await call(writer, 'b2_get_bucket_notification_rules', { bucketId: bucket.bucketId }),
      401,
      'unauthorized',
    );
    const other = await makeBucket(s);
    const narrow = await mk(['readBucketNotifications', 'writeBucketNotifications'], [other.bucketId]);
    assertError(
      await call(narrow, 'b2_get_bucket_notification_rules', { bucketId: bucket.bucketId }),
      401,
      'unauthorized',
    );
  });

  it('an unknown bucket is 400 bad_bucket_id', async () => {
    const r = await call(s, 'b2_get_bucket_notification_rules', { bucketId: 'f'.repeat(24) });
    assertError(r, 400, 'bad_bucket_id');
  });

  it('is served under v3 and v4, not v1 or v2', async () => {
    const body = { bucketId: bucket.bucketId };
    assert.equal((await call(s, 'b2_get_bucket_notification_rules', body, { version: 'v3' })).status, 200);
    assertError(await call(s, 'b2_get_bucket_notification_rules', body, { version: 'v2' }), 404, 'not_found');
    assertError(await call(s, 'b2_set_bucket_notification_rules', body, { version: 'v1' }), 404, 'not_found');
  });

  it('GET with a query string works as for other calls', async () => {
    const r = await call(s, 'b2_get_bucket_notification_rules', { bucketId: bucket.bucketId }, { method: 'GET' });
    assert.equal(r.status, 200, r.text);
  });
});

describe('spec: event notification rules on a disk store', () => {
  it('survive a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'b2sync-notify-'));
    try {
      let emu = await start({ dataDir: dir });
      let s = await session(emu);
      const bucket = await makeBucket(s);
      await ok(s, 'b2_set_bucket_notification_rules', {
        bucketId: bucket.bucketId,
        eventNotificationRules: [rule({}, { hmacSha256SigningSecret: SECRET })],
      });
      await emu.close();
      emu = await start({ dataDir: dir });
      s = await session(emu);
      const got = await ok(s, 'b2_get_bucket_notification_rules', { bucketId: bucket.bucketId });
      await emu.close();
      assert.equal(got.eventNotificationRules.length, 1);
      assert.equal(got.eventNotificationRules[0].targetConfiguration.hmacSha256SigningSecret, SECRET);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
