/** get --direct-io: O_DIRECT only when asked for, and the file arrives byte for byte either way. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';

let fx: Fixture;
const B = 'cli-directio-bucket';
const data = randomBytes(3 * 1024 * 1024 + 123);

before(async () => {
  fx = await makeFixture();
  const src = join(fx.dir, 'src.bin');
  await writeFile(src, data);
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
  expectCode(await fx.run(['put', src, `b2://${B}/f.bin`]), 0);
});
after(() => fx.close());

async function get(args: string[], name: string): Promise<{ directIo: unknown }> {
  const r = await fx.json(['get', ...args, `b2://${B}/f.bin`, join(fx.dir, name)]);
  const rec = r.records.find((x) => x.type === 'download');
  assert.ok(rec, 'a download record');
  assert.ok(data.equals(await readFile(join(fx.dir, name))), 'the downloaded bytes match');
  return rec as { directIo: unknown };
}

test('get writes through the page cache by default', async () => {
  assert.equal((await get([], 'plain.bin')).directIo, false);
});

test('get --direct-io writes with O_DIRECT where the file system allows it', async (t) => {
  const rec = await get(['--direct-io'], 'direct.bin');
  assert.equal(typeof rec.directIo, 'boolean');
  if (rec.directIo !== true) t.skip('this file system refuses O_DIRECT: the download fell back to the page cache');
});
