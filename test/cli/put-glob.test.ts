/** put of a glob the shell did not expand: matches are found with fast-glob and named below the pattern's fixed folder. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';

let fx: Fixture;
const B = 'cli-glob-bucket';

before(async () => {
  fx = await makeFixture();
  const photos = join(fx.dir, 'work', 'photos');
  await mkdir(join(photos, 'sub'), { recursive: true });
  await writeFile(join(photos, 'a.jpg'), 'aaa');
  await writeFile(join(photos, 'b.jpg'), 'bb');
  await writeFile(join(photos, 'notes.txt'), 'not a photo');
  await writeFile(join(photos, 'sub', 'c.jpg'), 'c');
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
});
after(() => fx.close());

async function names(prefix: string): Promise<string[]> {
  const r = await fx.json(['ls', `b2://${B}/${prefix}`]);
  return r.records.map((x) => String(x.name)).sort();
}

test('put ./photos/*.jpg b2://bucket/dir/ uploads the matching files only, relative to the cwd', async () => {
  const r = await fx.run(['--json', 'put', './photos/*.jpg', `b2://${B}/dir/`], { cwd: join(fx.dir, 'work') });
  expectCode(r, 0);
  const records = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name: string });
  assert.deepEqual(records.map((x) => x.name).sort(), ['dir/a.jpg', 'dir/b.jpg']);
  assert.deepEqual(await names('dir/'), ['dir/a.jpg', 'dir/b.jpg']);
});

test('a ** pattern keeps the folders below its fixed part in the names', async () => {
  const pattern = join(fx.dir, 'work', 'photos', '**', '*.jpg');
  expectCode(await fx.run(['put', pattern, `b2://${B}/deep/`]), 0);
  assert.deepEqual(await names('deep/'), ['deep/a.jpg', 'deep/b.jpg', 'deep/sub/c.jpg']);
});

test('one match may go to a file name; several need a folder; none is not found (exit 3)', async () => {
  const photos = join(fx.dir, 'work', 'photos');
  expectCode(await fx.run(['put', join(photos, 'a.*'), `b2://${B}/single.jpg`]), 0);
  assert.ok((await names('')).includes('single.jpg'));
  const many = await fx.run(['put', join(photos, '*.jpg'), `b2://${B}/one-name.jpg`]);
  expectCode(many, 2);
  assert.match(many.stderr, /matches 2 files: the destination must be a folder/);
  const none = await fx.run(['put', join(photos, '*.png'), `b2://${B}/dir/`]);
  expectCode(none, 3);
  assert.match(none.stderr, /matches no local file/);
});
