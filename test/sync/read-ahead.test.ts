import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readAhead } from '../../src/sync/read-ahead.js';

test('readAhead yields every item in order and never buffers more than max', async () => {
  let produced = 0;
  let consumed = 0;
  let maxLead = 0;
  async function* src() {
    for (let i = 0; i < 5000; i++) {
      produced++;
      maxLead = Math.max(maxLead, produced - consumed);
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
      yield i;
    }
  }
  const out: number[] = [];
  for await (const v of readAhead(src(), 50)) {
    consumed++;
    out.push(v);
    if (v % 7 === 0) await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(
    out,
    Array.from({ length: 5000 }, (_, i) => i),
  );
  assert.ok(maxLead <= 52, `lead ${maxLead}`);
  assert.ok(maxLead > 10, 'it did read ahead');
});

test('readAhead passes a source error to the consumer after the items before it', async () => {
  async function* src() {
    yield 1;
    yield 2;
    throw new Error('boom');
  }
  const got: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const v of readAhead(src(), 10)) got.push(v);
    })(),
    /boom/,
  );
  assert.deepEqual(got, [1, 2]);
});

test('readAhead closes its source when the consumer stops early', async () => {
  let closed = false;
  async function* src() {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      closed = true;
    }
  }
  for await (const v of readAhead(src(), 5)) if (v === 3) break;
  assert.ok(closed);
});
