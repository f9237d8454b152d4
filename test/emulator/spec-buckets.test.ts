/** Conformance: bucket calls (§4). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  bucketName,
  call,
  makeBucket,
  ok,
  session,
  start,
  upload,
  type Json,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

describe('spec: buckets', () => {
  let emu: RunningEmulator;
  let s: Session;

  before(async () => {
    emu = await start();
    s = await session(emu);
  });
  after(async () => {
    await emu.close();
  });

  it('create_bucket returns the bucket object with id, name, type, info, rules and a revision', async () => {
    const name = bucketName('shape');
    const b = await makeBucket(s, 'allPublic', name, { bucketInfo: { 'Cache-Control': 'max-age=5', k: 'v' } });
    assert.equal(b.accountId, s.accountId);
    assert.equal(typeof b.bucketId, 'string');
    assert.ok(b.bucketId.length > 0);
    assert.equal(b.bucketName, name);
    assert.equal(b.bucketType, 'allPublic');
    assert.deepEqual(b.bucketInfo, { 'Cache-Control': 'max-age=5', k: 'v' });
    assert.ok(Array.isArray(b.corsRules));
    assert.ok(Array.isArray(b.lifecycleRules));
    assert.equal(typeof b.revision, 'number');
  });

  it('lifecycleRules and corsRules given on create come back as given, and update replaces them', async () => {
    const lifecycleRules = [{ fileNamePrefix: 'logs/', daysFromUploadingToHiding: 3, daysFromHidingToDeleting: 1 }];
    const corsRules = [
      { corsRuleName: 'r1', allowedOrigins: ['*'], allowedOperations: ['b2_download_file_by_name'], maxAgeSeconds: 10 },
    ];
    const b = await makeBucket(s, 'allPrivate', bucketName(), { lifecycleRules, corsRules });
    assert.deepEqual(b.lifecycleRules, lifecycleRules);
    assert.deepEqual(b.corsRules, corsRules);
    const u = await ok(s, 'b2_update_bucket', { accountId: s.accountId, bucketId: b.bucketId, lifecycleRules: [] });
    assert.deepEqual(u.lifecycleRules, []);
    assert.deepEqual(u.corsRules, corsRules);
  });

  it('list_buckets returns buckets sorted by name', async () => {
    const e2 = await start();
    try {
      const s2 = await session(e2);
      for (const n of ['zeta-bucket', 'alpha-bucket', 'mid-bucket-1', 'beta-bucket'])
        await makeBucket(s2, 'allPrivate', n);
      const r = await ok(s2, 'b2_list_buckets', { accountId: s2.accountId });
      const names = r.buckets.map((b: Json) => b.bucketName);
      assert.deepEqual(names, [...names].sort());
      assert.equal(names.length, 4);
    } finally {
      await e2.close();
    }
  });

  it('list_buckets filters by bucketId and by bucketName, and answers an empty list for unknown ones', async () => {
    const b = await makeBucket(s);
    const byId = await ok(s, 'b2_list_buckets', { accountId: s.accountId, bucketId: b.bucketId });
    assert.deepEqual(
      byId.buckets.map((x: Json) => x.bucketName),
      [b.bucketName],
    );
    const byName = await ok(s, 'b2_list_buckets', { accountId: s.accountId, bucketName: b.bucketName });
    assert.deepEqual(
      byName.buckets.map((x: Json) => x.bucketId),
      [b.bucketId],
    );
    const none = await ok(s, 'b2_list_buckets', { accountId: s.accountId, bucketName: 'no-such-bucket-here' });
    assert.deepEqual(none.buckets, []);
  });

  it('list_buckets treats JSON null filters as absent (b2sdk style)', async () => {
    const b = await makeBucket(s);
    const r = await ok(s, 'b2_list_buckets', {
      accountId: s.accountId,
      bucketId: null,
      bucketName: null,
      bucketTypes: ['all'],
    });
    assert.ok(r.buckets.some((x: Json) => x.bucketId === b.bucketId));
  });

  it('list_buckets works as GET with a query string', async () => {
    const b = await makeBucket(s);
    const r = await ok(s, 'b2_list_buckets', { accountId: s.accountId, bucketName: b.bucketName }, { method: 'GET' });
    assert.deepEqual(
      r.buckets.map((x: Json) => x.bucketId),
      [b.bucketId],
    );
  });

  it('list_buckets bucketTypes filters by type; ["all"] returns every type', async () => {
    const pub = await makeBucket(s, 'allPublic');
    const priv = await makeBucket(s, 'allPrivate');
    const onlyPub = await ok(s, 'b2_list_buckets', { accountId: s.accountId, bucketTypes: ['allPublic'] });
    assert.ok(onlyPub.buckets.length > 0);
    assert.ok(onlyPub.buckets.every((b: Json) => b.bucketType === 'allPublic'));
    assert.ok(onlyPub.buckets.some((b: Json) => b.bucketId === pub.bucketId));
    const onlyPriv = await ok(s, 'b2_list_buckets', { accountId: s.accountId, bucketTypes: ['allPrivate'] });
    assert.ok(onlyPriv.buckets.every((b: Json) => b.bucketType === 'allPrivate'));
    assert.ok(onlyPriv.buckets.some((b: Json) => b.bucketId === priv.bucketId));
    const all = await ok(s, 'b2_list_buckets', { accountId: s.accountId, bucketTypes: ['all'] });
    const ids = all.buckets.map((b: Json) => b.bucketId);
    assert.ok(ids.includes(pub.bucketId) && ids.includes(priv.bucketId));
    const both = await ok(s, 'b2_list_buckets', { accountId: s.accountId, bucketTypes: ['allPublic', 'allPrivate'] });
    assert.equal(both.buckets.length, all.buckets.length);
  });

  it('list_buckets rejects bucketTypes mixing "all" with others, empty, or unknown types (400)', async () => {
    for (const bucketTypes of [['all', 'allPublic'], [], ['nonsense']]) {
      const r = await call(s, 'b2_list_buckets', { accountId: s.accountId, bucketTypes });
      assertError(r, 400);
    }
  });

  it('list_buckets requires accountId (400)', async () => {
    assertError(await call(s, 'b2_list_buckets', {}), 400, 'bad_request');
  });

  it('update_bucket increments revision, changes only the given fields, and returns the bucket', async () => {
    const b = await makeBucket(s, 'allPrivate', bucketName(), { bucketInfo: { a: '1' } });
    const u = await ok(s, 'b2_update_bucket', {
      accountId: s.accountId,
      bucketId: b.bucketId,
      bucketType: 'allPublic',
    });
    assert.equal(u.bucketType, 'allPublic');
    assert.deepEqual(u.bucketInfo, { a: '1' });
    assert.equal(u.revision, b.revision + 1);
    const u2 = await ok(s, 'b2_update_bucket', {
      accountId: s.accountId,
      bucketId: b.bucketId,
      bucketInfo: { b: '2' },
    });
    assert.deepEqual(u2.bucketInfo, { b: '2' });
    assert.equal(u2.bucketType, 'allPublic');
    assert.equal(u2.revision, b.revision + 2);
    const listed = await ok(s, 'b2_list_buckets', { accountId: s.accountId, bucketId: b.bucketId });
    assert.equal(listed.buckets[0].revision, u2.revision);
  });

  it('update_bucket with a matching ifRevisionIs succeeds; a stale one answers 409 conflict', async () => {
    const b = await makeBucket(s);
    const u = await ok(s, 'b2_update_bucket', {
      accountId: s.accountId,
      bucketId: b.bucketId,
      bucketType: 'allPublic',
      ifRevisionIs: b.revision,
    });
    assert.equal(u.revision, b.revision + 1);
    const stale = await call(s, 'b2_update_bucket', {
      accountId: s.accountId,
      bucketId: b.bucketId,
      bucketType: 'allPrivate',
      ifRevisionIs: b.revision,
    });
    assertError(stale, 409, 'conflict');
    const now = await ok(s, 'b2_list_buckets', { accountId: s.accountId, bucketId: b.bucketId });
    assert.equal(now.buckets[0].bucketType, 'allPublic');
  });

  it('update_bucket of an unknown bucket answers 400 bad_bucket_id', async () => {
    const r = await call(s, 'b2_update_bucket', {
      accountId: s.accountId,
      bucketId: 'aaaaaaaaaaaaaaaaaaaaaaaa',
      bucketType: 'allPublic',
    });
    assertError(r, 400, 'bad_bucket_id');
  });

  it('update_bucket rejects an invalid bucketType (400)', async () => {
    const b = await makeBucket(s);
    assertError(
      await call(s, 'b2_update_bucket', { accountId: s.accountId, bucketId: b.bucketId, bucketType: 'snapshot-ish' }),
      400,
    );
  });

  it('delete_bucket returns the deleted bucket and removes it from list_buckets', async () => {
    const b = await makeBucket(s);
    const d = await ok(s, 'b2_delete_bucket', { accountId: s.accountId, bucketId: b.bucketId });
    assert.equal(d.bucketId, b.bucketId);
    assert.equal(d.bucketName, b.bucketName);
    const r = await ok(s, 'b2_list_buckets', { accountId: s.accountId, bucketId: b.bucketId });
    assert.deepEqual(r.buckets, []);
  });

  it('delete_bucket of a missing bucket answers 400 bad_bucket_id', async () => {
    const b = await makeBucket(s);
    await ok(s, 'b2_delete_bucket', { accountId: s.accountId, bucketId: b.bucketId });
    assertError(
      await call(s, 'b2_delete_bucket', { accountId: s.accountId, bucketId: b.bucketId }),
      400,
      'bad_bucket_id',
    );
  });

  it('delete_bucket of a bucket holding a file answers 400 cannot_delete_non_empty_bucket; empty again it deletes', async () => {
    const b = await makeBucket(s);
    const f = await upload(s, b.bucketId, 'keep.txt', 'x');
    assertError(
      await call(s, 'b2_delete_bucket', { accountId: s.accountId, bucketId: b.bucketId }),
      400,
      'cannot_delete_non_empty_bucket',
    );
    await ok(s, 'b2_delete_file_version', { fileId: f.fileId, fileName: f.fileName });
    await ok(s, 'b2_delete_bucket', { accountId: s.accountId, bucketId: b.bucketId });
  });

  it('hide markers or unfinished large files alone keep a bucket non-empty (docs/emulator.md choice)', async () => {
    const b = await makeBucket(s);
    const f = await upload(s, b.bucketId, 'h.txt', 'x');
    const h = await ok(s, 'b2_hide_file', { bucketId: b.bucketId, fileName: 'h.txt' });
    await ok(s, 'b2_delete_file_version', { fileId: f.fileId, fileName: f.fileName });
    assertError(
      await call(s, 'b2_delete_bucket', { accountId: s.accountId, bucketId: b.bucketId }),
      400,
      'cannot_delete_non_empty_bucket',
    );
    await ok(s, 'b2_delete_file_version', { fileId: h.fileId, fileName: h.fileName });
    const lf = await ok(s, 'b2_start_large_file', { bucketId: b.bucketId, fileName: 'lf', contentType: 'b2/x-auto' });
    assertError(
      await call(s, 'b2_delete_bucket', { accountId: s.accountId, bucketId: b.bucketId }),
      400,
      'cannot_delete_non_empty_bucket',
    );
    await ok(s, 'b2_cancel_large_file', { fileId: lf.fileId });
    await ok(s, 'b2_delete_bucket', { accountId: s.accountId, bucketId: b.bucketId });
  });

  it('a deleted bucket name can be created again', async () => {
    const name = bucketName('reuse');
    const b = await makeBucket(s, 'allPrivate', name);
    await ok(s, 'b2_delete_bucket', { accountId: s.accountId, bucketId: b.bucketId });
    const again = await makeBucket(s, 'allPrivate', name);
    assert.notEqual(again.bucketId, b.bucketId);
  });

  it('create_bucket of a taken name answers 400 duplicate_bucket_name', async () => {
    const name = bucketName('dup');
    await makeBucket(s, 'allPrivate', name);
    const r = await call(s, 'b2_create_bucket', { accountId: s.accountId, bucketName: name, bucketType: 'allPublic' });
    assertError(r, 400, 'duplicate_bucket_name');
  });

  it('bucket name uniqueness ignores case (400 duplicate_bucket_name)', async () => {
    const name = bucketName('case').toLowerCase();
    await makeBucket(s, 'allPrivate', name);
    const r = await call(s, 'b2_create_bucket', {
      accountId: s.accountId,
      bucketName: name.toUpperCase(),
      bucketType: 'allPrivate',
    });
    assertError(r, 400, 'duplicate_bucket_name');
  });

  it('bucket names of 6 and 63 characters of letters, digits and - are accepted', async () => {
    for (const name of ['abc-12', 'A' + 'b'.repeat(61) + '9']) {
      const b = await makeBucket(s, 'allPrivate', name);
      assert.equal(b.bucketName, name);
    }
  });

  it('bucket names that are too short, too long, use other characters or start with b2- answer 400', async () => {
    const bad = ['abcde', 'x'.repeat(64), 'has_underscore', 'has.dot1', 'has space', 'b2-reserved', 'ünïcode-name', ''];
    for (const name of bad) {
      const r = await call(s, 'b2_create_bucket', {
        accountId: s.accountId,
        bucketName: name,
        bucketType: 'allPrivate',
      });
      assertError(r, 400, 'bad_request'); // invalid_bucket_name unconfirmed; docs/emulator.md: bad_request
    }
  });

  it('create_bucket rejects a bucketType other than allPublic/allPrivate (400)', async () => {
    const r = await call(s, 'b2_create_bucket', {
      accountId: s.accountId,
      bucketName: bucketName(),
      bucketType: 'snapshot',
    });
    assertError(r, 400);
  });

  it('create_bucket without bucketType or bucketName answers 400 bad_request', async () => {
    assertError(
      await call(s, 'b2_create_bucket', { accountId: s.accountId, bucketName: bucketName() }),
      400,
      'bad_request',
    );
    assertError(
      await call(s, 'b2_create_bucket', { accountId: s.accountId, bucketType: 'allPrivate' }),
      400,
      'bad_request',
    );
  });

  it('create_bucket past 100 buckets answers 400 too_many_buckets', async () => {
    const e2 = await start();
    try {
      const s2 = await session(e2);
      for (let i = 0; i < 100; i++) await makeBucket(s2, 'allPrivate', `many-bucket-${i}`);
      const r = await call(s2, 'b2_create_bucket', {
        accountId: s2.accountId,
        bucketName: 'many-bucket-100',
        bucketType: 'allPrivate',
      });
      assertError(r, 400, 'too_many_buckets');
    } finally {
      await e2.close();
    }
  });
});
