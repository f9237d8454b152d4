/**
 * Conformance: the master application key's id is the account id, as on B2 (b2-api.md §2, §3.1), so a
 * client that sends its key id as accountId (rclone and several SDKs do for master keys) is served.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from '../../src/emulator/index.js';
import {
  MASTER_KEY,
  MASTER_KEY_ID,
  assertError,
  authorizeRaw,
  bucketName,
  call,
  makeBucket,
  ok,
  session,
  start,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

describe('spec: the master key id is the account id', () => {
  let emu: RunningEmulator;
  let s: Session;

  before(async () => {
    emu = await start();
    s = await session(emu);
  });
  after(async () => {
    await emu.close();
  });

  for (const version of ['v1', 'v2', 'v3', 'v4']) {
    it(`${version} authorize with a chosen key id answers that id as accountId`, async () => {
      const r = await authorizeRaw(emu.url, MASTER_KEY_ID, MASTER_KEY, { version });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.accountId, MASTER_KEY_ID);
    });
  }

  it('every call taking an accountId accepts the master key id in it', async () => {
    const accountId = emu.keyId;
    const made = await ok(s, 'b2_create_bucket', { accountId, bucketName: bucketName('mk'), bucketType: 'allPrivate' });
    assert.equal(made.accountId, accountId);
    const listed = await ok(s, 'b2_list_buckets', { accountId });
    assert.ok(listed.buckets.some((b: { bucketId: string }) => b.bucketId === made.bucketId));
    await ok(s, 'b2_update_bucket', { accountId, bucketId: made.bucketId, bucketType: 'allPublic' });
    const key = await ok(s, 'b2_create_key', { accountId, keyName: 'mk-key', capabilities: ['listBuckets'] });
    assert.equal(key.accountId, accountId);
    assert.ok((await ok(s, 'b2_list_keys', { accountId })).keys.length >= 1);
    await ok(s, 'b2_delete_bucket', { accountId, bucketId: made.bucketId });
    // the same with the GET-with-query form rclone and curl users use
    await ok(s, 'b2_list_buckets', { accountId }, { method: 'GET' });
  });

  it('a created key authorizes as the account (accountId is not its own key id), which it then sends', async () => {
    const key = await ok(s, 'b2_create_key', {
      accountId: s.accountId,
      keyName: 'mk-other',
      capabilities: ['listBuckets', 'writeBuckets'],
    });
    const other = await session(emu, key.applicationKeyId, key.applicationKey);
    assert.equal(other.accountId, MASTER_KEY_ID);
    await ok(other, 'b2_list_buckets', { accountId: other.accountId });
    // a non-master key id is not an account id
    assertError(await call(other, 'b2_list_buckets', { accountId: key.applicationKeyId }), 401, 'unauthorized');
  });

  it('a generated master key id is a 12-hex account id', async () => {
    const gen = await startEmulator({ port: 0 });
    try {
      assert.match(gen.keyId, /^[0-9a-f]{12}$/);
      const g = await session(gen, gen.keyId, gen.applicationKey);
      assert.equal(g.accountId, gen.keyId);
      await ok(g, 'b2_list_buckets', { accountId: gen.keyId });
    } finally {
      await gen.close();
    }
  });

  it('a key id that cannot be an account id (not letters, digits, "-" or "_") is refused at start', async () => {
    for (const keyId of ['has:colon', 'has space', 'a/b', 'x'.repeat(101)]) {
      const started = startEmulator({ port: 0, keyId, applicationKey: 'k' });
      // close one that started anyway, so a failure here does not keep the test process alive
      void started.then((e) => e.close()).catch(() => undefined);
      await assert.rejects(started, /key id/i, keyId);
    }
  });
});

describe('spec: the master key across --data restarts', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  async function dataDir(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'b2sync-master-key-'));
    dirs.push(d);
    return d;
  }

  it('a data directory written when the account id differed from the key id serves the key id as accountId', async () => {
    const dir = await dataDir();
    // the snapshot an earlier emulator wrote for `--key-id legacy-id`: account id derived, unlike the key id
    const snapshot = {
      format: 1,
      account: { accountId: '0123456789ab', keyId: 'legacy-id', key: 'legacy-secret' },
      nextSeq: 1,
      buckets: [],
      files: [],
      parts: [],
      keys: [],
    };
    await writeFile(join(dir, 'meta.json'), JSON.stringify(snapshot));
    const emu = await startEmulator({ port: 0, dataDir: dir });
    try {
      assert.equal(emu.keyId, 'legacy-id');
      const s = await session(emu, 'legacy-id', 'legacy-secret');
      assert.equal(s.accountId, 'legacy-id');
      await makeBucket(s);
      await ok(s, 'b2_list_buckets', { accountId: 'legacy-id' });
    } finally {
      await emu.close();
    }
  });

  it('a --data directory remembers a chosen key id: a restart without it keeps that id as accountId, and the buckets', async () => {
    const dir = await dataDir();
    let emu = await startEmulator({ port: 0, dataDir: dir, keyId: 'kept-id', applicationKey: 'kept-secret' });
    const bucket = await makeBucket(await session(emu, 'kept-id', 'kept-secret'));
    await emu.close();
    emu = await startEmulator({ port: 0, dataDir: dir });
    try {
      const s = await session(emu, 'kept-id', 'kept-secret');
      assert.equal(s.accountId, 'kept-id');
      const names = (await ok(s, 'b2_list_buckets', { accountId: 'kept-id' })).buckets.map(
        (b: { bucketName: string }) => b.bucketName,
      );
      assert.deepEqual(names, [bucket.bucketName]);
    } finally {
      await emu.close();
    }
  });
});
