import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningEmulator } from '../../src/emulator/api.js';
import type { B2Client } from '../../src/client/b2-client.js';
import { runSync } from '../../src/sync/index.js';
import { cleanup, local, makeClient, makeTree, newBucket, readBucket, remote, startTestEmulator } from './fixture.js';

let emu: RunningEmulator;
let client: B2Client;
before(async () => {
  emu = await startTestEmulator();
  client = makeClient(emu);
});
after(async () => {
  await client.close();
  await emu.close();
});

test('large files run within the global part bound (one at a time here) while small files keep flowing', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 3; i++) files[`large-${i}.bin`] = String(i).repeat(3500);
  for (let i = 0; i < 6; i++) files[`small-${i}.txt`] = `small ${i}`;
  const src = await makeTree(files);
  const { bucketName, bucketId } = await newBucket(client, 'large');
  try {
    let largeNow = 0;
    let largePeak = 0;
    let smallDuringLarge = 0;
    const s = await runSync(local(src), remote(client, bucketName), {
      mode: 'sync',
      transfers: 2,
      tuning: { largeFileCutoff: 2000, partSize: 1000, partConcurrency: 2 },
      onEvent: (e) => {
        if (e.type === 'start' && e.action.path.startsWith('large')) largePeak = Math.max(largePeak, ++largeNow);
        if (e.type === 'done' && e.action.path.startsWith('large')) largeNow--;
        if (e.type === 'start' && e.action.path.startsWith('small') && largeNow > 0) smallDuringLarge++;
      },
    });
    assert.deepEqual(s.errors, []);
    assert.equal(largePeak, 1, 'max(transfers 2, parts 2) / parts 2 = 1 large file at a time');
    assert.ok(smallDuringLarge > 0, 'small files moved while a large one was in flight');
    assert.deepEqual(await readBucket(client, bucketId), files);
  } finally {
    await cleanup(src);
  }
});

test('checksum: a file that cannot be read while hashing is reported per item and the run goes on', async () => {
  const src = await makeTree({ 'a.txt': 'aaaa', 'b.txt': 'bbbb', 'c.txt': 'cccc' });
  const { bucketName, bucketId } = await newBucket(client, 'hasherr');
  try {
    await runSync(local(src), remote(client, bucketName), { mode: 'sync' });
    const s = await runSync(local(src), remote(client, bucketName), {
      mode: 'sync',
      compare: 'checksum',
      checkers: 1,
      onEvent: (e) => {
        // With one checker, b.txt is hashed only after a.txt's decision is out: remove it now.
        if (e.type === 'plan' && e.action.path === 'a.txt') unlinkSync(join(src, 'b.txt'));
      },
    });
    assert.equal(s.errors.length, 1);
    assert.equal(s.errors[0].item, 'b.txt');
    assert.match(s.errors[0].message, /^compare: .*ENOENT/);
    assert.equal(s.deleted, 0, 'a file that failed to compare is not treated as missing');
    assert.equal(s.skipped, 2);
    assert.deepEqual(Object.keys(await readBucket(client, bucketId)), ['a.txt', 'b.txt', 'c.txt']);
  } finally {
    await cleanup(src);
  }
});
