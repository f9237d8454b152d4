/**
 * anySignal / linkedSignal (src/core/abort.ts): they abort as AbortSignal.any would, and a long-lived
 * source (the CLI's signal, combined per B2 call) holds nothing for a follower that aborted or was
 * collected — the structural bound behind `--watch`'s flat memory (Node 20's AbortSignal.any keeps an
 * entry per call forever).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { anySignal, followerCount, linkedSignal } from '../../src/core/abort.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const listeners = followerCount;

describe('anySignal / linkedSignal', () => {
  it('fires with the reason of the source that fired first; already aborted → aborted at once', () => {
    const a = new AbortController();
    const b = new AbortController();
    const s = anySignal(a.signal, b.signal)!;
    assert.equal(s.aborted, false);
    b.abort(new Error('b went'));
    assert.equal(s.aborted, true);
    assert.equal((s.reason as Error).message, 'b went');
    a.abort(new Error('a went'));
    assert.equal((s.reason as Error).message, 'b went');
    assert.equal(anySignal(a.signal, new AbortController().signal)!.aborted, true);
    assert.equal(anySignal(undefined, a.signal), a.signal);
  });

  it('linkedSignal: the controller aborts it, and so does the outer signal', () => {
    const outer = new AbortController();
    const own = new AbortController();
    const s = linkedSignal(own, outer.signal);
    own.abort();
    assert.equal(s.aborted, true);
    assert.equal(outer.signal.aborted, false);
    const own2 = new AbortController();
    const s2 = linkedSignal(own2, outer.signal);
    outer.abort(new Error('stop'));
    assert.equal(s2.aborted, true);
    assert.equal((s2.reason as Error).message, 'stop');
  });

  it('a follower that aborted leaves nothing on the long-lived source', () => {
    const root = new AbortController();
    for (let i = 0; i < 1000; i++) {
      const own = new AbortController();
      linkedSignal(own, root.signal);
      own.abort();
    }
    assert.equal(listeners(root.signal), 0);
    root.abort();
  });

  it('followers collected unaborted are unlinked from the source (bounded by the live ones)', async () => {
    const root = new AbortController();
    const kept = anySignal(root.signal, new AbortController().signal)!;
    (() => {
      for (let i = 0; i < 5000; i++) anySignal(root.signal, new AbortController().signal);
    })();
    const deadline = Date.now() + 20_000;
    while (listeners(root.signal) > 100 && Date.now() < deadline) {
      gc();
      await new Promise((r) => setTimeout(r, 20)); // finalizers run in a later task
    }
    assert.ok(listeners(root.signal) <= 100, `${listeners(root.signal)} listeners left`);
    root.abort();
    assert.equal(kept.aborted, true); // the one still referenced still follows
  });
});
