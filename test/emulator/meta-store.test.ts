/** The metadata store: blob reference counting, journal replay and compaction (no HTTP). */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetaStore } from '../../src/emulator/store/meta-store.js';
import { MemoryBlobStore } from '../../src/emulator/store/memory-blobs.js';
import type { StoredBucket, StoredFile, StoredPart } from '../../src/emulator/store/records.js';

class CountingBlobs extends MemoryBlobStore {
  removed: string[] = [];
  override async remove(id: string): Promise<void> {
    this.removed.push(id);
  }
}

function file(fileId: string, seq: number, blobs: string[], action: StoredFile['action'] = 'upload'): StoredFile {
  return {
    fileId,
    seq,
    bucketId: 'b1',
    fileName: `name-${fileId}`,
    action,
    contentLength: blobs.length,
    contentSha1: null,
    contentMd5: null,
    contentType: 'text/plain',
    fileInfo: {},
    uploadTimestamp: seq,
    segments: blobs.map((blob) => ({ blob, off: 0, len: 1 })),
  };
}

function part(n: number, blob: string): StoredPart {
  return {
    partNumber: n,
    contentLength: 1,
    contentSha1: 'x',
    contentMd5: null,
    uploadTimestamp: n,
    segments: [{ blob, off: 0, len: 1 }],
  };
}

function bucket(i: number): StoredBucket {
  return {
    bucketId: `bucket${i}`,
    bucketName: `bucket-${i}`,
    bucketType: 'allPrivate',
    bucketInfo: {},
    corsRules: [],
    lifecycleRules: [],
    fileLockEnabled: false,
    defaultServerSideEncryption: { mode: null },
    revision: 2,
  };
}

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('blob reference counting', () => {
  it('bytes shared by a copy live until the last version using them is deleted', async () => {
    const blobs = new CountingBlobs();
    const meta = new MetaStore(blobs);
    await meta.commit({ t: 'file', f: file('orig', 1, ['a']) });
    await meta.commit({ t: 'file', f: file('copy', 2, ['a']) });
    await meta.commit({ t: '-file', id: 'orig' });
    assert.deepEqual(blobs.removed, []);
    await meta.commit({ t: '-file', id: 'copy' });
    assert.deepEqual(blobs.removed, ['a']);
  });

  it("finishing a large file moves its parts' bytes to the version; a replaced part's bytes go", async () => {
    const blobs = new CountingBlobs();
    const meta = new MetaStore(blobs);
    const start = file('large', 1, [], 'start');
    await meta.commit({ t: 'file', f: start });
    await meta.commit({ t: 'part', id: 'large', p: part(1, 'p1-old') });
    await meta.commit({ t: 'part', id: 'large', p: part(1, 'p1') });
    await meta.commit({ t: 'part', id: 'large', p: part(2, 'p2') });
    assert.deepEqual(blobs.removed, ['p1-old']);
    await meta.commit({
      t: 'file',
      f: { ...start, action: 'upload', segments: [...meta.parts.get('large')!.values()].flatMap((p) => p.segments) },
    });
    assert.deepEqual(blobs.removed, ['p1-old'], 'finishing removes nothing');
    assert.equal(meta.parts.has('large'), false);
    await meta.commit({ t: '-file', id: 'large' });
    assert.deepEqual(blobs.removed.sort(), ['p1', 'p1-old', 'p2']);
  });

  it("cancelling an unfinished large file drops its parts' bytes", async () => {
    const blobs = new CountingBlobs();
    const meta = new MetaStore(blobs);
    await meta.commit({ t: 'file', f: file('large', 1, [], 'start') });
    await meta.commit({ t: 'part', id: 'large', p: part(1, 'p1') });
    await meta.commit({ t: '-file', id: 'large' });
    assert.deepEqual(blobs.removed, ['p1']);
  });
});

describe('journal', () => {
  it('replays after a restart and folds itself into the snapshot once it grows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'b2sync-meta-'));
    dirs.push(dir);
    const meta = new MetaStore(new MemoryBlobStore());
    await meta.openDir(dir, 10);
    for (let i = 0; i < 50; i++) await meta.commit({ t: 'bucket', b: bucket(i) });
    await meta.commit({ t: '-bucket', id: 'bucket7' });
    const journalLines = (await readFile(join(dir, 'journal.jsonl'), 'utf8')).split('\n').filter(Boolean).length;
    assert.ok(journalLines <= 11, `journal compacted (${journalLines} lines)`);
    const snapshot = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'));
    assert.ok(snapshot.buckets.length >= 40, 'the snapshot holds what was folded in');

    // A crash: no close(), just a new store reading the same directory.
    const again = new MetaStore(new MemoryBlobStore());
    await again.openDir(dir, 10);
    assert.deepEqual([...again.buckets.keys()].sort(), [...meta.buckets.keys()].sort());
    assert.equal(again.buckets.size, 49);
    await again.close();
    await meta.close();
  });
});
