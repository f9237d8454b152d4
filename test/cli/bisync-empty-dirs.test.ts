/**
 * End-to-end: bisync --create-empty-src-dirs keeps empty folders in step (as .bzEmpty placeholders on
 * B2, as sync does); without the flag empty folders are left out on both sides.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';
import { makePair, plan } from './bisync-pair.js';

let fx: Fixture;
const B = 'cli-bisync-empty';
const FLAG = '--create-empty-src-dirs';

before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
});
after(() => fx.close());

const isDir = (p: string) =>
  stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );

test('--create-empty-src-dirs: empty folders travel both ways, and their removal or filling travels too', async () => {
  const p = await makePair(fx, B);
  await mkdir(join(p.local, 'empty-here/inner'), { recursive: true });
  await writeFile(join(p.local, 'file.txt'), 'f');
  expectCode(await fx.run(['mkdir', `${p.remote}/empty-there`]), 0);
  const first = await p.bisync(FLAG);
  expectCode({ code: first.code, stderr: first.stderr }, 0);
  assert.deepEqual(plan(first), [
    'download empty-there/.bzEmpty',
    'upload empty-here/inner/.bzEmpty',
    'upload file.txt',
  ]);
  assert.ok(await isDir(join(p.local, 'empty-there')), 'the B2 folder is made locally');
  assert.deepEqual(await p.localFiles(), { 'file.txt': 'f' }, 'no .bzEmpty file is written locally');
  assert.deepEqual(await p.remoteFiles(), {
    'empty-here/inner/.bzEmpty': '',
    'empty-there/.bzEmpty': '',
    'file.txt': 'f',
  });
  assert.deepEqual(plan(await p.bisync(FLAG)), [], 'a second run plans nothing');

  await rmdir(join(p.local, 'empty-here/inner'));
  await writeFile(join(p.local, 'empty-there/now-a-file.txt'), 'n');
  const second = await p.bisync(FLAG);
  expectCode({ code: second.code, stderr: second.stderr }, 0);
  assert.deepEqual(plan(second), [
    'delete-remote empty-here/inner/.bzEmpty',
    'delete-remote empty-there/.bzEmpty',
    'upload empty-here/.bzEmpty',
    'upload empty-there/now-a-file.txt',
  ]);
  assert.deepEqual(await p.remoteFiles(), {
    'empty-here/.bzEmpty': '',
    'empty-there/now-a-file.txt': 'n',
    'file.txt': 'f',
  });

  expectCode(await fx.run(['rm', `${p.remote}/empty-here/.bzEmpty`]), 0);
  const third = await p.bisync(FLAG);
  expectCode({ code: third.code, stderr: third.stderr }, 0);
  assert.deepEqual(plan(third), ['delete-local empty-here/.bzEmpty']);
  assert.equal(await isDir(join(p.local, 'empty-here')), false, 'the folder removed on B2 is removed here');
  assert.deepEqual(plan(await p.bisync(FLAG)), []);
});

test('a folder emptied on B2 (its last file deleted, a .bzEmpty left) stays here as an empty folder', async () => {
  const p = await makePair(fx, B);
  await mkdir(join(p.local, 'd'));
  await writeFile(join(p.local, 'd/last.txt'), 'x');
  await writeFile(join(p.local, 'keep.txt'), 'k');
  expectCode(await p.bisync(FLAG), 0);
  expectCode(await fx.run(['rm', `${p.remote}/d/last.txt`]), 0);
  expectCode(await fx.run(['mkdir', `${p.remote}/d`]), 0);
  const r = await p.bisync(FLAG, '--force');
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  assert.deepEqual(plan(r), ['delete-local d/last.txt', 'download d/.bzEmpty']);
  assert.ok(await isDir(join(p.local, 'd')), 'the folder is kept');
  assert.deepEqual(plan(await p.bisync(FLAG)), []);
});

test('without the flag empty folders are left alone on both sides', async () => {
  const p = await makePair(fx, B);
  await mkdir(join(p.local, 'empty-here'));
  await writeFile(join(p.local, 'file.txt'), 'f');
  expectCode(await fx.run(['mkdir', `${p.remote}/empty-there`]), 0);
  const r = await p.bisync();
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  assert.deepEqual(plan(r), ['upload file.txt']);
  assert.equal(await isDir(join(p.local, 'empty-there')), false);
  assert.deepEqual(await p.remoteFiles(), { 'empty-there/.bzEmpty': '', 'file.txt': 'f' });
  assert.deepEqual(plan(await p.bisync()), []);
});
