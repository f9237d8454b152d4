import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningEmulator } from '../../src/emulator/api.js';
import type { B2Client } from '../../src/client/b2-client.js';
import { runSync, SafetyStopError, type SyncEvent } from '../../src/sync/index.js';
import {
  cleanup,
  local,
  makeTree,
  newBucket,
  readBucket,
  readTree,
  recorder,
  remote,
  T0,
  tempDir,
  useEmulator,
} from './fixture.js';

let emu: RunningEmulator;
let client: B2Client;
useEmulator((e, c) => ((emu = e), (client = c)));

const KEEP = {
  'k1.txt': { content: '1', mtimeMs: T0 },
  'k2.txt': { content: '2', mtimeMs: T0 },
  'k3.txt': { content: '3', mtimeMs: T0 },
};
const KEEP_CONTENT = { 'k1.txt': '1', 'k2.txt': '2', 'k3.txt': '3' };

/** A bucket holding b.txt plus KEEP, and a local tree with a.txt, c.txt plus KEEP. */
async function setup(tag: string) {
  const seed = await makeTree({ 'b.txt': 'bee', ...KEEP });
  const bucket = await newBucket(client, tag);
  await runSync(local(seed), remote(client, bucket.bucketName), { mode: 'sync' });
  await cleanup(seed);
  const root = await makeTree({ 'a.txt': 'ay', 'c.txt': 'see', ...KEEP });
  return { root, ...bucket };
}

function doneOrder(events: SyncEvent[]): string[] {
  return events
    .filter((e) => e.type === 'done')
    .map((e) => (e.type === 'done' ? `${e.action.action} ${e.action.path}` : ''));
}

test('delete-after (default) deletes only after every transfer; delete-during deletes in plan order', async () => {
  const x = await setup('dafter');
  try {
    const rec = recorder();
    const s = await runSync(local(x.root), remote(client, x.bucketName), {
      mode: 'sync',
      transfers: 1,
      onEvent: rec.onEvent,
    });
    assert.deepEqual(doneOrder(rec.events), ['upload a.txt', 'upload c.txt', 'delete b.txt']);
    assert.equal(s.deleted, 1);
    assert.deepEqual(await readBucket(client, x.bucketId), { 'a.txt': 'ay', 'c.txt': 'see', ...KEEP_CONTENT });
  } finally {
    await cleanup(x.root);
  }
  const y = await setup('dduring');
  try {
    const rec = recorder();
    await runSync(local(y.root), remote(client, y.bucketName), {
      mode: 'sync',
      transfers: 1,
      deleteMode: 'during',
      onEvent: rec.onEvent,
    });
    assert.deepEqual(doneOrder(rec.events), ['upload a.txt', 'delete b.txt', 'upload c.txt']);
  } finally {
    await cleanup(y.root);
  }
});

test('a failed transfer stops delete-after deletions, is reported per item, and the run goes on', async () => {
  const x = await setup('dfail');
  try {
    emu.controls.injectFault({
      call: 'b2_upload_file',
      kind: 'error',
      status: 400,
      code: 'bad_request',
      message: 'injected',
      count: 1,
    });
    const rec = recorder();
    const s = await runSync(local(x.root), remote(client, x.bucketName), {
      mode: 'sync',
      transfers: 1,
      onEvent: rec.onEvent,
    });
    emu.controls.clearFaults();
    assert.equal(s.transferred.files, 1, 'the other upload still happened');
    assert.equal(s.deleted, 0);
    assert.equal(s.errors.length, 2);
    assert.equal(s.errors[0].item, 'a.txt');
    assert.match(s.errors[0].message, /injected/);
    assert.match(s.errors[1].message, /1 deletion\(s\) not done because 1 transfer\(s\) failed/);
    assert.ok('b.txt' in (await readBucket(client, x.bucketId)));
    // Re-run completes the job.
    const s2 = await runSync(local(x.root), remote(client, x.bucketName), { mode: 'sync' });
    assert.deepEqual(s2.errors, []);
    assert.deepEqual(await readBucket(client, x.bucketId), { 'a.txt': 'ay', 'c.txt': 'see', ...KEEP_CONTENT });
  } finally {
    await cleanup(x.root);
  }
});

test('hard delete removes every version of the name; a normal delete only hides it', async () => {
  const x = await setup('dhard');
  try {
    // A second version of b.txt.
    await client.uploadFile({ bucketId: x.bucketId, fileName: 'b.txt', body: Buffer.from('bee2'), contentLength: 4 });
    const s = await runSync(local(x.root), remote(client, x.bucketName), { mode: 'sync', hardDelete: true });
    assert.equal(s.deleted, 1);
    const versions = [];
    for await (const v of client.listFileVersions(x.bucketId, {})) versions.push(v.fileName);
    assert.ok(!versions.includes('b.txt'), 'no version of b.txt left');
    assert.ok(versions.includes('k1.txt'));
  } finally {
    await cleanup(x.root);
  }
});

