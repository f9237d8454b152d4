/** Pure: --bwlimit's grammar, the timetable lookup, and the token bucket's arithmetic (a fake clock). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bandwidth, parseBwLimit, ratesAt, TokenBucket } from '../../src/core/bandwidth.js';

const M = 1024 * 1024;

test('parseBwLimit reads a rate, UP:DOWN and off', () => {
  assert.deepEqual(parseBwLimit('10M'), [{ minute: 0, up: 10 * M, down: 10 * M }]);
  assert.deepEqual(parseBwLimit('10M:50M'), [{ minute: 0, up: 10 * M, down: 50 * M }]);
  assert.deepEqual(parseBwLimit('off:1.5MB'), [{ minute: 0, up: undefined, down: 1_500_000 }]);
  assert.deepEqual(parseBwLimit('off'), [{ minute: 0, up: undefined, down: undefined }]);
});

test('parseBwLimit reads a timetable, sorted by time', () => {
  assert.deepEqual(parseBwLimit('19:00,off 08:00,1M 12:30,512K:2M'), [
    { minute: 480, up: M, down: M },
    { minute: 750, up: 512 * 1024, down: 2 * M },
    { minute: 1140, up: undefined, down: undefined },
  ]);
});

test('parseBwLimit refuses malformed values', () => {
  for (const bad of ['', 'fast', '0', '10M:20M:30M', '25:00,1M', '08:60,1M', '8h,1M', '08:00,x', '08:00,1M 08:00,2M'])
    assert.equal(parseBwLimit(bad), undefined, bad);
});

test('ratesAt takes the last slot passed, wrapping from the day before', () => {
  const t = parseBwLimit('08:00,1M 19:00,off')!;
  assert.deepEqual(ratesAt(t, 7 * 60 + 59), { up: undefined, down: undefined }); // 19:00's slot, from yesterday
  assert.deepEqual(ratesAt(t, 8 * 60), { up: M, down: M });
  assert.deepEqual(ratesAt(t, 18 * 60 + 59), { up: M, down: M });
  assert.deepEqual(ratesAt(t, 19 * 60), { up: undefined, down: undefined });
  assert.deepEqual(ratesAt(parseBwLimit('2M')!, 600), { up: 2 * M, down: 2 * M });
});

test('TokenBucket: a quarter second of burst, then waits that add up to the rate', () => {
  let now = 0;
  const b = new TokenBucket(1_000_000, () => now); // 1 MB/s, burst 250 kB
  assert.equal(b.take(250_000), 0);
  assert.equal(b.take(100_000), 100); // 100 kB of debt = 100 ms
  assert.equal(b.take(100_000), 200); // queued behind the first debt
  now = 200;
  assert.equal(b.take(0), 0); // paid off
  // Over a long run: 10 MB at 1 MB/s takes 10 s minus the burst.
  now = 10_000; // bucket full again
  b.take(0);
  let waited = 0;
  for (let i = 0; i < 100; i++) waited = b.take(100_000);
  assert.equal(Math.round(waited), 9_750);
});

test('TokenBucket.setRate changes the pace from now on', () => {
  const now = 0;
  const b = new TokenBucket(1000, () => now);
  b.take(64 * 1024); // empty (capacity is at least 64 KiB)
  b.setRate(2000);
  assert.equal(b.take(2000), 1000);
});

test('Bandwidth follows the timetable as the clock passes, up and down apart', () => {
  let clock = new Date(2026, 11, 8, 7, 59);
  const bw = new Bandwidth(() => clock);
  bw.configure(parseBwLimit('08:00,64K:off 19:00,off'));
  assert.equal(bw.up(10 * M), undefined, 'off before 08:00');
  clock = new Date(2026, 11, 8, 8, 0);
  assert.equal(bw.up(64 * 1024), undefined, 'the burst');
  assert.ok(bw.up(64 * 1024) instanceof Promise, 'limited at 08:00');
  assert.equal(bw.down(10 * M), undefined, 'down is off');
  clock = new Date(2026, 11, 8, 19, 0);
  assert.equal(bw.up(10 * M), undefined, 'off again at 19:00');
  bw.configure(undefined);
  assert.equal(bw.active, false);
});
