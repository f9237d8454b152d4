import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { B2Client } from '../../src/client/b2-client.js';
import { buildFilterRules, runSync } from '../../src/sync/index.js';
import {
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

let client: B2Client;
useEmulator((_e, c) => (client = c));

const NFC = 'caf\u00e9';
const NFD = 'cafe\u0301';
const DEEP = Array.from({ length: 40 }, (_, i) => `d${i}`).join('/') + '/leaf.txt';

const ODD = {
  'with space.txt': 'space',
  'per%cent.txt': 'percent',
  'plus+sign.txt': 'plus',
  'hash#tag.txt': 'hash',
  'q?&=.txt': 'query',
  [`${NFC}-nfc.txt`]: 'nfc',
  '😀/emoji 🚀.txt': 'emoji',
  '\uFFFD.txt': 'bmp-high',
  'Ωmega/ünï/çødé.txt': 'unicode',
  [DEEP]: 'deep',
};

test('odd names survive local → B2 → local and re-runs are no-ops', async () => {
  const src = await makeTree(ODD);
  const dst = await tempDir();
  const { bucketName, bucketId } = await newBucket(client, 'odd');
  try {
    const s1 = await runSync(local(src), remote(client, bucketName, 'o d/d'), { mode: 'sync' });
    assert.deepEqual(s1.errors, []);
    assert.deepEqual(await readBucket(client, bucketId, 'o d/d/'), ODD);
    const s2 = await runSync(remote(client, bucketName, 'o d/d'), local(dst), { mode: 'sync' });
    assert.deepEqual(s2.errors, []);
    assert.deepEqual(await readTree(dst), ODD);
    const up = await runSync(local(src), remote(client, bucketName, 'o d/d'), { mode: 'sync' });
    const down = await runSync(remote(client, bucketName, 'o d/d'), local(dst), { mode: 'sync' });
    assert.equal(up.transferred.files + down.transferred.files, 0);
    assert.equal(up.skipped, Object.keys(ODD).length);
  } finally {
    await cleanup(src, dst);
  }
});

test('an NFD local name is uploaded as its NFC form and then matches it (no re-upload, no delete)', async () => {
  const src = await makeTree({ [`${NFD}.txt`]: 'decomposed' });
  const { bucketName, bucketId } = await newBucket(client, 'nfd');
  try {
    await runSync(local(src), remote(client, bucketName), { mode: 'sync' });
    assert.deepEqual(Object.keys(await readBucket(client, bucketId)), [`${NFC}.txt`]);
    const rec = recorder();
    await runSync(local(src), remote(client, bucketName), { mode: 'sync', onEvent: rec.onEvent });
    assert.deepEqual(rec.plan(), [`skip ${NFC}.txt (same size and time)`]);
  } finally {
    await cleanup(src);
  }
});

test('empty folders: created as .bzEmpty with createEmptySrcDirs, recreated locally, ignored otherwise', async () => {
  const src = await makeTree({ 'full/f.txt': 'f' });
  await mkdir(join(src, 'empty/inner'), { recursive: true });
  const dst = await tempDir();
  const { bucketName, bucketId } = await newBucket(client, 'empty');
  try {
    await runSync(local(src), remote(client, bucketName), { mode: 'sync' });
    assert.deepEqual(Object.keys(await readBucket(client, bucketId)), ['full/f.txt']);
    const s = await runSync(local(src), remote(client, bucketName), { mode: 'sync', createEmptySrcDirs: true });
    assert.equal(s.transferred.files, 1);
    assert.deepEqual(Object.keys(await readBucket(client, bucketId)), ['empty/inner/.bzEmpty', 'full/f.txt']);
    // Without the flag the marker is invisible: not deleted, not downloaded.
    const plain = recorder();
    await runSync(local(src), remote(client, bucketName), { mode: 'sync', onEvent: plain.onEvent });
    assert.deepEqual(plain.changes(), []);
    await runSync(remote(client, bucketName), local(dst), { mode: 'sync', createEmptySrcDirs: true });
    assert.deepEqual(await readdir(join(dst, 'empty', 'inner')), []);
    assert.deepEqual(await readTree(dst), { 'full/f.txt': 'f' });
    const again = recorder();
    await runSync(remote(client, bucketName), local(dst), {
      mode: 'sync',
      createEmptySrcDirs: true,
      onEvent: again.onEvent,
    });
    assert.deepEqual(again.changes(), []);
  } finally {
    await cleanup(src, dst);
  }
});

test('filters: include/exclude globs and size bounds apply to both sides; excluded destination files are kept', async () => {
  const src = await makeTree({
    'a.jpg': 'jpeg',
    'b.txt': 'text',
    'sub/c.jpg': 'jpeg2',
    'sub/big.jpg': 'x'.repeat(100),
    'cache/d.jpg': 'jpeg3',
  });
  const { bucketName, bucketId } = await newBucket(client, 'filt');
  try {
    const filters = buildFilterRules({ exclude: ['cache/'], include: ['*.jpg'], maxSize: '50' });
    const rec = recorder();
    await runSync(local(src), remote(client, bucketName), { mode: 'sync', filters, onEvent: rec.onEvent });
    assert.deepEqual(rec.changes(), ['upload a.jpg (new)', 'upload sub/c.jpg (new)']);
    // An excluded file on the destination is not an extra: never deleted.
    await client.uploadFile({ bucketId, fileName: 'remote-only.txt', body: Buffer.from('r'), contentLength: 1 });
    await unlink(join(src, 'a.jpg'));
    await writeFile(join(src, 'sub', 'e.jpg'), 'new');
    const rec2 = recorder();
    await runSync(local(src), remote(client, bucketName), {
      mode: 'sync',
      filters,
      force: true,
      onEvent: rec2.onEvent,
    });
    assert.deepEqual(rec2.changes(), ['delete a.jpg (extra on destination)', 'upload sub/e.jpg (new)']);
    assert.deepEqual(Object.keys(await readBucket(client, bucketId)), ['remote-only.txt', 'sub/c.jpg', 'sub/e.jpg']);
  } finally {
    await cleanup(src);
  }
});

test('a filter-from file and age bounds select files', async () => {
  const now = Date.now();
  const src = await makeTree({
    'logs/old.log': { content: 'o', mtimeMs: now - 10 * 86_400_000 },
    'logs/new.log': { content: 'n', mtimeMs: now - 60_000 },
    'keep/x.bin': { content: 'x', mtimeMs: now - 60_000 },
    'tmp/y.bin': { content: 'y', mtimeMs: now - 60_000 },
  });
  const { bucketName } = await newBucket(client, 'ffrom');
  try {
    const filters = buildFilterRules({
      filterFromText: ['# rules\n- /tmp/**\n+ logs/**\n+ keep/**\n- **\n'],
      maxAge: '7d',
    });
    const rec = recorder();
    await runSync(local(src), remote(client, bucketName), { mode: 'sync', filters, onEvent: rec.onEvent });
    assert.deepEqual(rec.changes(), ['upload keep/x.bin (new)', 'upload logs/new.log (new)']);
  } finally {
    await cleanup(src);
  }
});

test('symlinks are skipped with a warning event; copyLinks uploads their targets', async () => {
  const src = await makeTree({ 'real.txt': 'real' });
  const { symlink } = await import('node:fs/promises');
  await symlink(join(src, 'real.txt'), join(src, 'link.txt'));
  const { bucketName, bucketId } = await newBucket(client, 'links');
  try {
    const rec = recorder();
    await runSync(local(src), remote(client, bucketName), { mode: 'sync', onEvent: rec.onEvent });
    assert.ok(rec.events.some((e) => e.type === 'warning' && e.item === 'link.txt' && /symlink/.test(e.message)));
    assert.deepEqual(Object.keys(await readBucket(client, bucketId)), ['real.txt']);
    await runSync(local(src), remote(client, bucketName), { mode: 'sync', copyLinks: true });
    assert.deepEqual(await readBucket(client, bucketId), { 'link.txt': 'real', 'real.txt': 'real' });
  } finally {
    await cleanup(src);
  }
});

test('an unreadable local file is reported and skipped, the rest of the run completes', async (t) => {
  if (process.getuid?.() === 0) return t.skip('running as root: file permissions do not stop reads');
  const src = await makeTree({ 'ok.txt': 'ok', 'secret.txt': 'no' });
  const { chmod } = await import('node:fs/promises');
  await chmod(join(src, 'secret.txt'), 0o000);
  const { bucketName, bucketId } = await newBucket(client, 'unread');
  try {
    const s = await runSync(local(src), remote(client, bucketName), { mode: 'sync' });
    assert.equal(s.errors.length, 1);
    assert.equal(s.errors[0].item, 'secret.txt');
    assert.deepEqual(Object.keys(await readBucket(client, bucketId)), ['ok.txt']);
  } finally {
    await chmod(join(src, 'secret.txt'), 0o600);
    await rm(src, { recursive: true, force: true });
  }
});

test('a local file that vanishes between planning and upload is reported per item; the rest completes', async () => {
  const src = await makeTree({ 'a.txt': 'a', 'gone.txt': 'g', 'z.txt': 'z' });
  const { bucketName, bucketId } = await newBucket(client, 'vanish');
  try {
    const s = await runSync(local(src), remote(client, bucketName), {
      mode: 'sync',
      onEvent: (e) => {
        // Removed at once (not racing the upload): the file is gone before its upload opens it.
        if (e.type === 'plan' && e.action.path === 'gone.txt') unlinkSync(join(src, 'gone.txt'));
      },
    });
    assert.equal(s.errors.length, 1);
    assert.equal(s.errors[0].item, 'gone.txt');
    assert.match(s.errors[0].message, /^upload: .*ENOENT/);
    assert.equal(s.transferred.files, 2);
    assert.deepEqual(Object.keys(await readBucket(client, bucketId)), ['a.txt', 'z.txt']);
  } finally {
    await cleanup(src);
  }
});
