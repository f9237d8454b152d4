import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { B2Client } from '../../src/client/b2-client.js';
import { runSync } from '../../src/sync/index.js';
import { sha1Hex } from '../../src/core/sha1.js';
import { readdir } from 'node:fs/promises';
import {
  cleanup,
  local,
  makeTree,
  newBucket,
  readBucket,
  recorder,
  remote,
  T0,
  tempDir,
  useEmulator,
} from './fixture.js';

let client: B2Client;
useEmulator((_e, c) => (client = c));

async function setTime(p: string, ms: number) {
  await utimes(p, new Date(ms), new Date(ms));
}

test('checksum: same-size edit with the old mtime is found; a touched file is skipped; hashes are cached in hashCacheDir', async () => {
  const root = await makeTree({ 'a.txt': 'aaaa', 'b.txt': 'bbbb', 'c.txt': 'cccc' });
  const cache = await tempDir();
  const { bucketName, bucketId } = await newBucket(client, 'sum');
  try {
    await runSync(local(root), remote(client, bucketName), { mode: 'sync' });
    await writeFile(join(root, 'a.txt'), 'AAAA');
    await setTime(join(root, 'a.txt'), T0);
    await setTime(join(root, 'b.txt'), T0 + 500_000);

    const def = recorder();
    await runSync(local(root), remote(client, bucketName), { mode: 'sync', dryRun: true, onEvent: def.onEvent });
    assert.deepEqual(
      def.changes(),
      ['upload b.txt (newer)'],
      'size+mtime misses the same-size edit and flags the touch',
    );

    const sum = recorder();
    const s = await runSync(local(root), remote(client, bucketName), {
      mode: 'sync',
      compare: 'checksum',
      hashCacheDir: cache,
      onEvent: sum.onEvent,
    });
    assert.deepEqual(sum.plan(), [
      'upload a.txt (checksum differs)',
      'skip b.txt (same checksum)',
      'skip c.txt (same checksum)',
    ]);
    assert.equal(s.transferred.files, 1);
    assert.equal((await readBucket(client, bucketId))['a.txt'], 'AAAA');

    const again = recorder();
    await runSync(local(root), remote(client, bucketName), {
      mode: 'sync',
      compare: 'checksum',
      hashCacheDir: cache,
      onEvent: again.onEvent,
    });
    assert.deepEqual(again.changes(), []);
    assert.equal((await readdir(cache)).filter((n) => n.endsWith('.jsonl')).length, 1);
  } finally {
    await cleanup(root, cache);
  }
});

test('checksum on a large file: large_file_sha1 is used when present, else size and time with a note', async () => {
  const big = 'x'.repeat(2500);
  const root = await makeTree({ 'big1.bin': { content: big, mtimeMs: T0 }, 'big2.bin': { content: big, mtimeMs: T0 } });
  const { bucketName, bucketId } = await newBucket(client, 'sumbig');
  try {
    // Two large files made by hand: parts of 1000 + 1500 bytes; only big1 carries large_file_sha1.
    for (const [name, info] of [
      ['big1.bin', { src_last_modified_millis: String(T0), large_file_sha1: sha1Hex(big) }],
      ['big2.bin', { src_last_modified_millis: String(T0) }],
    ] as const) {
      const f = await client.startLargeFile({ bucketId, fileName: name, info: { ...info } });
      const p1 = Buffer.from(big.slice(0, 1000));
      const p2 = Buffer.from(big.slice(1000));
      await client.uploadPart({ fileId: f.fileId!, partNumber: 1, body: p1, contentLength: p1.length });
      await client.uploadPart({ fileId: f.fileId!, partNumber: 2, body: p2, contentLength: p2.length });
      await client.finishLargeFile(f.fileId!, [sha1Hex(p1), sha1Hex(p2)]);
    }
    const rec = recorder();
    await runSync(local(root), remote(client, bucketName), { mode: 'sync', compare: 'checksum', onEvent: rec.onEvent });
    assert.deepEqual(rec.plan(), ['skip big1.bin (same checksum)', 'skip big2.bin (same size and time)']);
    const notes = rec.events.filter((e) => e.type === 'note');
    assert.equal(notes.length, 1);
    assert.match(JSON.stringify(notes[0]), /big2\.bin.*large_file_sha1/);
  } finally {
    await cleanup(root);
  }
});

