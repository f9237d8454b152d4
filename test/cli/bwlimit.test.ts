/** --bwlimit through the built bin: accepted on transfer and sync commands (bytes intact), refused when malformed. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';

let fx: Fixture;
const B = 'bw-bucket';
const data = Buffer.alloc(200_000);
for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;

before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
});
after(() => fx.close());

test('put, get, sync and bisync take --bwlimit (rate, up:down, timetable) and move the bytes intact', async () => {
  const src = join(fx.dir, 'src');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'f.bin'), data);
  expectCode(await fx.run(['put', '--bwlimit', '4M', join(src, 'f.bin'), `b2://${B}/one/f.bin`]), 0);
  const got = join(fx.dir, 'got.bin');
  expectCode(await fx.run(['get', '--bwlimit', 'off:4M', `b2://${B}/one/f.bin`, got]), 0);
  assert.deepEqual(await readFile(got), data);
  expectCode(await fx.run(['--bwlimit', '00:00,4M 12:00,8M', 'sync', src, `b2://${B}/tree`]), 0);
  const down = join(fx.dir, 'down');
  expectCode(await fx.run(['sync', '--bwlimit', '4M:4M', `b2://${B}/tree`, down]), 0);
  assert.deepEqual(await readFile(join(down, 'f.bin')), data);
  expectCode(await fx.run(['bisync', '--bwlimit', '4M', down, `b2://${B}/tree`]), 0);
});

test('a malformed --bwlimit is a usage error (exit 2, one line)', async () => {
  for (const bad of ['fast', '25:00,1M', '1M:2M:3M']) {
    const r = await fx.run(['put', '--bwlimit', bad, '-', `b2://${B}/x`], { input: 'x' });
    expectCode(r, 2);
    assert.match(r.stderr, /--bwlimit/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
