/**
 * Large uploads and copies whose b2_start_large_file or b2_finish_large_file reply is lost after the
 * server acted (emulator fault kind "cut"): the upload ends with the right file and no unfinished large
 * file left on B2 (before, the retried start left the first one unfinished, billed until a cleanup).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { B2Client } from '../../src/client/b2-client.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import { copyFile, downloadToFile, uploadLocalFile } from '../../src/transfer/index.js';
import { calls, collect, makeBucket, makeClient, sha1, startTestEmulator, tempDir, writeData } from './fixture.js';

describe('large transfers with lost replies', () => {
  let emu: RunningEmulator;
  let client: B2Client;
  let bucketId: string;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const tuning = { largeFileCutoff: 10_000, partSize: 5000, largeCopyCutoff: 10_000 };

  before(async () => {
    emu = await startTestEmulator();
    client = makeClient(emu);
    bucketId = (await makeBucket(client, 'lostrep')).bucketId;
    tmp = await tempDir();
  });
  after(async () => {
    await client?.close();
    await emu?.close();
    await tmp?.cleanup();
  });
  beforeEach(() => {
    emu.controls.clearFaults();
    emu.controls.resetCounters();
  });

  async function unfinished(namePrefix: string): Promise<string[]> {
    return (await collect(client.listUnfinishedLargeFiles(bucketId, { namePrefix }))).map((f) => f.fileName);
  }

  async function assertHolds(fileId: string, bytes: Buffer): Promise<void> {
    const out = join(tmp.dir, `check-${fileId.slice(-8)}`);
    await downloadToFile(client, { source: { fileId }, localPath: out });
    assert.ok((await readFile(out)).equals(bytes));
  }

  for (const call of ['b2_start_large_file', 'b2_finish_large_file']) {
    test(`a large upload whose ${call} reply is cut: the file is right, nothing unfinished is left`, async () => {
      const src = join(tmp.dir, `src-${call}`);
      const bytes = await writeData(src, 23_000);
      emu.controls.injectFault({ call, kind: 'cut' });
      const fv = await uploadLocalFile(client, {
        bucketId,
        fileName: `up/${call}`,
        localPath: src,
        info: { large_file_sha1: sha1(bytes) },
        tuning,
      });
      assert.equal(calls(emu, call), 2, 'the call was sent again');
      assert.equal(fv.action, 'upload');
      assert.equal(fv.contentLength, bytes.length);
      assert.deepEqual(await unfinished(`up/${call}`), []);
      const versions = await collect(client.listFileVersions(bucketId, { prefix: `up/${call}` }));
      assert.equal(versions.length, 1, 'one version');
      await assertHolds(fv.fileId!, bytes);
    });
  }

  test('a large server-side copy whose b2_start_large_file reply is cut: one copy, nothing unfinished', async () => {
    const src = join(tmp.dir, 'copy-src');
    const bytes = await writeData(src, 21_000);
    const from = await uploadLocalFile(client, { bucketId, fileName: 'copy/src', localPath: src, tuning });
    emu.controls.resetCounters();
    emu.controls.injectFault({ call: 'b2_start_large_file', kind: 'cut' });
    const fv = await copyFile(client, {
      sourceFileId: from.fileId!,
      sourceSize: bytes.length,
      destinationBucketId: bucketId,
      fileName: 'copy/dst',
      tuning,
    });
    assert.equal(calls(emu, 'b2_start_large_file'), 2);
    assert.deepEqual(await unfinished('copy/'), []);
    await assertHolds(fv.fileId!, bytes);
  });

  test('a small server-side copy whose b2_copy_file reply is cut: no error, a second identical version', async () => {
    const src = join(tmp.dir, 'copy-small');
    const bytes = await writeData(src, 3000);
    const from = await uploadLocalFile(client, { bucketId, fileName: 'copys/src', localPath: src, tuning });
    emu.controls.injectFault({ call: 'b2_copy_file', kind: 'cut' });
    const fv = await copyFile(client, {
      sourceFileId: from.fileId!,
      sourceSize: bytes.length,
      destinationBucketId: bucketId,
      fileName: 'copys/dst',
      tuning,
    });
    // As documented (docs/commands.md, "Lost replies"): the retry cannot know the first copy landed.
    const versions = await collect(client.listFileVersions(bucketId, { prefix: 'copys/dst' }));
    assert.equal(versions.length, 2);
    assert.deepEqual(new Set(versions.map((v) => v.contentSha1)), new Set([sha1(bytes)]));
    await assertHolds(fv.fileId!, bytes);
  });
});
