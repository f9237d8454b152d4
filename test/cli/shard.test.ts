/**
 * sync --shard i/n through the built bin: two shards together give exactly what one full sync gives,
 * byte for byte, up to B2 and back down; deletions are done by shard 1 only, from the full listings.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';

let fx: Fixture;
const B = 'shard-bucket';
let src: string;

before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
  src = join(fx.dir, 'src');
  for (let i = 0; i < 30; i++) {
    const dir = join(src, `d${i % 4}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `f${i}.txt`), `file ${i} `.repeat(i + 1));
  }
});
after(() => fx.close());

async function remote(prefix: string): Promise<Record<string, string>> {
  const r = await fx.json(['ls', '-l', `b2://${B}/${prefix}/`]);
  return Object.fromEntries(r.records.map((x) => [x.path as string, `${x.size}:${x.sha1}`]));
}

async function readTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[relative(dir, p).split('\\').join('/')] = await readFile(p, 'utf8');
    }
  };
  await walk(dir);
  return out;
}

async function shardRun(args: string[], shard: string): Promise<Record<string, unknown>> {
  const r = await fx.json(['sync', '--shard', shard, ...args]);
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  return r.records.find((x) => x.type === 'summary')!;
}

test('two shards up to B2 equal one full sync; each took a part', async () => {
  expectCode(await fx.run(['sync', src, `b2://${B}/full`]), 0);
  const s1 = await shardRun([src, `b2://${B}/sharded`], '1/2');
  const s2 = await shardRun([src, `b2://${B}/sharded`], '2/2');
  assert.equal((s1.transferredFiles as number) + (s2.transferredFiles as number), 30);
  assert.ok((s1.transferredFiles as number) > 0 && (s2.transferredFiles as number) > 0, 'both shards worked');
  const full = await remote('full');
  assert.equal(Object.keys(full).length, 30);
  assert.deepEqual(await remote('sharded'), full);
});

test('deletions: shard 2 deletes nothing, shard 1 deletes every extra; the result equals a full sync', async () => {
  for (const f of ['d0/f0.txt', 'd1/f1.txt', 'd2/f2.txt', 'd3/f3.txt', 'd0/f4.txt']) await rm(join(src, f));
  await writeFile(join(src, 'd1', 'new.txt'), 'new');
  expectCode(await fx.run(['sync', src, `b2://${B}/full`]), 0);
  const s2 = await shardRun([src, `b2://${B}/sharded`], '2/2');
  assert.equal(s2.deleted, 0);
  const s1 = await shardRun([src, `b2://${B}/sharded`], '1/2');
  assert.equal(s1.deleted, 5);
  assert.deepEqual(await remote('sharded'), await remote('full'));
});

test('two shards down from B2 rebuild the tree byte for byte', async () => {
  const out = join(fx.dir, 'down');
  await shardRun([`b2://${B}/sharded`, out], '2/2');
  await shardRun([`b2://${B}/sharded`, out], '1/2');
  assert.deepEqual(await readTree(out), await readTree(src));
});

test('--shard refuses a malformed value (exit 2, one line)', async () => {
  for (const bad of ['0/2', '3/2', 'x']) {
    const r = await fx.run(['copy', '--shard', bad, src, `b2://${B}/x`]);
    expectCode(r, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
