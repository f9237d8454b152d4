import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationMs, parseSize } from '../../src/core/parse.js';
import { classifyB2 } from '../../src/core/errors.js';

test('parseSize reads binary and decimal units', () => {
  assert.equal(parseSize('10'), 10);
  assert.equal(parseSize('5M'), 5 * 1024 * 1024);
  assert.equal(parseSize('5MB'), 5_000_000);
  assert.equal(parseSize('1.5GiB'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('abc'), undefined);
  assert.equal(parseSize('10Q'), undefined);
});

test('parseDurationMs reads compound durations and bare seconds', () => {
  assert.equal(parseDurationMs('90'), 90_000);
  assert.equal(parseDurationMs('1h30m'), 5_400_000);
  assert.equal(parseDurationMs('7d'), 604_800_000);
  assert.equal(parseDurationMs('250ms'), 250);
  assert.equal(parseDurationMs('1x'), undefined);
  assert.equal(parseDurationMs('1h junk'), undefined);
});

test('classifyB2 separates retryable, re-authorize and fatal', () => {
  assert.equal(classifyB2(503, 'service_unavailable'), 'retryable');
  assert.equal(classifyB2(429, 'too_many_requests'), 'retryable');
  assert.equal(classifyB2(408, 'request_timeout'), 'retryable');
  assert.equal(classifyB2(0, 'network_error'), 'retryable');
  assert.equal(classifyB2(401, 'expired_auth_token'), 'reauthorize');
  assert.equal(classifyB2(401, 'bad_auth_token'), 'reauthorize');
  assert.equal(classifyB2(401, 'unauthorized'), 'fatal');
  assert.equal(classifyB2(400, 'bad_request'), 'fatal');
  assert.equal(classifyB2(416, 'range_not_satisfiable'), 'fatal');
  assert.equal(classifyB2(403, 'transaction_cap_exceeded'), 'fatal');
});
