/** The emulator's token table stays bounded under sustained authorizing, dropping the oldest tokens first. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TOKENS, TokenTable } from '../../src/emulator/tokens.js';

const account = () => ({ kind: 'account' as const, keyId: 'k', expiresAt: Date.now() + 3_600_000 });

test('past MAX_TOKENS the oldest idle tokens go, expired ones first; in-flight upload tokens and new ones stay', () => {
  const table = new TokenTable();
  const busy = table.issue('acc', {
    kind: 'upload',
    keyId: 'k',
    expiresAt: Date.now() + 3_600_000,
    target: 'b',
    part: false,
    opaque: 'o',
    inFlight: true,
  });
  const first = table.issue('acc', account());
  const expired = table.issue('acc', { ...account(), expiresAt: Date.now() - 1000 });
  let last = '';
  let peak = 0;
  for (let i = 0; i < MAX_TOKENS + 30_000; i++) {
    last = table.issue('acc', account());
    peak = Math.max(peak, table.size);
  }
  assert.ok(peak <= MAX_TOKENS + 10_001, `the table held ${peak} tokens`);
  assert.equal(table.get(expired), undefined, 'an expired token is dropped');
  assert.equal(table.get(first), undefined, 'the oldest idle live token is dropped');
  assert.ok(table.get(busy), 'an upload token in use is kept');
  assert.ok(table.get(last), 'the newest token is kept');
});

test('below the cap nothing live is dropped', () => {
  const table = new TokenTable();
  const tokens = Array.from({ length: 25_000 }, () => table.issue('acc', account()));
  assert.equal(table.size, 25_000);
  assert.ok(tokens.every((t) => table.get(t)));
});
