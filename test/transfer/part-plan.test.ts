import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LimitError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { atLeastTwoParts, choosePartSize, partRanges } from '../../src/transfer/part-plan.js';

const MB = 1_000_000;

test('part size is the recommended size when the file fits in 10,000 parts', () => {
  assert.equal(choosePartSize({ fileSize: 1000 * MB, recommended: 100 * MB, minimum: 5 * MB }), 100 * MB);
});

test('part size grows so the file fits in 10,000 parts', () => {
  const size = 2_000_000 * MB; // 2 TB
  const part = choosePartSize({ fileSize: size, recommended: 100 * MB, minimum: 5 * MB });
  assert.equal(part, 200 * MB);
  assert.ok(Math.ceil(size / part) <= LIMITS.maxParts);
  const odd = 1_234_567_890_123;
  const p2 = choosePartSize({ fileSize: odd, recommended: 100 * MB, minimum: 5 * MB });
  assert.ok(Math.ceil(odd / p2) <= LIMITS.maxParts);
  assert.ok(Math.ceil(odd / (p2 - 1)) > LIMITS.maxParts, 'grown only as far as needed');
});

test('a requested part size below the minimum is raised to the minimum', () => {
  assert.equal(choosePartSize({ fileSize: 50 * MB, recommended: 100 * MB, minimum: 5 * MB, requested: 1000 }), 5 * MB);
});

test('a requested part size above 5 GB is lowered to 5 GB', () => {
  assert.equal(
    choosePartSize({ fileSize: 50_000 * MB, recommended: 100 * MB, minimum: 5 * MB, requested: 8_000 * MB }),
    LIMITS.maxPartBytes,
  );
});

test('10 TB fits (1 GB parts) and one byte more is refused with a LimitError naming the limit', () => {
  assert.equal(choosePartSize({ fileSize: LIMITS.maxFileBytes, recommended: 100 * MB, minimum: 5 * MB }), 1000 * MB);
  assert.throws(
    () => choosePartSize({ fileSize: LIMITS.maxFileBytes + 1, recommended: 100 * MB, minimum: 5 * MB }),
    (e: unknown) => e instanceof LimitError && /10 TB/.test(e.message),
  );
});

test('part ranges cover the file exactly, last part shorter', () => {
  const parts = [...partRanges(10_500, 2000)];
  assert.equal(parts.length, 6);
  assert.deepEqual(parts[5], { partNumber: 6, start: 10_000, length: 500 });
  assert.equal(
    parts.reduce((n, p) => n + p.length, 0),
    10_500,
  );
  parts.forEach((p, i) => assert.equal(p.start, i * 2000));
});

test('a file that would be one part is cut in two when the minimum allows, else left to a simple upload', () => {
  assert.equal(atLeastTwoParts(5000, 8000, 1000), 2500);
  assert.equal(atLeastTwoParts(1500, 8000, 1000), 1000);
  assert.equal(atLeastTwoParts(1000, 8000, 1000), undefined);
  assert.equal(atLeastTwoParts(9000, 2000, 1000), 2000);
});