test('size-only ignores mtimes; update skips newer destination files; ignore-existing skips all existing', async () => {
  const root = await makeTree({ 'a.txt': 'aaaa', 'b.txt': 'bbbb', 'c.txt': 'cccc' });
  const { bucketName } = await newBucket(client, 'modes');
  try {
    await runSync(local(root), remote(client, bucketName), { mode: 'sync' });
    await setTime(join(root, 'a.txt'), T0 + 999_000); // newer at source
    await setTime(join(root, 'b.txt'), T0 - 999_000); // older at source (destination newer)
    await writeFile(join(root, 'c.txt'), 'cc'); // size changed
    await setTime(join(root, 'c.txt'), T0 - 999_000);

    const so = recorder();
    await runSync(local(root), remote(client, bucketName), {
      mode: 'sync',
      compare: 'size-only',
      dryRun: true,
      onEvent: so.onEvent,
    });
    assert.deepEqual(so.changes(), ['upload c.txt (changed size)']);

    const up = recorder();
    await runSync(local(root), remote(client, bucketName), {
      mode: 'sync',
      update: true,
      dryRun: true,
      onEvent: up.onEvent,
    });
    assert.deepEqual(up.plan(), [
      'upload a.txt (newer)',
      'skip b.txt (destination newer)',
      'skip c.txt (destination newer)',
    ]);

    const def = recorder();
    await runSync(local(root), remote(client, bucketName), { mode: 'sync', dryRun: true, onEvent: def.onEvent });
    assert.deepEqual(def.changes(), ['upload a.txt (newer)', 'upload b.txt (older)', 'upload c.txt (changed size)']);

    await writeFile(join(root, 'd.txt'), 'new');
    const ie = recorder();
    await runSync(local(root), remote(client, bucketName), {
      mode: 'sync',
      ignoreExisting: true,
      dryRun: true,
      onEvent: ie.onEvent,
    });
    assert.deepEqual(ie.changes(), ['upload d.txt (new)']);
  } finally {
    await cleanup(root);
  }
});

test('modify window: differences within it are equal', async () => {
  const root = await makeTree({ 'a.txt': 'aaaa' });
  const { bucketName } = await newBucket(client, 'win');
  try {
    await runSync(local(root), remote(client, bucketName), { mode: 'sync' });
    await setTime(join(root, 'a.txt'), T0 + 1500);
    const narrow = recorder();
    await runSync(local(root), remote(client, bucketName), { mode: 'sync', dryRun: true, onEvent: narrow.onEvent });
    assert.deepEqual(narrow.changes(), ['upload a.txt (newer)']);
    const wide = recorder();
    await runSync(local(root), remote(client, bucketName), {
      mode: 'sync',
      dryRun: true,
      modifyWindowMs: 2000,
      onEvent: wide.onEvent,
    });
    assert.deepEqual(wide.changes(), []);
  } finally {
    await cleanup(root);
  }
});

test('B2 → local with checksum compares the listing SHA-1 against local bytes', async () => {
  const src = await makeTree({ 'a.txt': 'aaaa', 'b.txt': 'bbbb' });
  const dst = await tempDir();
  const { bucketName } = await newBucket(client, 'sumdown');
  try {
    await runSync(local(src), remote(client, bucketName), { mode: 'sync' });
    await runSync(remote(client, bucketName), local(dst), { mode: 'sync' });
    await writeFile(join(dst, 'b.txt'), 'BBBB');
    await setTime(join(dst, 'b.txt'), T0 + 1000);
    const rec = recorder();
    const s = await runSync(remote(client, bucketName), local(dst), {
      mode: 'sync',
      compare: 'checksum',
      onEvent: rec.onEvent,
    });
    assert.deepEqual(rec.plan(), ['skip a.txt (same checksum)', 'download b.txt (checksum differs)']);
    assert.equal(s.transferred.files, 1);
  } finally {
    await cleanup(src, dst);
  }
});

test('checksum: a large file re-uploaded because its checksum differs carries the SHA-1 already computed as large_file_sha1', async () => {
  const old = 'o'.repeat(2500);
  const now = 'n'.repeat(2500);
  const root = await makeTree({ 'big.bin': { content: old, mtimeMs: T0 }, 'other.bin': { content: old, mtimeMs: T0 } });
  const { bucketName, bucketId } = await newBucket(client, 'sumlarge');
  const tuning = { largeFileCutoff: 2000, partSize: 1000 };
  try {
    // First upload (size and time): large, no SHA-1 known to the sync, so none recorded.
    await runSync(local(root), remote(client, bucketName), { mode: 'sync', tuning });
    const first = await collectNames(bucketId);
    assert.equal(first['big.bin'].large_file_sha1, undefined);
    // Same size and mtime, new bytes: only --checksum sees it. Give both large_file_sha1 to compare against.
    await writeFile(join(root, 'big.bin'), now);
    await setTime(join(root, 'big.bin'), T0);
    for (const name of ['big.bin', 'other.bin']) {
      const f = await client.startLargeFile({
        bucketId,
        fileName: name,
        info: { src_last_modified_millis: String(T0), large_file_sha1: sha1Hex(old) },
      });
      const parts = [Buffer.from(old.slice(0, 1000)), Buffer.from(old.slice(1000))];
      for (const [i, p] of parts.entries())
        await client.uploadPart({ fileId: f.fileId!, partNumber: i + 1, body: p, contentLength: p.length });
      await client.finishLargeFile(
        f.fileId!,
        parts.map((p) => sha1Hex(p)),
      );
    }
    const rec = recorder();
    await runSync(local(root), remote(client, bucketName), {
      mode: 'sync',
      compare: 'checksum',
      tuning,
      onEvent: rec.onEvent,
    });
    assert.deepEqual(rec.plan(), ['upload big.bin (checksum differs)', 'skip other.bin (same checksum)']);
    const after = await collectNames(bucketId);
    assert.equal(after['big.bin'].large_file_sha1, sha1Hex(now));
    assert.equal((await readBucket(client, bucketId))['big.bin'], now);
  } finally {
    await cleanup(root);
  }
});

async function collectNames(bucketId: string): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for await (const f of client.listFileNames(bucketId, { pageSize: 100 })) out[f.fileName] = f.fileInfo ?? {};
  return out;
}