test('max-delete stops deleting beyond N and reports the rest as an error', async () => {
  const seed = await makeTree({ d1: '1', d2: '2', d3: '3', ...KEEP, 'k4.txt': '4' });
  const { bucketName, bucketId } = await newBucket(client, 'dmax');
  try {
    await runSync(local(seed), remote(client, bucketName), { mode: 'sync' });
    for (const f of ['d1', 'd2', 'd3']) await unlink(join(seed, f));
    const s = await runSync(local(seed), remote(client, bucketName), { mode: 'sync', maxDelete: 2, transfers: 1 });
    assert.equal(s.deleted, 2);
    assert.equal(s.errors.length, 1);
    assert.match(s.errors[0].message, /--max-delete 2 reached: 1 file\(s\) not deleted/);
    assert.deepEqual(Object.keys(await readBucket(client, bucketId)), ['d3', 'k1.txt', 'k2.txt', 'k3.txt', 'k4.txt']);
  } finally {
    await cleanup(seed);
  }
});

test('safety stop: an empty or missing source, or deleting more than half, is refused unless force', async () => {
  const seed = await makeTree({ ...KEEP, 'k4.txt': '4' });
  const { bucketName, bucketId } = await newBucket(client, 'safe');
  const empty = await tempDir();
  try {
    await runSync(local(seed), remote(client, bucketName), { mode: 'sync' });
    emu.controls.resetCounters();
    await assert.rejects(runSync(local(empty), remote(client, bucketName), { mode: 'sync' }), (e: Error) => {
      assert.ok(e instanceof SafetyStopError);
      assert.equal(e.name, 'SafetyStopError');
      assert.match(e.message, /source .* is empty/);
      assert.match(e.message, /--force/);
      return true;
    });
    await assert.rejects(
      runSync(local(join(empty, 'gone')), remote(client, bucketName), { mode: 'sync' }),
      /is missing.*--force/,
    );
    await assert.rejects(
      runSync(local(empty), remote(client, bucketName), { mode: 'sync', dryRun: true }),
      SafetyStopError,
      'a dry run refuses too',
    );
    assert.equal(emu.controls.counters().calls['b2_hide_file'] ?? 0, 0, 'nothing was deleted');

    // 3 of 4 would go: more than half.
    await unlink(join(seed, 'k1.txt'));
    await unlink(join(seed, 'k2.txt'));
    await unlink(join(seed, 'k3.txt'));
    await assert.rejects(
      runSync(local(seed), remote(client, bucketName), { mode: 'sync' }),
      /3 of the 4 files .*more than half/,
    );
    assert.equal(Object.keys(await readBucket(client, bucketId)).length, 4);
    // Copy mode never deletes, so there is nothing to stop.
    await runSync(local(empty), remote(client, bucketName), { mode: 'copy' });

    const s = await runSync(local(seed), remote(client, bucketName), { mode: 'sync', force: true });
    assert.equal(s.deleted, 3);
    const s2 = await runSync(local(empty), remote(client, bucketName), { mode: 'sync', force: true });
    assert.equal(s2.deleted, 1);
    assert.deepEqual(await readBucket(client, bucketId), {});
  } finally {
    await cleanup(seed, empty);
  }
});

test('local destination: deleted files leave no empty directories behind', async () => {
  const src = await makeTree({ 'keep/a': 'a', 'keep/b': 'b', 'x/y/z': 'z' });
  const dst = await tempDir();
  const { bucketName } = await newBucket(client, 'dlocal');
  try {
    await runSync(local(src), remote(client, bucketName), { mode: 'sync' });
    await runSync(remote(client, bucketName), local(dst), { mode: 'sync' });
    await rm(join(src, 'x'), { recursive: true });
    await writeFile(join(src, 'keep', 'c'), 'c');
    await runSync(local(src), remote(client, bucketName), { mode: 'sync' });
    const s = await runSync(remote(client, bucketName), local(dst), { mode: 'sync' });
    assert.equal(s.deleted, 1);
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual((await readdir(dst)).sort(), ['keep']);
  } finally {
    await cleanup(src, dst);
  }
});

test('B2 → local: a file that became a folder and a folder that became a file are replaced, in either delete mode', async () => {
  for (const deleteMode of ['after', 'during'] as const) {
    const dst = await makeTree({ a: 'old file a', 'b/y': 'old y', 'b/z/w': 'old w', c: 'c', d: 'd', e: 'e', f: 'f' });
    const src = await makeTree({ 'a/x': 'new x', 'a-1': 'between', b: 'new file b', c: 'c', d: 'd', e: 'e', f: 'f' });
    const { bucketName } = await newBucket(client, `tc${deleteMode}`);
    try {
      await runSync(local(src), remote(client, bucketName), { mode: 'sync' });
      const s = await runSync(remote(client, bucketName), local(dst), {
        mode: 'sync',
        deleteMode,
        force: true,
        transfers: 4,
      });
      assert.deepEqual(s.errors, [], deleteMode);
      assert.deepEqual(await readTree(dst), {
        'a-1': 'between',
        'a/x': 'new x',
        b: 'new file b',
        c: 'c',
        d: 'd',
        e: 'e',
        f: 'f',
      });
      assert.equal(s.deleted, 3);
    } finally {
      await cleanup(src, dst);
    }
  }
});
