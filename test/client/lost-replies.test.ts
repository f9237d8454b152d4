/**
 * Calls that change state whose reply is lost after the server acted (emulator fault kind "cut": the
 * call is carried out, the reply cut short): the client's retry must end in the right state with no
 * error shown. b2_start_large_file leaves no second unfinished large file behind; b2_finish_large_file,
 * b2_delete_file_version, b2_cancel_large_file and b2_hide_file answer success on a retry that finds
 * the work done; a resent b2_upload_file stores a second identical version (documented).
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { B2Error } from '../../src/core/errors.js';
import { sha1Hex } from '../../src/core/sha1.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import type { B2Client } from '../../src/client/b2-client.js';
import { bucketName, calls, collect, makeClient, startTestEmulator } from './fixture.js';

/** The file info key that marks each b2_start_large_file with an id of the client's (docs/commands.md). */
const INFO_START_ID = 'b2sync_start_id';

let emu: RunningEmulator;
let c: B2Client;
let bucketId: string;
let seq = 0;

before(async () => {
  emu = await startTestEmulator();
  c = makeClient(emu);
  bucketId = (await c.createBucket({ bucketName: bucketName('lost'), bucketType: 'allPrivate' })).bucketId;
});
after(async () => {
  await c?.close();
  await emu?.close();
});
beforeEach(() => {
  emu.controls.clearFaults();
  emu.controls.resetCounters();
});

const name = (tag: string) => `lost/${tag}-${++seq}`;
const unfinished = (fileName: string) =>
  collect(c.listUnfinishedLargeFiles(bucketId, { namePrefix: fileName })).then((fs) =>
    fs.filter((f) => f.fileName === fileName),
  );

async function upload(fileName: string): Promise<string> {
  const body = randomBytes(100);
  return (await c.uploadFile({ bucketId, fileName, body, contentLength: body.length })).fileId!;
}

test('b2_start_large_file cut after the server started it: one unfinished large file, the one returned', async () => {
  const fileName = name('start-cut');
  emu.controls.injectFault({ call: 'b2_start_large_file', kind: 'cut' });
  const f = await c.startLargeFile({ bucketId, fileName, info: { src_last_modified_millis: '1' } });
  assert.equal(calls(emu, 'b2_start_large_file'), 2, 'the start was sent again');
  const left = await unfinished(fileName);
  assert.deepEqual(
    left.map((x) => x.fileId),
    [f.fileId],
    'the large file started by the lost attempt is cancelled',
  );
  assert.match(f.fileInfo[INFO_START_ID] ?? '', /^[0-9a-f]{24}$/, 'the start carries its marker');
  assert.equal(f.fileInfo.src_last_modified_millis, '1');
  await c.cancelLargeFile(f.fileId!);
});

test('b2_start_large_file dropped before the server acted: one unfinished large file', async () => {
  const fileName = name('start-drop');
  emu.controls.injectFault({ call: 'b2_start_large_file', kind: 'drop' });
  const f = await c.startLargeFile({ bucketId, fileName });
  assert.deepEqual(
    (await unfinished(fileName)).map((x) => x.fileId),
    [f.fileId],
  );
  await c.cancelLargeFile(f.fileId!);
});

test('b2_start_large_file cut with --retries 0: the error is thrown and the started file cancelled', async () => {
  const strict = makeClient(emu, { retry: { retries: 0 } });
  try {
    const fileName = name('start-cut-strict');
    emu.controls.injectFault({ call: 'b2_start_large_file', kind: 'cut' });
    await assert.rejects(strict.startLargeFile({ bucketId, fileName }), (e: unknown) => e instanceof B2Error);
    assert.deepEqual(await unfinished(fileName), [], 'no unfinished large file left behind');
  } finally {
    await strict.close();
  }
});

test('the marker fits or is left out: 10 info entries already, the start goes through unmarked', async () => {
  const info: Record<string, string> = {};
  for (let i = 0; i < 10; i++) info[`k${i}`] = 'v';
  const f = await c.startLargeFile({ bucketId, fileName: name('full-info'), info });
  assert.deepEqual(f.fileInfo, info);
  await c.cancelLargeFile(f.fileId!);
});

test('b2_finish_large_file cut after the server finished it: success, the file finished with its size', async () => {
  const fileName = name('finish-cut');
  const f = await c.startLargeFile({ bucketId, fileName });
  const p1 = randomBytes(1000);
  const p2 = randomBytes(10);
  await c.uploadPart({ fileId: f.fileId!, partNumber: 1, body: p1, contentLength: p1.length });
  await c.uploadPart({ fileId: f.fileId!, partNumber: 2, body: p2, contentLength: p2.length });
  emu.controls.injectFault({ call: 'b2_finish_large_file', kind: 'cut' });
  const done = await c.finishLargeFile(f.fileId!, [sha1Hex(p1), sha1Hex(p2)]);
  assert.equal(calls(emu, 'b2_finish_large_file'), 2);
  assert.equal(done.fileId, f.fileId);
  assert.equal(done.action, 'upload');
  assert.equal(done.contentLength, 1010);
  assert.deepEqual(await unfinished(fileName), []);
});

