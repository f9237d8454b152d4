/** Pure: --shard's path hash and its i/n parser. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseShard, shardOf } from '../../src/sync/shard.js';

test('shardOf is the first 4 bytes of the SHA-1 of the path, big-endian, mod n, plus one', () => {
  for (const p of ['a.txt', 'photos/2024/é.jpg', 'x'.repeat(300)]) {
    const want = (createHash('sha1').update(Buffer.from(p, 'utf8')).digest().readUInt32BE(0) % 7) + 1;
    assert.equal(shardOf(p, 7), want, p);
  }
  // pinned values: the hash is part of the documented contract (hosts must agree across versions)
  assert.equal(shardOf('a.txt', 7), 6);
  assert.equal(shardOf('photos/2024/é.jpg', 7), 2);
});

test('shardOf spreads paths over every shard, each path in exactly one', () => {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) counts[shardOf(`dir${i % 13}/file-${i}.bin`, 4) - 1]++;
  for (const c of counts) assert.ok(c > 800 && c < 1200, `balanced: ${counts.join(',')}`);
  assert.equal(shardOf('anything', 1), 1);
});

test('parseShard takes i/n with 1 <= i <= n and refuses the rest', () => {
  assert.deepEqual(parseShard('1/4'), { index: 1, count: 4 });
  assert.deepEqual(parseShard(' 4 / 4 '), { index: 4, count: 4 });
  for (const bad of ['0/4', '5/4', '1/0', '1', '1/2/3', 'a/b', '-1/2', '1/20000', ''])
    assert.equal(parseShard(bad), undefined, bad);
});
