/** Downloads to a name whose component is 232-255 bytes: the temp file and its prefix note must fit too. */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { B2Client } from '../../src/client/b2-client.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import { prefixNoteFor } from '../../src/transfer/download/index.js';
import { tempsOf } from '../../src/transfer/download/temp-file.js';
import { downloadToFile, tempPathFor, TEMP_SUFFIX } from '../../src/transfer/index.js';
import { data, makeBucket, makeClient, spyDownloads, startTestEmulator, tempDir } from './fixture.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('temp names of long final names', () => {
  let emu: RunningEmulator;
  let client: B2Client;
  let bucket: { bucketId: string; bucketName: string };
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const body = data(40_000);

  before(async () => {
    emu = await startTestEmulator();
    client = makeClient(emu);
    bucket = await makeBucket(client, 'longtemp');
    tmp = await tempDir();
  });
  after(async () => {
    await client?.close();
    await emu?.close();
    await tmp?.cleanup();
  });

  async function upload(name: string): Promise<string> {
    const fv = await client.uploadFile({ bucketId: bucket.bucketId, fileName: name, body, contentLength: body.length });
    return fv.fileId!;
  }

  test('every final name length up to 255 bytes downloads (the temp and the note stay within 255 bytes)', async () => {
    for (const n of [224, 225, 231, 232, 240, 254, 255]) {
      const name = `${n}-`.padEnd(n, 'x');
      await upload(name);
      const target = join(tmp.dir, name);
      const r = await downloadToFile(client, {
        source: { bucketName: bucket.bucketName, fileName: name },
        localPath: target,
      });
      assert.equal(r.bytes, body.length, `${n} bytes`);
      assert.deepEqual(await readFile(target), body);
    }
    assert.deepEqual(
      (await readdir(tmp.dir)).filter((x) => x.endsWith(TEMP_SUFFIX)),
      [],
    );
  });

  test('a multi-byte name is cut at a character boundary; temps stay unique per name and per fileId', () => {
    const stemA = 'é'.repeat(120) + 'a'; // 241 bytes
    const stemB = 'é'.repeat(120) + 'b';
    const ta = basename(tempPathFor(join(tmp.dir, stemA), 'id-1'));
    const tb = basename(tempPathFor(join(tmp.dir, stemB), 'id-1'));
    const ta2 = basename(tempPathFor(join(tmp.dir, stemA), 'id-2'));
    assert.notEqual(ta, tb);
    assert.notEqual(ta, ta2);
    for (const t of [ta, tb, ta2]) {
      assert.ok(t.endsWith(TEMP_SUFFIX), t);
      assert.ok(bytes(basename(prefixNoteFor(t))) <= 255, `${bytes(prefixNoteFor(t))} bytes`);
      assert.ok(!t.includes('\ufffd'), 'no character cut in half');
    }
    // A short name keeps the old form, so temps left by earlier versions are still resumed.
    assert.equal(tempPathFor('/d/short.txt', 'id-1').replace(/\.[0-9a-f]{12}\.b2sync-tmp$/, ''), '/d/short.txt');
  });

  test('a partial temp of a 250-byte name is resumed, and a stale temp of another version removed', async () => {
    const name = 'r'.repeat(250);
    const fileId = await upload(name);
    const target = join(tmp.dir, name);
    await writeFile(tempPathFor(target, fileId), body.subarray(0, 15_000));
    const stale = tempPathFor(target, 'an-older-version');
    await writeFile(stale, 'old');
    assert.deepEqual((await tempsOf(target)).sort(), [tempPathFor(target, fileId), stale].sort());
    const spy = spyDownloads(client);
    await downloadToFile(spy.client, {
      source: { bucketName: bucket.bucketName, fileName: name },
      localPath: target,
      tuning: { downloadParallelCutoff: 1e12 },
    });
    assert.deepEqual(spy.ranges, [{ start: 15_000 }]);
    assert.deepEqual(await readFile(target), body);
    assert.deepEqual(await tempsOf(target), []);
  });
});
