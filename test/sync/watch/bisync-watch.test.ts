/**
 * The bisync --watch loop (runBisyncWatch) against the emulator over HTTP, fed by a scripted change
 * source (a real queue the test pushes batches into): a local change pushed by a scoped pass, a B2
 * change pulled by a poll tick, a conflict during watch resolved by the policy, the lock held for the
 * whole run (a second bisync refused), and the signal ending it with the state committed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { B2Client } from '../../../src/client/b2-client.js';
import { LockHeldError } from '../../../src/sync/bisync/state-store.js';
import { openBisync, type LocalEndpoint, type RemoteEndpoint } from '../../../src/sync/bisync/run-bisync.js';
import { bisyncToWatch } from '../../../src/sync/watch/bisync-watch-events.js';
import { runBisyncWatch } from '../../../src/sync/watch/bisync-watch.js';
import { Outage } from '../../../src/sync/watch/outage.js';
import type { ChangeBatch, ChangeSource, WatchEvent } from '../../../src/sync/watch/types.js';
import { cleanup, local, makeTree, newBucket, readBucket, readTree, remote, tempDir, useEmulator } from '../fixture.js';

let client: B2Client;
useEmulator((_e, c) => (client = c));

/** A change source the test pushes batches into. */
class Queue implements ChangeSource {
  private items: ChangeBatch[] = [];
  private wake?: () => void;
  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.wake?.());
  }
  push(b: ChangeBatch): void {
    this.items.push(b);
    this.wake?.();
  }
  async next(): Promise<ChangeBatch | undefined> {
    while (this.items.length === 0) {
      if (this.signal.aborted) return undefined;
      await new Promise<void>((r) => (this.wake = r));
    }
    return this.items.shift();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The pair opened (its events collected) and the watch loop started over a Queue the test feeds. */
async function startWatch(
  at: { root: string; state: string; bucketName: string; signal: AbortSignal; maxDelete?: { count: number } },
  afterPass: (kind: string) => void,
) {
  const events: WatchEvent[] = [];
  const emit = (e: WatchEvent) => events.push(e);
  const lEp = local(at.root) as LocalEndpoint;
  const rEp = remote(client, at.bucketName) as RemoteEndpoint;
  const pair = await openBisync(lEp, rEp, 'path1', {
    stateDir: at.state,
    signal: at.signal,
    ...(at.maxDelete ? { maxDelete: at.maxDelete } : {}),
    onEvent: bisyncToWatch(emit),
  });
  const q = new Queue(at.signal);
  const loop = runBisyncWatch({
    pair,
    source: q,
    signal: at.signal,
    emit,
    outage: new Outage({ emit, signal: at.signal, baseMs: 50, capMs: 500 }),
    afterPass: (_s, kind) => void afterPass(kind),
  });
  return { events, pair, q, loop, lEp, rEp };
}

test('bisync --watch loop: local change pushed, B2 change pulled on a poll tick, conflict kept both, lock held, signal stops it', async () => {
  const root = await makeTree({ a: 'a', e: 'e', 'd/x': 'x' });
  const state = await tempDir();
  const { bucketName, bucketId } = await newBucket(client, 'bwatch');
  const ac = new AbortController();
  const kinds: string[] = [];
  const { events, pair, q, loop, lEp, rEp } = await startWatch({ root, state, bucketName, signal: ac.signal }, (kind) =>
    kinds.push(kind),
  );
  try {
    await until('the first full pass', () => kinds.length === 1);
    assert.deepEqual(Object.keys(await readBucket(client, bucketId)).sort(), ['a', 'd/x', 'e']);
    await assert.rejects(openBisync(lEp, rEp, 'path1', { stateDir: state }), (e: unknown) => {
      assert.ok(e instanceof LockHeldError);
      assert.match(e.message, new RegExp(`pid ${process.pid}`));
      return true;
    });

    await writeFile(join(root, 'new.txt'), 'pushed');
    q.push({ origin: 'local', changes: [{ path: 'new.txt', kind: 'create' }] });
    await until('the second pass', () => kinds.length === 2);
    assert.equal((await readBucket(client, bucketId))['new.txt'], 'pushed');
    assert.equal(kinds[1], 'scoped');
    assert.ok(events.some((e) => e.type === 'change' && e.action === 'upload' && e.path === 'new.txt'));

    const body = Buffer.from('from b2');
    await client.uploadFile({ bucketId, fileName: 'pulled', body, contentLength: body.length });
    q.push({ origin: 'remote-full', reason: 'poll' });
    await until('the third pass', () => kinds.length === 3);
    assert.equal((await readTree(root)).pulled, 'from b2');
    assert.equal(kinds[2], 'full');

    // changed on both sides before the pass: keep-both keeps the newer under the name, the other as a copy
    const older = new Date(Date.now() - 60_000);
    await writeFile(join(root, 'e'), 'e local');
    await utimes(join(root, 'e'), older, older);
    const eb = Buffer.from('e on b2, newer');
    await client.uploadFile({ bucketId, fileName: 'e', body: eb, contentLength: eb.length });
    q.push({ origin: 'remote', changes: [{ path: 'e', kind: 'update' }] });
    await until('the fourth pass', () => kinds.length === 4);
    assert.ok(events.some((e) => e.type === 'change' && e.action === 'conflict' && e.path === 'e'));
    const tree = await readTree(root);
    assert.equal(tree.e, 'e on b2, newer');
    const copy = Object.keys(tree).find((p) => p.startsWith('e.conflict-'));
    assert.ok(copy, 'the older version kept under a conflict name');
    assert.equal(tree[copy], 'e local');
    assert.equal((await readBucket(client, bucketId))[copy], 'e local');
  } finally {
    ac.abort();
    const r = await loop;
    assert.equal(r.reason, 'signal');
    await pair.close();
  }
  try {
    const [key] = (await import('node:fs')).readdirSync(state);
    assert.ok(!existsSync(join(state, key!, 'lock')), 'the lock is released');
    assert.ok(existsSync(join(state, key!, 'state')), 'the state is saved');
    // the next run finds nothing to do: the watch left both sides and the state in step
    const again = await openBisync(lEp, rEp, 'path1', { stateDir: state });
    try {
      const s = await again.pass();
      assert.equal(s.uploaded.files + s.downloaded.files + s.conflicts + s.deleted.local + s.deleted.remote, 0);
    } finally {
      await again.close();
    }
  } finally {
    await cleanup(root, state);
  }
});

test('bisync --watch loop: a safety stop after the first pass is one error line, and watching goes on', async () => {
  const root = await makeTree({ a: 'a', b: 'b', c: 'c' });
  const state = await tempDir();
  const { bucketName, bucketId } = await newBucket(client, 'bwstop');
  const ac = new AbortController();
  let passes = 0;
  const at = { root, state, bucketName, signal: ac.signal, maxDelete: { count: 0 } };
  const { events, pair, q, loop } = await startWatch(at, () => passes++);
  try {
    await until('the first pass', () => passes === 1);
    await rm(join(root, 'a'));
    q.push({ origin: 'local', changes: [{ path: 'a', kind: 'delete' }] });
    await until('the refusal', () => events.some((e) => e.type === 'error' && /max-delete/.test(e.message)));
    assert.equal((await readBucket(client, bucketId)).a, 'a', 'nothing deleted');
    await writeFile(join(root, 'later'), 'later');
    q.push({ origin: 'local', changes: [{ path: 'later', kind: 'create' }] });
    await until('the next pass', () => passes === 2);
    assert.equal((await readBucket(client, bucketId)).later, 'later');
  } finally {
    ac.abort();
    await loop;
    await pair.close();
    await cleanup(root, state);
  }
});

test('a file still changing under its upload is a retry notice in a watch run, other failures are errors', () => {
  const out: WatchEvent[] = [];
  const on = bisyncToWatch((e) => out.push(e));
  on({
    type: 'error',
    item: 'a.txt',
    message: 'upload: a.txt changed since it was listed: expected 0 bytes',
    retry: true,
  });
  on({ type: 'error', item: 'b.txt', message: 'upload: permission denied' });
  assert.deepEqual(out, [
    {
      type: 'notice',
      message: 'a.txt: upload: a.txt changed since it was listed: expected 0 bytes; retried once it settles',
    },
    { type: 'error', path: 'b.txt', message: 'upload: permission denied' },
  ]);
});
