/** ConnectionBudget: a freed slot goes to the first waiter, never to a request that arrives meanwhile. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionBudget } from '../../src/client/http/connection-budget.js';

test('a request arriving between a release and the waiter waking up waits: never more than max in use', async () => {
  const budget = new ConnectionBudget(1);
  const releaseA = await budget.acquire('o');
  const waiterB = budget.acquire('o');
  releaseA();
  let cHasSlot = false;
  const lateC = budget.acquire('o').then((release) => {
    cHasSlot = true;
    return release;
  });
  const releaseB = await waiterB;
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(cHasSlot, false, 'C must wait while B holds the only slot');
  assert.equal(budget.inUse('o'), 1);
  releaseB();
  const releaseC = await lateC;
  assert.equal(budget.inUse('o'), 1);
  releaseC();
  releaseC(); // a second call gives nothing back twice
  assert.equal(budget.inUse('o'), 0);
});
