/**
 * The poll walker (local-poll.ts) as the fallback uses it: walks back off while they find nothing and
 * drop back to pollMs after one that found a change. Structural (the next interval), not timed.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { nextInterval, Poller } from '../../../src/sync/watch/local-poll.js';
import { tmpRoot } from './local-collect.js';

async function until(what: string, cond: () => boolean, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('local poll walker', () => {
  const root = tmpRoot('lpoll');
  after(() => rmSync(root, { recursive: true, force: true }));

  it('backs off to maxMs while walks find nothing, and back to pollMs after a change', async () => {
    writeFileSync(join(root, 'a'), 'a');
    const fed: string[] = [];
    const p = new Poller(root, 10, (rel, _abs, kind) => fed.push(`${kind} ${rel}`), { maxMs: 80 });
    await p.start();
    try {
      assert.equal(p.files, 1);
      assert.equal(p.nextIntervalMs, 10);
      await until('four quiet walks', () => p.walkCount >= 4);
      assert.equal(p.nextIntervalMs, 80); // 10 → 20 → 40 → 80, capped
      assert.deepEqual(fed, []);
      writeFileSync(join(root, 'b'), 'b');
      await until('b found', () => fed.length > 0);
      assert.deepEqual(fed, ['create b']);
      assert.equal(p.files, 2);
    } finally {
      await p.stop();
    }
  });

  it('nextInterval: doubles after a quiet walk up to maxMs, back to pollMs after one that found something', () => {
    assert.equal(nextInterval(2000, 0, 2000, 30_000), 4000);
    assert.equal(nextInterval(16_000, 0, 2000, 30_000), 30_000);
    assert.equal(nextInterval(30_000, 0, 2000, 30_000), 30_000);
    assert.equal(nextInterval(30_000, 3, 2000, 30_000), 2000);
    assert.equal(nextInterval(2000, 0, 2000, 2000), 2000);
  });

  it('without maxMs: no backoff (--watch-mode poll walks every pollMs)', async () => {
    const p = new Poller(root, 10, () => {});
    await p.start();
    try {
      await until('three walks', () => p.walkCount >= 3);
      assert.equal(p.nextIntervalMs, 10);
    } finally {
      await p.stop();
    }
  });
});
