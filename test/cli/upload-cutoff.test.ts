/** --upload-cutoff on put and sync: files at or above it go up as large files (in parts), smaller ones whole. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';

let fx: Fixture;
const B = 'cli-cutoff-bucket';
before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
});
after(() => fx.close());

const calls = () => fx.emu.controls.counters().calls;

test('put --upload-cutoff sends a file above it as a large file, and the default sends it whole', async () => {
  const file = join(fx.dir, 'twelve.bin');
  await writeFile(file, randomBytes(12_000_000));
  fx.emu.controls.resetCounters();
  expectCode(await fx.run(['put', file, `b2://${B}/whole.bin`]), 0);
  assert.equal(calls().b2_start_large_file, undefined, 'below the default cutoff: one b2_upload_file');
  assert.equal(calls().b2_upload_file, 1);
  fx.emu.controls.resetCounters();
  expectCode(await fx.run(['put', '--upload-cutoff', '10M', file, `b2://${B}/parts.bin`]), 0);
  assert.equal(calls().b2_start_large_file, 1);
  assert.ok((calls().b2_upload_part ?? 0) >= 2, `parts: ${calls().b2_upload_part}`);
  assert.equal(calls().b2_finish_large_file, 1);
});

test('sync --upload-cutoff applies to uploads, and is refused for a download', async () => {
  const src = join(fx.dir, 'tree');
  await mkdir(src);
  await writeFile(join(src, 'big.bin'), randomBytes(11_000_000));
  await writeFile(join(src, 'small.bin'), randomBytes(1000));
  fx.emu.controls.resetCounters();
  expectCode(await fx.run(['sync', '--upload-cutoff', '10M', src, `b2://${B}/tree/`]), 0);
  assert.equal(calls().b2_start_large_file, 1);
  assert.equal(calls().b2_upload_file, 1, 'the small file goes whole');
  const r = await fx.run(['sync', '--upload-cutoff', '10M', `b2://${B}/tree/`, join(fx.dir, 'down')]);
  expectCode(r, 2);
  assert.match(r.stderr, /--upload-cutoff applies to uploads/);
});
