/**
 * sync from B2 to a folder and get, with download bodies corrupted on the way: each damaged file is
 * fetched again (its SHA-1 does not match), the run ends with exit 0 and every file is right; with
 * --retries 0 the damaged file is a per-file error (exit 4) and nothing wrong lands under its name.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';

let fx: Fixture;
const B = 'cli-corrupt-bucket';
const sha = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const remote = new Map<string, string>();

before(async () => {
  fx = await makeFixture();
  const src = join(fx.dir, 'src');
  await mkdir(join(src, 'd'), { recursive: true });
  for (let i = 0; i < 40; i++) {
    const data = randomBytes(randomInt(1, 48 * 1024));
    await writeFile(join(src, 'd', `f${i}.bin`), data);
    remote.set(`d/f${i}.bin`, sha(data));
  }
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
  expectCode(await fx.run(['sync', src, `b2://${B}/`]), 0);
});
after(() => fx.close());

/** Every file of the bucket is in `dst` with the bucket's bytes; no temp file. */
async function assertAllRight(dst: string): Promise<void> {
  const names = (await readdir(join(dst, 'd'))).sort();
  assert.deepEqual(names, [...remote.keys()].map((n) => n.slice(2)).sort(), 'the folder holds exactly the bucket');
  for (const [name, h] of remote) assert.equal(sha(await readFile(join(dst, name))), h, `${name} matches the bucket`);
}

test('sync B2 -> local with 2 of 40 bodies corrupted: exit 0, every file right', async () => {
  const dst = join(fx.dir, 'dst');
  const c = fx.emu.controls;
  c.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt', count: 1, after: 5 });
  c.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt', count: 1, after: 20 });
  try {
    const r = await fx.run(['sync', '--transfers', '4', `b2://${B}/`, dst]);
    expectCode(r, 0);
  } finally {
    c.clearFaults();
  }
  await assertAllRight(dst);
  const again = await fx.json(['sync', '--json', `b2://${B}/`, dst]);
  assert.equal(again.records.filter((x) => x.type === 'done').length, 0, 'a fault-free re-sync moves nothing');
});

test('get of one file whose first body is corrupted: exit 0, the right bytes', async () => {
  const out = join(fx.dir, 'got.bin');
  fx.emu.controls.injectFault({ call: 'b2_download_file_by_name', kind: 'corrupt', count: 1 });
  try {
    expectCode(await fx.run(['get', `b2://${B}/d/f3.bin`, out]), 0);
  } finally {
    fx.emu.controls.clearFaults();
  }
  assert.equal(sha(await readFile(out)), remote.get('d/f3.bin'));
});

test('--retries 0: a corrupted body is a per-file error (exit 4) and nothing wrong lands', async () => {
  const dst = join(fx.dir, 'dst-strict');
  fx.emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt', count: 1, after: 3 });
  try {
    const r = await fx.run(['sync', '--retries', '0', '--transfers', '1', `b2://${B}/`, dst]);
    expectCode(r, 4);
    assert.match(r.stderr, /SHA-1/);
  } finally {
    fx.emu.controls.clearFaults();
  }
  const names = await readdir(join(dst, 'd'));
  assert.equal(names.length, remote.size - 1, 'all but the damaged file');
  assert.ok(!names.some((n) => n.includes('.b2sync-')), 'no temp file left');
  for (const n of names) assert.equal(sha(await readFile(join(dst, 'd', n))), remote.get(`d/${n}`));
});
