/** Paging across a few thousand files over HTTP, and listing billing (ceil(returned/1000) per call). */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  listAll,
  makeBucket,
  ok,
  session,
  start,
  utf8Compare,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';
import { bulkUpload } from './harness.js';

const FILES = 3000;

describe('paging across thousands of files', () => {
  let emu: RunningEmulator;
  let s: Session;
  let bucketId: string;
  const visible: string[] = [];
  let versionCount = 0;

  before(async () => {
    emu = await start();
    s = await session(emu);
    bucketId = (await makeBucket(s)).bucketId;
    const names = Array.from({ length: FILES }, (_, i) =>
      i % 3 === 0 ? `dir${i % 7}/f-${i}` : `f-${i}${i % 11 === 0 ? '-é' : ''}`,
    );
    await bulkUpload(
      s,
      bucketId,
      names.map((name) => ({ name, body: `v1 ${name}` })),
    );
    versionCount = FILES;
    // A second version for every 5th name, and a hide marker for every 13th.
    const again = names.filter((_, i) => i % 5 === 0);
    await bulkUpload(
      s,
      bucketId,
      again.map((name) => ({ name, body: `v2 ${name}` })),
    );
    versionCount += again.length;
    const hidden = new Set(names.filter((_, i) => i % 13 === 0));
    for (const name of hidden) await ok(s, 'b2_hide_file', { bucketId, fileName: name });
    versionCount += hidden.size;
    visible.push(...names.filter((n) => !hidden.has(n)).sort(utf8Compare));
  });
  after(() => emu.close());

  for (const size of [1000, 997]) {
    it(`list_file_names in pages of ${size} visits every visible name once, in UTF-8 order`, async () => {
      const { files, pages } = await listAll(s, 'b2_list_file_names', { bucketId }, size);
      assert.deepEqual(
        files.map((f) => f.fileName),
        visible,
      );
      assert.equal(pages, Math.ceil(visible.length / size));
    });
  }

  it('list_file_versions in pages of 333 visits every version once, newest first within a name', async () => {
    const { files } = await listAll(s, 'b2_list_file_versions', { bucketId }, 333);
    assert.equal(files.length, versionCount);
    assert.equal(new Set(files.map((f) => f.fileId)).size, versionCount);
    for (let i = 1; i < files.length; i++) {
      const c = utf8Compare(files[i - 1].fileName, files[i].fileName);
      assert.ok(c < 0 || (c === 0 && files[i - 1].uploadTimestamp >= files[i].uploadTimestamp), `order at ${i}`);
    }
  });

  it('a delimiter listing pages over folders and files without repeats', async () => {
    const { files } = await listAll(s, 'b2_list_file_names', { bucketId, delimiter: '/' }, 2);
    const folders = files.filter((f) => f.action === 'folder').map((f) => f.fileName);
    assert.deepEqual(folders, ['dir0/', 'dir1/', 'dir2/', 'dir3/', 'dir4/', 'dir5/', 'dir6/']);
    assert.equal(files.length, folders.length + visible.filter((n) => !n.includes('/')).length);
  });

  it('a listing returning 3000+ entries bills ceil(n/1000) class C transactions', async () => {
    emu.controls.resetCounters();
    const r = await ok(s, 'b2_list_file_names', { bucketId, maxFileCount: 10000 });
    assert.equal(r.files.length, visible.length);
    const c = emu.controls.counters();
    assert.equal(c.calls.b2_list_file_names, 1);
    assert.equal(c.classes.C, Math.ceil(visible.length / 1000));
    await ok(s, 'b2_list_file_names', { bucketId, maxFileCount: 1, prefix: 'nothing-here' });
    assert.equal(
      emu.controls.counters().classes.C,
      Math.ceil(visible.length / 1000) + 1,
      'an empty page still bills 1',
    );
  });
});
