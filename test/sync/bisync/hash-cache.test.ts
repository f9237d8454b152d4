/**
 * bisync hashes local files through sync's hash cache: what sync --checksum hashed is not read again
 * by bisync, a bisync --checksum run hashes a file once, and a plain bisync leaves the cache file as
 * it found it. Against the emulator; the counts are the run summary's `hashed` (files actually read).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { B2Client } from '../../../src/client/b2-client.js';
import { runSync } from '../../../src/sync/index.js';
import { runBisync, type LocalEndpoint, type RemoteEndpoint } from '../../../src/sync/bisync/run-bisync.js';
import type { BisyncRunOptions } from '../../../src/sync/bisync/run-bisync.js';
import { cleanup, local, makeTree, newBucket, remote, T0, tempDir, useEmulator } from '../fixture.js';

let client: B2Client;
useEmulator((_e, c) => (client = c));

const FILES = { 'a.txt': 'aaaa', 'b.txt': 'bbbbbb', 'd/c.txt': 'cccccccc' };

/** The same files on B2 (synced from a copy) and locally with other times, so bisync needs their SHA-1s. */
async function setUp(tag: string) {
  const { bucketName } = await newBucket(client, tag);
  const seed = await makeTree(FILES);
  await runSync(local(seed), remote(client, bucketName), { mode: 'sync' });
  const root = await makeTree(FILES);
  for (const [i, p] of Object.keys(FILES).entries()) {
    const t = new Date(T0 + 500_000 + i * 1000);
    await utimes(join(root, p), t, t);
  }
  const dirs = { root, seed, cache: await tempDir(), state: await tempDir() };
  const bisync = (o: Partial<BisyncRunOptions> = {}) =>
    runBisync(local(root) as LocalEndpoint, remote(client, bucketName) as RemoteEndpoint, 'path1', {
      stateDir: dirs.state,
      hashCacheDir: dirs.cache,
      ...o,
    });
  return { ...dirs, bucketName, bisync };
}

test('bisync reads the hashes sync --checksum cached: no file is read again, and the cache file is left as it was', async () => {
  const x = await setUp('bhc-sync');
  try {
    await runSync(local(x.root), remote(client, x.bucketName), {
      mode: 'sync',
      compare: 'checksum',
      hashCacheDir: x.cache,
    });
    const [file] = (await readdir(x.cache)).filter((n) => n.endsWith('.jsonl'));
    assert.ok(file, 'sync wrote its cache');
    const before = await readFile(join(x.cache, file), 'utf8');
    assert.equal(before.trim().split('\n').length, 3);

    const s = await x.bisync();
    assert.equal(s.settled, 3, 'same content on both sides settles');
    assert.equal(s.hashed, 0, 'every SHA-1 came from the cache');
    assert.equal(await readFile(join(x.cache, file), 'utf8'), before, 'the cache file is unchanged');
  } finally {
    await cleanup(x.root, x.seed, x.cache, x.state);
  }
});

test('bisync --checksum hashes a file once: the next run reads none, and after an edit only the edited file', async () => {
  const x = await setUp('bhc-checksum');
  try {
    const first = await x.bisync({ checksum: true });
    assert.equal(first.settled, 3);
    assert.equal(first.hashed, 3, 'the first run reads each file');

    const second = await x.bisync({ checksum: true });
    assert.equal(second.unchanged, 3);
    assert.equal(second.hashed, 0, 'the second run reads none');

    await writeFile(join(x.root, 'b.txt'), 'BBBBBB');
    const third = await x.bisync({ checksum: true });
    assert.equal(third.hashed, 1, 'only the edited file is read');
    assert.equal(third.uploaded.files, 1);
    assert.equal(third.unchanged, 2);
  } finally {
    await cleanup(x.root, x.seed, x.cache, x.state);
  }
});

test('without a cache directory bisync still hashes what it needs (and reads it each time it needs it)', async () => {
  const x = await setUp('bhc-none');
  try {
    const first = await x.bisync({ checksum: true, hashCacheDir: undefined });
    assert.equal(first.hashed, 3);
    const second = await x.bisync({ checksum: true, hashCacheDir: undefined });
    assert.equal(second.hashed, 3, 'with no cache, --checksum reads every file again');
    assert.equal(second.unchanged, 3);
  } finally {
    await cleanup(x.root, x.seed, x.cache, x.state);
  }
});
