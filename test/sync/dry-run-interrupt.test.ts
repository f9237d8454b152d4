import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningEmulator } from '../../src/emulator/api.js';
import type { B2Client } from '../../src/client/b2-client.js';
import { isAbortError } from '../../src/core/errors.js';
import { runSync } from '../../src/sync/index.js';
import {
  calls,
  cleanup,
  local,
  makeTree,
  newBucket,
  readBucket,
  readTree,
  recorder,
  remote,
  tempDir,
  useEmulator,
} from './fixture.js';

let emu: RunningEmulator;
let client: B2Client;
useEmulator((e, c) => ((emu = e), (client = c)));

function many(n: number, tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`d${i % 4}/${tag}-${String(i).padStart(3, '0')}.txt`] = `${tag} ${i} `.repeat(20);
  return out;
}

test('a dry run plans exactly what the real run then does, and changes nothing', async () => {
  const src = await makeTree({ ...many(12, 'f'), 'big.bin': 'b'.repeat(3000) });
  const { bucketName, bucketId } = await newBucket(client, 'dry');
  try {
    await runSync(local(src), remote(client, bucketName), { mode: 'sync' });
    await writeFile(join(src, 'd1/f-001.txt'), 'changed');
    await writeFile(join(src, 'd2/new.txt'), 'new');
    await unlink(join(src, 'd3/f-003.txt'));
    await client.uploadFile({ bucketId, fileName: 'extra.txt', body: Buffer.from('e'), contentLength: 1 });
    emu.controls.resetCounters();
    const before = await readBucket(client, bucketId);
    const dry = recorder();
    const d = await runSync(local(src), remote(client, bucketName), {
      mode: 'sync',
      dryRun: true,
      onEvent: dry.onEvent,
    });
    assert.deepEqual(await readBucket(client, bucketId), before, 'dry run changed nothing');
    assert.equal(calls(emu, 'b2_upload_file') + calls(emu, 'b2_hide_file'), 0);
    assert.equal(d.transferred.files, 0);
    assert.deepEqual(d.plan, [
      { action: 'upload', path: 'd1/f-001.txt', reason: 'changed size', size: 7 },
      { action: 'upload', path: 'd2/new.txt', reason: 'new', size: 3 },
      { action: 'delete', path: 'd3/f-003.txt', reason: 'extra on destination', size: 80 },
      { action: 'delete', path: 'extra.txt', reason: 'extra on destination', size: 1 },
    ]);
    const real = recorder();
    const r = await runSync(local(src), remote(client, bucketName), {
      mode: 'sync',
      keepPlan: true,
      onEvent: real.onEvent,
    });
    assert.deepEqual(r.plan, d.plan);
    assert.deepEqual(real.plan(), dry.plan());
    assert.equal(r.transferred.files + r.deleted, d.plan!.length);
    assert.deepEqual(await readBucket(client, bucketId), await readTree(src));
  } finally {
    await cleanup(src);
  }
});

test('dry run and real run agree in checksum mode too', async () => {
  const src = await makeTree(many(6, 'c'));
  const { bucketName } = await newBucket(client, 'drysum');
  try {
    await runSync(local(src), remote(client, bucketName), { mode: 'sync' });
    await writeFile(join(src, 'd0/c-000.txt'), 'X'.repeat('c 0 '.repeat(20).length));
    const d = await runSync(local(src), remote(client, bucketName), {
      mode: 'sync',
      compare: 'checksum',
      dryRun: true,
    });
    const r = await runSync(local(src), remote(client, bucketName), {
      mode: 'sync',
      compare: 'checksum',
      keepPlan: true,
    });
    assert.deepEqual(r.plan, d.plan);
    assert.deepEqual(d.plan, [{ action: 'upload', path: 'd0/c-000.txt', reason: 'checksum differs', size: 80 }]);
  } finally {
    await cleanup(src);
  }
});

test('an upload sync aborted through its signal rejects with AbortError; a re-run completes only the rest', async () => {
  const files = many(40, 'u');
  const src = await makeTree(files);
  const { bucketName, bucketId } = await newBucket(client, 'abort');
  try {
    const ac = new AbortController();
    let done = 0;
    await assert.rejects(
      runSync(local(src), remote(client, bucketName), {
        mode: 'sync',
        transfers: 2,
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type === 'done' && ++done === 5) ac.abort();
        },
      }),
      (e) => isAbortError(e),
    );
    const partial = Object.keys(await readBucket(client, bucketId)).length;
    assert.ok(partial >= 5 && partial < 40, `uploaded before abort: ${partial}`);
    const s = await runSync(local(src), remote(client, bucketName), { mode: 'sync' });
    assert.deepEqual(s.errors, []);
    assert.equal(s.transferred.files, 40 - partial);
    assert.equal(s.skipped, partial);
    assert.deepEqual(await readBucket(client, bucketId), files);
  } finally {
    await cleanup(src);
  }
});

test('a download sync aborted mid-way leaves no partial files under their names; a re-run completes', async () => {
  const files = many(30, 'w');
  const src = await makeTree(files);
  const dst = await tempDir();
  const { bucketName } = await newBucket(client, 'abortdown');
  try {
    await runSync(local(src), remote(client, bucketName), { mode: 'sync' });
    const ac = new AbortController();
    let done = 0;
    await assert.rejects(
      runSync(remote(client, bucketName), local(dst), {
        mode: 'sync',
        transfers: 3,
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type === 'done' && ++done === 4) ac.abort();
        },
      }),
      (e) => isAbortError(e),
    );
    const got = await readTree(dst);
    for (const [p, c] of Object.entries(got))
      if (!p.endsWith('.b2sync-tmp')) assert.equal(c, files[p], `${p} is whole`);
    const s = await runSync(remote(client, bucketName), local(dst), { mode: 'sync' });
    assert.deepEqual(s.errors, []);
    const final = await readTree(dst);
    assert.deepEqual(Object.fromEntries(Object.entries(final).filter(([p]) => !p.endsWith('.b2sync-tmp'))), files);
    const temps = [];
    for (const d of await readdir(dst))
      for (const f of await readdir(join(dst, d))) if (f.endsWith('.b2sync-tmp')) temps.push(f);
    assert.deepEqual(temps, [], 'no temp files left after the completing run');
  } finally {
    await cleanup(src, dst);
  }
});

test('a sync aborted during a large upload resumes that large file on the re-run', async () => {
  const big = Array.from({ length: 10 }, (_, i) => String(i).repeat(1000)).join('');
  const src = await makeTree({ 'big.bin': big });
  const { bucketName, bucketId } = await newBucket(client, 'abortlarge');
  const tuning = { largeFileCutoff: 2000, partSize: 1000, partConcurrency: 1 };
  try {
    const ac = new AbortController();
    await assert.rejects(
      runSync(local(src), remote(client, bucketName), {
        mode: 'sync',
        tuning,
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type === 'progress' && e.bytes >= 3000) ac.abort();
        },
      }),
      (e) => isAbortError(e),
    );
    assert.deepEqual(await readBucket(client, bucketId), {});
    emu.controls.resetCounters();
    const s = await runSync(local(src), remote(client, bucketName), { mode: 'sync', tuning });
    assert.deepEqual(s.errors, []);
    assert.equal(calls(emu, 'b2_start_large_file'), 0, 'the unfinished large file was continued');
    assert.ok(calls(emu, 'b2_upload_part') < 10, `parts uploaded on the re-run: ${calls(emu, 'b2_upload_part')}`);
    assert.deepEqual(await readBucket(client, bucketId), { 'big.bin': big });
  } finally {
    await cleanup(src);
  }
});
