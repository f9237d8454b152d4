/**
 * The local watcher beyond plain events, on the real file system: the checkpoint (changes made while
 * closed found on reopen, without a local-full), the --rescan tick, poll mode, and the fallback when
 * the OS refuses inotify watches — for real, in a child under `unshare -U -r` with the user
 * namespace's inotify watch limit lowered — plus EMFILE and a failure after start through the
 * `subscribe` option (the OS cannot be made to fail that way on demand).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import * as parcel from '@parcel/watcher';
import { openLocalChanges, type LocalChangesOptions } from '../../../src/sync/watch/local-watcher.js';
import { Collector, tmpRoot } from './local-collect.js';

const roots: string[] = [];
const open: Collector[] = [];

afterEach(async () => {
  for (const c of open.splice(0)) await c.done();
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function newRoot(tag: string): string {
  const root = tmpRoot(tag);
  roots.push(root);
  return root;
}

async function watch(root: string, extra: Partial<LocalChangesOptions> = {}) {
  const notices: string[] = [];
  const src = await openLocalChanges(root, {
    settleMs: 150,
    rescanMs: 0,
    mode: 'events',
    onNotice: (m) => notices.push(m),
    ...extra,
  });
  const c = new Collector(src);
  open.push(c);
  return { src, c, notices };
}

const describeChanges = (c: Collector) => c.changes().map((x) => `${x.kind} ${x.path}`);

describe('local watcher: checkpoint', () => {
  it('finds on reopen what changed while it was closed, and keeps what was still pending', async () => {
    const root = newRoot('lw-snap');
    const state = newRoot('lw-snap-state');
    const snapshotFile = join(state, 'local.snapshot');
    mkdirSync(join(root, 'dir/sub'), { recursive: true });
    writeFileSync(join(root, 'dir/sub/f'), 'f');
    writeFileSync(join(root, 'keep'), 'k');
    writeFileSync(join(root, 'gone'), 'g');
    writeFileSync(join(root, 'edit'), 'e');
    const first = await watch(root, { snapshotFile });
    await first.c.until('the start batch', () => first.c.fulls().includes('start'));
    await first.src.checkpoint();
    assert.ok(existsSync(snapshotFile));
    await first.c.done();
    open.splice(open.indexOf(first.c), 1);

    writeFileSync(join(root, 'new'), 'n');
    unlinkSync(join(root, 'gone'));
    writeFileSync(join(root, 'edit'), 'edited, longer');
    renameSync(join(root, 'dir'), join(root, 'moved'));
    const again = await watch(root, { snapshotFile });
    await again.c.until('the offline changes', () => again.c.changes().length >= 5);
    assert.deepEqual(again.c.fulls(), [], 'no full comparison on a start with a checkpoint');
    assert.deepEqual(describeChanges(again.c).sort(), [
      'create new',
      'delete gone',
      'unknown dir',
      'unknown moved',
      'update edit',
    ]);

    await again.src.checkpoint();
    await again.c.done();
    open.splice(open.indexOf(again.c), 1);

    // A change still settling at a checkpoint is not lost by a stop right after it.
    const slow = await watch(root, { snapshotFile, settleMs: 600_000 });
    writeFileSync(join(root, 'late'), 'l');
    await slow.c.until('late pending', () => slow.src.pending() === 1);
    await slow.src.checkpoint();
    await slow.c.done();
    open.splice(open.indexOf(slow.c), 1);
    const third = await watch(root, { snapshotFile });
    await third.c.until('late', () => third.c.has('late'));
    assert.deepEqual(describeChanges(third.c), ['create late']);
  });

  it('starts with a local-full when the checkpoint is unreadable', async () => {
    const root = newRoot('lw-badsnap');
    const snapshotFile = join(newRoot('lw-badsnap-state'), 'local.snapshot');
    writeFileSync(snapshotFile, 'not a snapshot');
    const state = { version: 1, dirs: [], pending: [], full: false, snapshotSha1: '0'.repeat(40) };
    writeFileSync(snapshotFile + '.state.json', JSON.stringify(state));
    const { c } = await watch(root, { snapshotFile });
    await c.until('the start batch', () => c.fulls().length > 0);
    assert.deepEqual(c.fulls(), ['start']);
  });
});

describe('local watcher: rescan and poll mode', () => {
  it('emits a local-full every rescanMs', async () => {
    const { c } = await watch(newRoot('lw-rescan'), { rescanMs: 200 });
    await c.until('two rescans', () => c.fulls().filter((r) => r === 'rescan').length >= 2);
    assert.deepEqual(c.fulls().slice(0, 2), ['start', 'rescan']);
  });

  it('poll mode finds creates, updates and deletes by walking', async () => {
    const root = newRoot('lw-poll');
    writeFileSync(join(root, 'a'), 'a');
    const { src, c } = await watch(root, { mode: 'poll', pollMs: 100 });
    assert.equal(src.mode(), 'poll');
    await c.until('the start batch', () => c.fulls().includes('start'));
    assert.equal(src.watching(), 1);
    mkdirSync(join(root, 'd'));
    writeFileSync(join(root, 'd/b'), 'b');
    await c.until('create d/b', () => c.has('d/b', 'create'));
    writeFileSync(join(root, 'a'), 'a, longer');
    await c.until('update a', () => c.has('a', 'update'));
    rmSync(join(root, 'd'), { recursive: true });
    await c.until('delete d/b', () => c.has('d/b', 'delete'));
    assert.deepEqual(describeChanges(c), ['create d/b', 'update a', 'delete d/b']);
  });
});

const canUnshare =
  process.platform === 'linux' &&
  spawnSync('unshare', ['-U', '-r', 'sh', '-c', 'echo 8 > /proc/sys/user/max_inotify_watches'], { stdio: 'ignore' })
    .status === 0;

describe('local watcher: when the OS refuses watches', () => {
  it(
    'ENOSPC for real (a user namespace with 8 inotify watches): one notice with the fix, then local-full every pollMs',
    { skip: canUnshare ? false : 'needs unshare -U -r and a writable /proc/sys/user/max_inotify_watches' },
    () => {
      const root = newRoot('lw-enospc');
      for (let i = 0; i < 20; i++) mkdirSync(join(root, `d${i}`));
      const child = join(import.meta.dirname, 'fixtures', 'watch-limit-child.ts');
      const script = 'echo 8 > /proc/sys/user/max_inotify_watches && exec "$0" --import tsx "$1" "$2"';
      const r = spawnSync('unshare', ['-U', '-r', 'sh', '-c', script, process.execPath, child, root], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { notice?: string; mode?: string; batch?: { origin: string; reason?: string } });
      const notices = lines.flatMap((l) => (l.notice ? [l.notice] : []));
      assert.deepEqual(notices, [
        'inotify watch limit reached: raise fs.inotify.max_user_watches ' +
          '(sysctl fs.inotify.max_user_watches=524288); falling back to a full rescan every 200ms',
      ]);
      assert.equal(lines.find((l) => l.mode && !l.batch)?.mode, 'rescan-only');
      const fulls = lines.flatMap((l) => (l.batch ? [`${l.batch.origin} ${l.batch.reason}`] : []));
      assert.deepEqual(fulls, ['local-full watcher fallback', 'local-full watcher fallback']);
    },
  );

  it('EMFILE at subscribe (injected): the notice names the open-file limits, mode rescan-only', async () => {
    const subscribe: typeof parcel.subscribe = () =>
      Promise.reject(Object.assign(new Error('Too many open files'), { code: 'EMFILE' }));
    const { src, c, notices } = await watch(newRoot('lw-emfile'), { subscribe, pollMs: 100 });
    assert.equal(src.mode(), 'rescan-only');
    await c.until('two fallback batches', () => c.fulls().length >= 2);
    assert.ok(c.fulls().every((r) => r === 'watcher fallback'));
    assert.equal(notices.length, 1);
    assert.match(notices[0], /^too many open files .*ulimit -n.*falling back to a full rescan every 100ms$/);
  });

  it('a watcher error after start (injected through the real subscription): fallback, never a throw', async () => {
    let fail: ((err: Error) => void) | undefined;
    const subscribe: typeof parcel.subscribe = async (dir, fn, opts) => {
      fail = (err) => void fn(err, []);
      return parcel.subscribe(dir, fn, opts);
    };
    const root = newRoot('lw-later');
    const { src, c, notices } = await watch(root, { subscribe, pollMs: 100 });
    await c.until('the start batch', () => c.fulls().includes('start'));
    writeFileSync(join(root, 'a'), 'a');
    await c.until('create a', () => c.has('a', 'create'));
    fail!(Object.assign(new Error('inotify_add_watch failed: No space left on device'), { code: 'ENOSPC' }));
    assert.equal(src.mode(), 'rescan-only');
    await c.until('fallback batches', () => c.fulls().filter((r) => r === 'watcher fallback').length >= 2);
    assert.equal(notices.length, 1);
    assert.match(notices[0], /^inotify watch limit reached/);
  });
});
