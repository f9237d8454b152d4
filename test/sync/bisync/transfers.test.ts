/**
 * bisync's transfers use sync's cutoffs: a download from downloadParallelCutoff is fetched as several
 * ranged streams (against the emulator, counting the range requests), and the scheduler counts an
 * upload as parallel from largeFileCutoff, a download from downloadParallelCutoff (unit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { B2Client } from '../../../src/client/b2-client.js';
import { runsInParallel } from '../../../src/sync/bisync/executor.js';
import { runBisync, type LocalEndpoint, type RemoteEndpoint } from '../../../src/sync/bisync/run-bisync.js';
import type { BisyncOp } from '../../../src/sync/bisync/types.js';
import { DEFAULTS } from '../../../src/transfer/index.js';
import { spyDownloads } from '../../transfer/fixture.js';
import { cleanup, local, newBucket, remote, tempDir, useEmulator } from '../fixture.js';

let client: B2Client;
useEmulator((_e, c) => (client = c));

test('a download above downloadParallelCutoff comes as ranged streams; one below it as one request', async () => {
  const { bucketName, bucketId } = await newBucket(client, 'bdl');
  const big = Buffer.alloc(40_000, 7);
  const small = Buffer.from('small file');
  for (const [fileName, body] of [
    ['big.bin', big],
    ['small.txt', small],
  ] as const)
    await client.uploadFile({ bucketId, fileName, body, contentLength: body.length });
  const root = await tempDir();
  const state = await tempDir();
  try {
    const spy = spyDownloads(client);
    const s = await runBisync(
      local(root) as LocalEndpoint,
      remote(spy.client as B2Client, bucketName) as RemoteEndpoint,
      'path1',
      { stateDir: state, transfers: 1, tuning: { downloadParallelCutoff: 20_000, downloadStreams: 4 } },
    );
    assert.deepEqual(s.errors, []);
    assert.equal(s.downloaded.files, 2);
    assert.deepEqual(spy.ranges, [
      undefined,
      { start: 10_000, end: 19_999 },
      { start: 20_000, end: 29_999 },
      { start: 30_000, end: 39_999 },
      undefined,
    ]);
    assert.ok((await readFile(join(root, 'big.bin'))).equals(big));
    assert.ok((await readFile(join(root, 'small.txt'))).equals(small));
  } finally {
    await cleanup(root, state);
  }
});

const op = (kind: 'upload' | 'download' | 'rename-remote', size: number) =>
  ({ id: 0, op: kind, path: 'f', reason: 'new', size, changes: [] }) as unknown as BisyncOp;

test('runsInParallel: uploads from largeFileCutoff, downloads from downloadParallelCutoff, other ops never', () => {
  const between = DEFAULTS.largeFileCutoff + 1;
  assert.ok(between < DEFAULTS.downloadParallelCutoff, 'the defaults differ, so the test can tell them apart');
  assert.equal(runsInParallel(op('upload', between)), true);
  assert.equal(runsInParallel(op('download', between)), false);
  assert.equal(runsInParallel(op('download', DEFAULTS.downloadParallelCutoff)), true);
  assert.equal(runsInParallel(op('upload', DEFAULTS.largeFileCutoff - 1)), false);
  assert.equal(runsInParallel(op('rename-remote', 10 * DEFAULTS.downloadParallelCutoff)), false);
  const tuning = { largeFileCutoff: 100, downloadParallelCutoff: 1000 };
  assert.equal(runsInParallel(op('upload', 100), tuning), true);
  assert.equal(runsInParallel(op('download', 999), tuning), false);
  assert.equal(runsInParallel(op('download', 1000), tuning), true);
});
