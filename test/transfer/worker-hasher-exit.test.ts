/**
 * WorkerHasher.digest() when the worker is already gone (it failed to load, or died): it rejects
 * instead of waiting forever for a reply (before, the download then hung with no error).
 */
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { WorkerHasher } from '../../src/transfer/worker-hasher.js';
import { tempDir, writeData } from './fixture.js';

test('digest() of a worker that has already exited rejects at once', async () => {
  const tmp = await tempDir();
  const path = join(tmp.dir, 'f');
  await writeData(path, 1000);
  const fh = await open(path, 'r');
  try {
    const h = new WorkerHasher(fh, 1000);
    const worker = (h as unknown as { worker: Worker }).worker;
    const gone = new Promise((resolve) => worker.once('exit', resolve));
    await worker.terminate();
    await gone;
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('digest() hung')), 5000).unref());
    await assert.rejects(Promise.race([h.digest(), timeout]), /the hashing worker stopped/);
  } finally {
    await fh.close();
    await tmp.cleanup();
  }
});
