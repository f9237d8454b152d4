/**
 * The local watcher in events mode, on the real file system in a tmp dir (real inotify through
 * @parcel/watcher): settle of a slowly appended file, create / modify / delete / rename, directory
 * events as 'unknown', a 1,000-file burst in bounded batches, overflow into one 'local-full', close().
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { openLocalChanges, type LocalChangeSource } from '../../../src/sync/watch/local-watcher.js';
import { Collector, tmpRoot } from './local-collect.js';

const roots: string[] = [];
const open: Collector[] = [];

afterEach(async () => {
  for (const c of open.splice(0)) await c.done();
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

async function watch(tag: string, extra: Partial<Parameters<typeof openLocalChanges>[1]> = {}) {
  const root = tmpRoot(tag);
  roots.push(root);
  return start(root, extra);
}

async function start(root: string, extra: Partial<Parameters<typeof openLocalChanges>[1]> = {}) {
  const src = await openLocalChanges(root, { settleMs: 200, rescanMs: 0, mode: 'events', ...extra });
  const c = new Collector(src);
  open.push(c);
  await c.until('the start batch', () => c.fulls().includes('start'));
  return { root, src, c };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('local watcher (events)', () => {
  it('starts with a local-full without a snapshot, and reports create, modify and delete once settled', async () => {
    const { root, src, c } = await watch('lw-cmd');
    assert.equal(src.mode(), 'events');
    assert.deepEqual(c.batches, [{ origin: 'local-full', reason: 'start' }]);
    writeFileSync(join(root, 'a.txt'), 'one');
    await c.until('create a.txt', () => c.has('a.txt', 'create'));
    assert.equal(src.watching(), 1);
    writeFileSync(join(root, 'a.txt'), 'two, longer');
    await c.until('update a.txt', () => c.has('a.txt', 'update'));
    unlinkSync(join(root, 'a.txt'));
    await c.until('delete a.txt', () => c.has('a.txt', 'delete'));
    assert.deepEqual(
      c.changes().map((x) => `${x.kind} ${x.path}`),
      ['create a.txt', 'update a.txt', 'delete a.txt'],
    );
    assert.equal(src.pending(), 0);
  });

  it('hands out a file appended in slow pieces once, whole, after the last piece', async () => {
    const { root, c } = await watch('lw-settle', { settleMs: 500 });
    const file = join(root, 'slow.log');
    const sizeAtDelivery: number[] = [];
    c.onBatch = (b) => {
      if (b.origin === 'local' && b.changes.some((x) => x.path === 'slow.log'))
        sizeAtDelivery.push(statSync(file).size);
    };
    const piece = 'x'.repeat(1000);
    for (let i = 0; i < 10; i++) {
      appendFileSync(file, piece);
      await sleep(40);
    }
    writeFileSync(join(root, 'sentinel'), 'after the last piece');
    await c.until('the sentinel', () => c.has('sentinel'));
    assert.deepEqual(
      c.changes().filter((x) => x.path === 'slow.log'),
      [{ path: 'slow.log', kind: 'create' }],
    );
    assert.deepEqual(sizeAtDelivery, [10_000]);
  });

  it('a rename comes out as its delete and its create, in one batch', async () => {
    const { root, c } = await watch('lw-rename');
    writeFileSync(join(root, 'old.txt'), 'content');
    await c.until('create old.txt', () => c.has('old.txt', 'create'));
    renameSync(join(root, 'old.txt'), join(root, 'new.txt'));
    await c.until('the rename', () => c.has('old.txt', 'delete') && c.has('new.txt', 'create'));
    const last = c.batches.at(-1)!;
    assert.equal(last.origin, 'local');
    assert.deepEqual(last.origin === 'local' && last.changes.map((x) => `${x.kind} ${x.path}`).sort(), [
      'create new.txt',
      'delete old.txt',
    ]);
  });

  it('directory events: a new tree, a renamed and a removed directory are each one unknown', async () => {
    const { root, src, c } = await watch('lw-dirs');
    mkdirSync(join(root, 'd/sub'), { recursive: true });
    writeFileSync(join(root, 'd/a'), 'a');
    writeFileSync(join(root, 'd/sub/b'), 'b');
    await c.until('unknown d', () => c.has('d', 'unknown'));
    await c.until('the files counted', () => src.watching() >= 2);
    assert.deepEqual(c.changes(), [{ path: 'd', kind: 'unknown' }], 'the files below a new dir are covered by it');
    renameSync(join(root, 'd'), join(root, 'e'));
    await c.until('d and e unknown', () => c.has('d', 'unknown') && c.has('e', 'unknown') && c.changes().length >= 3);
    rmSync(join(root, 'e'), { recursive: true });
    await c.until('e removed', () => c.changes().filter((x) => x.path === 'e').length >= 2);
    const got = c.changes();
    assert.ok(
      got.every(
        (x) => (x.kind === 'unknown' && /^[de](\/sub)?$/.test(x.path)) || /^delete e\//.test(`${x.kind} ${x.path}`),
      ),
      `unknowns for d and e, deletes below e: ${JSON.stringify(got)}`,
    );
  });

  it('writes below a renamed directory are reported under its new name', async () => {
    const { root, c } = await watch('lw-dirmove');
    mkdirSync(join(root, 'd/sub/deep'), { recursive: true });
    writeFileSync(join(root, 'd/sub/x'), 'x');
    await c.until('unknown d', () => c.has('d', 'unknown'));
    renameSync(join(root, 'd'), join(root, 'e'));
    await c.until('unknown e', () => c.has('e', 'unknown'));
    const seen = c.changes().length;
    // Keep writing until a write is reported, under the new name (the subscription is renewed after a move).
    for (
      let i = 0;
      !c
        .changes()
        .slice(seen)
        .some((x) => x.path.startsWith('e/sub'));
      i++
    ) {
      if (i > 200) throw new Error(`no change under e/sub: ${JSON.stringify(c.changes())}`);
      writeFileSync(join(root, `e/sub/deep/n${i}`), 'n');
      await sleep(100);
    }
    assert.ok(
      !c.changes().some((x) => x.path.startsWith('d/') && x.kind !== 'delete'),
      `no change named by the old path: ${JSON.stringify(c.changes())}`,
    );
  });

  it('a burst of 1,000 new files comes out in batches of at most maxBatch, every path once', async () => {
    const { root, c } = await watch('lw-burst', { maxBatch: 300 });
    mkdirSync(join(root, 'pre'));
    await c.until('the dir', () => c.has('pre', 'unknown'));
    const names = Array.from({ length: 1000 }, (_, i) => `pre/f${String(i).padStart(4, '0')}`);
    for (const n of names) writeFileSync(join(root, n), n);
    await c.until('1,000 paths', () => c.changes().length >= 1001);
    const local = c.batches.filter((b) => b.origin === 'local');
    for (const b of local) assert.ok(b.origin === 'local' && b.changes.length <= 300, 'batch within maxBatch');
    const got = c.changes().slice(1);
    assert.deepEqual(got.map((x) => x.path).sort(), names);
    assert.ok(got.every((x) => x.kind === 'create'));
  });

  it('more than maxPending paths turn into one local-full, and nothing beyond it', async () => {
    const { root, src, c } = await watch('lw-overflow', { maxPending: 50, settleMs: 300 });
    for (let i = 0; i < 200; i++) writeFileSync(join(root, `f${i}`), 'x');
    await c.until('the overflow', () => c.fulls().length === 2);
    assert.match(c.fulls()[1], /more than 50 local changes pending/);
    assert.ok(src.pending() <= 50);
    assert.ok(c.changes().length <= 50);
  });

  it('ignores our download temp files and what the caller ignores', async () => {
    const { root, c } = await watch('lw-ignore', { ignore: (p) => p === '.state' || p.startsWith('.state/') });
    mkdirSync(join(root, '.state'));
    writeFileSync(join(root, '.state/db'), 'x');
    writeFileSync(join(root, 'x.0123456789ab.b2sync-tmp'), 'partial');
    writeFileSync(join(root, 'real'), 'x');
    await c.until('real', () => c.has('real'));
    assert.deepEqual(c.changes(), [{ path: 'real', kind: 'create' }]);
  });

  it('close() and the signal end next()', async () => {
    const { c } = await watch('lw-close');
    await c.done();
    assert.equal(c.ended, true);
    open.splice(open.indexOf(c), 1);
    const ac = new AbortController();
    const root = tmpRoot('lw-close2');
    roots.push(root);
    const src: LocalChangeSource = await openLocalChanges(root, {
      settleMs: 100,
      rescanMs: 0,
      mode: 'events',
      signal: ac.signal,
    });
    assert.deepEqual(await src.next(), { origin: 'local-full', reason: 'start' });
    const waiting = src.next();
    ac.abort();
    assert.equal(await waiting, undefined);
    assert.equal(await src.next(), undefined);
  });
});
