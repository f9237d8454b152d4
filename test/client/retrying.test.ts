/** retrying(): the client's one retry loop, without a server (verdicts, budget, Retry-After, abort). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveRetry, retrying, type RetryCount, type RetryVerdict } from '../../src/client/retry.js';
import { isAbortError } from '../../src/core/errors.js';

const fast = resolveRetry({ retries: 3, baseDelayMs: 1, maxDelayMs: 2 });

/** An op failing `failures` times, then answering its attempt number. */
function flaky(failures: number) {
  const seen: number[] = [];
  const op = async (attempt: number) => {
    seen.push(attempt);
    if (seen.length <= failures) throw new Error(`failure ${seen.length}`);
    return attempt;
  };
  return { op, seen };
}

test("'fail' throws the op's own error at once", async () => {
  const { op, seen } = flaky(5);
  await assert.rejects(retrying(op, { policy: fast, classify: () => 'fail' }), /failure 1/);
  assert.deepEqual(seen, [0]);
});

test("'retry' tries again until success, passing attempt numbers 0, 1, 2", async () => {
  const { op, seen } = flaky(2);
  const delays: number[] = [];
  const r = await retrying(op, { policy: fast, classify: () => 'retry', onRetry: (_e, _n, ms) => delays.push(ms) });
  assert.equal(r, 2);
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(delays.length, 2);
});

test('the budget bounds retries: retries 3 means 4 attempts, then the last error', async () => {
  const { op, seen } = flaky(10);
  await assert.rejects(retrying(op, { policy: fast, classify: () => 'retry' }), /failure 4/);
  assert.equal(seen.length, 4);
});

test('retries 0 means a single attempt for every counted verdict', async () => {
  for (const verdict of ['retry', 'retry-now'] as const) {
    const { op, seen } = flaky(1);
    await assert.rejects(retrying(op, { policy: resolveRetry({ retries: 0 }), classify: () => verdict }), /failure 1/);
    assert.equal(seen.length, 1, verdict);
  }
});

test("'retry-now' counts against the budget but does not wait", async () => {
  const slow = resolveRetry({ retries: 2, baseDelayMs: 5000, maxDelayMs: 5000 });
  const { op, seen } = flaky(10);
  const delays: number[] = [];
  const t0 = Date.now();
  await assert.rejects(
    retrying(op, { policy: slow, classify: () => 'retry-now', onRetry: (_e, _n, ms) => delays.push(ms) }),
  );
  assert.ok(Date.now() - t0 < 1000);
  assert.equal(seen.length, 3);
  assert.deepEqual(delays, [0, 0]);
});

test("'again' retries without counting (one repair, e.g. a re-authorization), attempts still numbered", async () => {
  const { op, seen } = flaky(3);
  let repaired = false;
  const classify = async (): Promise<RetryVerdict> => {
    if (!repaired) {
      repaired = true;
      return 'again';
    }
    return 'retry';
  };
  const r = await retrying(op, { policy: resolveRetry({ retries: 2, baseDelayMs: 1 }), classify });
  assert.equal(r, 3);
  assert.deepEqual(seen, [0, 1, 2, 3]);
});

test('a shared count makes several retrying() calls spend one budget', async () => {
  const count: RetryCount = { used: 0 };
  const policy = resolveRetry({ retries: 2, baseDelayMs: 1 });
  await retrying(flaky(1).op, { policy, count, classify: () => 'retry' });
  await retrying(flaky(1).op, { policy, count, classify: () => 'retry' });
  assert.equal(count.used, 2);
  const third = flaky(1);
  await assert.rejects(retrying(third.op, { policy, count, classify: () => 'retry' }), /failure 1/);
  assert.equal(third.seen.length, 1);
});

test('Retry-After is honoured instead of the backoff', async () => {
  const policy = resolveRetry({ retries: 1, baseDelayMs: 1, maxDelayMs: 1 });
  const { op } = flaky(1);
  const delays: number[] = [];
  const t0 = Date.now();
  await retrying(op, {
    policy,
    classify: () => 'retry',
    retryAfter: () => 0.3,
    onRetry: (_e, _n, ms) => delays.push(ms),
  });
  const ms = Date.now() - t0;
  assert.deepEqual(delays, [300]);
  assert.ok(ms >= 290, `waited ${ms} ms`);
});

test('an abort during the backoff sleep stops at once with the abort reason', async () => {
  const policy = resolveRetry({ retries: 3, baseDelayMs: 10_000, maxDelayMs: 10_000 });
  const ac = new AbortController();
  const { op, seen } = flaky(10);
  setTimeout(() => ac.abort(), 50);
  const t0 = Date.now();
  await assert.rejects(retrying(op, { signal: ac.signal, policy, classify: () => 'retry' }), (e) => isAbortError(e));
  assert.ok(Date.now() - t0 < 2000);
  assert.equal(seen.length, 1);
});

test('an aborted signal wins over the op failure and stops before a first attempt', async () => {
  const ac = new AbortController();
  ac.abort();
  const { op, seen } = flaky(0);
  await assert.rejects(retrying(op, { signal: ac.signal, policy: fast, classify: () => 'retry' }), (e) =>
    isAbortError(e),
  );
  assert.equal(seen.length, 0);
});