test('b2_delete_file_version cut after the server deleted it: success, the version is gone', async () => {
  const fileName = name('delete-cut');
  const id = await upload(fileName);
  emu.controls.injectFault({ call: 'b2_delete_file_version', kind: 'cut' });
  const r = await c.deleteFileVersion(fileName, id);
  assert.deepEqual(r, { fileId: id, fileName });
  assert.equal(calls(emu, 'b2_delete_file_version'), 2);
  const left = await collect(c.listFileVersions(bucketId, { prefix: fileName }));
  assert.deepEqual(left, []);
});

test('b2_delete_file_version of a missing version, not retried, is still an error', async () => {
  const fileName = name('delete-missing');
  const id = await upload(fileName);
  await c.deleteFileVersion(fileName, id);
  await assert.rejects(c.deleteFileVersion(fileName, id), (e: unknown) => e instanceof B2Error && e.notFound);
});

test('b2_cancel_large_file cut after the server cancelled it: success, nothing unfinished', async () => {
  const fileName = name('cancel-cut');
  const f = await c.startLargeFile({ bucketId, fileName });
  emu.controls.injectFault({ call: 'b2_cancel_large_file', kind: 'cut' });
  const r = await c.cancelLargeFile(f.fileId!);
  assert.equal(r.fileId, f.fileId);
  assert.equal(calls(emu, 'b2_cancel_large_file'), 2);
  assert.deepEqual(await unfinished(fileName), []);
});

test('b2_cancel_large_file of a finished file, after a retry, is still an error', async () => {
  const fileName = name('cancel-finished');
  const f = await c.startLargeFile({ bucketId, fileName });
  const p1 = randomBytes(1000);
  await c.uploadPart({ fileId: f.fileId!, partNumber: 1, body: p1, contentLength: p1.length });
  await c.finishLargeFile(f.fileId!, [sha1Hex(p1)]);
  emu.controls.injectFault({ call: 'b2_cancel_large_file', kind: 'error', status: 503 });
  await assert.rejects(c.cancelLargeFile(f.fileId!), (e: unknown) => e instanceof B2Error && e.status === 400);
});

test('b2_hide_file cut after the server hid the name: success with the one hide marker', async () => {
  const fileName = name('hide-cut');
  await upload(fileName);
  emu.controls.injectFault({ call: 'b2_hide_file', kind: 'cut' });
  const h = await c.hideFile(bucketId, fileName);
  assert.equal(calls(emu, 'b2_hide_file'), 2);
  assert.equal(h.action, 'hide');
  assert.equal(h.fileName, fileName);
  const versions = await collect(c.listFileVersions(bucketId, { prefix: fileName }));
  assert.deepEqual(
    versions.map((v) => v.action),
    ['hide', 'upload'],
    'one hide marker over the upload',
  );
  assert.equal(versions[0].fileId, h.fileId);
  assert.deepEqual(await collect(c.listFileNames(bucketId, { prefix: fileName })), [], 'the name is hidden');
});

test('b2_hide_file of a name already hidden, not retried, is still already_hidden', async () => {
  const fileName = name('hide-twice');
  await upload(fileName);
  await c.hideFile(bucketId, fileName);
  await assert.rejects(
    c.hideFile(bucketId, fileName),
    (e: unknown) => e instanceof B2Error && e.code === 'already_hidden',
  );
});

test('b2_upload_file stored but its reply lost: the retry stores a second identical version', async () => {
  const fileName = name('upload-cut');
  const body = randomBytes(1000);
  emu.controls.injectFault({ call: 'b2_upload_file', kind: 'cut' });
  const v = await c.uploadFile({ bucketId, fileName, body, contentLength: body.length });
  assert.equal(calls(emu, 'b2_upload_file'), 2, 'stored, reply cut, sent again');
  const versions = await collect(c.listFileVersions(bucketId, { prefix: fileName }));
  assert.equal(versions.length, 2, 'two versions: the one whose reply was lost and the retry');
  for (const x of versions) {
    assert.equal(x.contentSha1, sha1Hex(body));
    assert.equal(x.contentLength, body.length);
  }
  assert.equal(versions[0].fileId, v.fileId, 'the retry is the newest version');
});
