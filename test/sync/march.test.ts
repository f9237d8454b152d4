import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareB2Order, march, ListingOrderError } from '../../src/sync/march.js';
import type { Entry } from '../../src/sync/types.js';
import { compareUtf8 } from '../../src/wire/names.js';

function entries(paths: string[]): Entry[] {
  return paths.map((path) => ({ path, size: path.length, mtimeMs: 0, kind: 'file' as const }));
}
async function* iter(es: Entry[]): AsyncGenerator<Entry> {
  for (const e of es) yield e;
}
async function pairs(a: string[], b: string[]) {
  const out: [string | undefined, string | undefined][] = [];
  for await (const p of march(iter(entries(a)), iter(entries(b)))) out.push([p.src?.path, p.dst?.path]);
  return out;
}

test('march pairs equal paths and keeps one-sided ones in order', async () => {
  const r = await pairs(['a', 'b', 'd'], ['b', 'c', 'd', 'e']);
  assert.deepEqual(r, [
    ['a', undefined],
    ['b', 'b'],
    [undefined, 'c'],
    ['d', 'd'],
    [undefined, 'e'],
  ]);
});

test('march uses UTF-8 byte order: "a-b" < "a/b" < "a0", and astral after U+FFFD', async () => {
  const order = ['a-b', 'a/b', 'a0', 'z\uFFFD', 'z😀'];
  for (let i = 1; i < order.length; i++)
    assert.ok(compareUtf8(order[i - 1], order[i]) < 0, `${order[i - 1]} < ${order[i]}`);
  // JS's default sort puts the astral one (surrogates D83D..) before U+FFFD; UTF-8 order does not.
  assert.ok('z😀' < 'z\uFFFD');
  const r = await pairs(order, ['a/b', 'z😀']);
  assert.deepEqual(r, [
    ['a-b', undefined],
    ['a/b', 'a/b'],
    ['a0', undefined],
    ['z\uFFFD', undefined],
    ['z😀', 'z😀'],
  ]);
});

test('march with one side empty yields the other side whole', async () => {
  assert.deepEqual(await pairs([], ['x', 'y']), [
    [undefined, 'x'],
    [undefined, 'y'],
  ]);
  assert.deepEqual(await pairs(['x'], []), [['x', undefined]]);
  assert.deepEqual(await pairs([], []), []);
});

test('march refuses a listing that is out of order instead of planning wrong deletions', async () => {
  await assert.rejects(pairs(['a/b', 'a-b'], []), ListingOrderError);
  await assert.rejects(pairs([], ['b', 'b']), ListingOrderError);
});

test('march over 50,000 synthetic entries per side keeps memory flat', async () => {
  // Generated lazily in sorted order (directory by directory): nothing holds the listings.
  async function* sorted(n: number, keep: (i: number) => boolean): AsyncGenerator<Entry> {
    for (let d = 0; d < 100; d++)
      for (let i = d; i < n; i += 100)
        if (keep(i))
          yield {
            path: `dir${String(d).padStart(3, '0')}/f${String(i).padStart(8, '0')}`,
            size: i,
            mtimeMs: i,
            kind: 'file',
          };
  }
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  let both = 0;
  let n = 0;
  for await (const p of march(
    sorted(50_000, () => true),
    sorted(50_000, (i) => i % 2 === 0),
  )) {
    if (p.src && p.dst) both++;
    if (++n % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  assert.equal(n, 50_000);
  assert.equal(both, 25_000);
  const growthMb = (peak - before) / 1e6;
  console.log(
    `march 50k: heap growth ${growthMb.toFixed(1)} MB, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
  );
  assert.ok(growthMb < 64, `heap grew ${growthMb} MB`);
});

test('compareB2Order agrees with compareUtf8 (ASCII, BMP above U+E000, astral, prefixes)', () => {
  const alphabet = ['a', 'b', '/', '-', '0', '\u00e9', '\uE000', '\uFFFD', '\uFFFF', '😀', '\u{10FFFF}', '\u4e00'];
  const words: string[] = [''];
  for (const x of alphabet) for (const y of alphabet) words.push(x, x + y, x + 'a' + y);
  for (const x of words)
    for (const y of words)
      assert.equal(
        Math.sign(compareB2Order(x, y)),
        Math.sign(compareUtf8(x, y)),
        `${JSON.stringify(x)} vs ${JSON.stringify(y)}`,
      );
});
