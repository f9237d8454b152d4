/**
 * The local → B2 jobs of the watch benchmark (bench/watch-bench.ts):
 *   latency  one change every gapMs to 50 small files (creates, then rewrites); each change's time
 *            from its writeFile returning to the listing showing its content SHA-1
 *   burst    1,000 new files written at once (32 at a time): first write → last one listed; then the
 *            same files by `rclone copy` and by a one-shot `b2sync sync`, to new prefixes
 *   idle     a tree of 10,000 files watched: CPU of the watcher over idle windows, then RSS before,
 *            during and after 10,000 changes (every file rewritten, in waves)
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha1, sleep, type Listing } from './bucket-poll.js';
import { RCLONE_BIN, REMOTE } from './rclone.js';
import { runMeasured, type Measured } from './sync-measure.js';
import { makeSmallTree, smallTreePath } from './sync-tree.js';
import type { WatchContext } from './watch-context.js';
import type { Stopped } from './watch-process.js';

export interface LatencyRun {
  settleMs: number;
  /** ms per change, in the order written. */
  latencies: number[];
  readyMs: number;
  stopped: Stopped;
  errors: string[];
}

/** A change's content: unique, 600–1600 bytes. */
function body(i: number, salt: string): Buffer {
  const head = `change ${i} ${salt}\n`;
  return Buffer.from(head + 'x'.repeat(600 + ((i * 7919) % 1000)) + '\n');
}

export async function latencyRun(
  ctx: WatchContext,
  o: { settleMs: number; changes: number; gapMs: number; timeoutMs?: number },
): Promise<LatencyRun> {
  const prefix = ctx.name(`lat${o.settleMs}`);
  const local = await ctx.folder(prefix);
  const w = await ctx.watcher({ local, prefix, from: 'local', opts: ['--settle', `${o.settleMs}ms`] });
  const latencies: number[] = new Array(o.changes).fill(NaN);
  try {
    const readyMs = await ctx.readyUp(w, local, prefix);
    const pending = new Map<string, { sha: string; at: number; i: number }>();
    const state = { writing: true, failed: undefined as unknown };
    const timeoutMs = o.timeoutMs ?? 60_000 + 10 * o.settleMs;
    const poller = (async () => {
      while (state.writing || pending.size) {
        const l: Listing = await ctx.poll.list(`${prefix}/`);
        const now = performance.now();
        for (const [name, p] of pending) {
          if (l.get(name) === p.sha) {
            latencies[p.i] = now - p.at;
            pending.delete(name);
          } else if (now - p.at > timeoutMs)
            throw new Error(`change ${p.i} (${name}) not listed after ${timeoutMs} ms`);
        }
        w.assertRunning();
        await sleep(20);
      }
    })().catch((e: unknown) => {
      state.failed = e;
    });
    const salt = String(Date.now());
    for (let i = 0; i < o.changes && !state.failed; i++) {
      const name = `f${String(i % 50).padStart(2, '0')}.txt`;
      while (pending.has(name) && !state.failed) await sleep(20); // never rewrite a file not yet listed
      const data = body(i, salt);
      await writeFile(join(local, name), data);
      pending.set(name, { sha: sha1(data), at: performance.now(), i });
      await sleep(o.gapMs);
    }
    state.writing = false;
    await poller;
    if (state.failed) throw state.failed;
    const stopped = await w.stop();
    return { settleMs: o.settleMs, latencies, readyMs, stopped, errors: w.errors() };
  } finally {
    await w.stop();
    await rm(local, { recursive: true, force: true });
  }
}

export interface BurstRun {
  files: number;
  /** First write → last object listed, ms. */
  watchMs: number;
  /** Writing the files alone, ms. */
  writeMs: number;
  rclone?: Measured;
  oneShot?: Measured;
  stopped: Stopped;
  errors: string[];
}

export async function burstRun(
  ctx: WatchContext,
  o: { files: number; settleMs: number; latencyMs: number; rclone: boolean },
): Promise<BurstRun> {
  const prefix = ctx.name('burst');
  const local = await ctx.folder(prefix);
  const w = await ctx.watcher({ local, prefix, from: 'local', opts: ['--settle', `${o.settleMs}ms`] });
  let watchMs = NaN;
  let writeMs = NaN;
  try {
    await ctx.readyUp(w, local, prefix);
    await ctx.control.setLatency(o.latencyMs);
    const tree = join(local, 'tree');
    const t0 = performance.now();
    const writing = makeSmallTree(tree, o.files, 1024, 4096).then(() => (writeMs = performance.now() - t0));
    const last = smallTreePath(o.files - 1);
    const done = await ctx.poll.until(`${prefix}/tree/`, (l) => l.size >= o.files && l.has(last), {
      intervalMs: 50,
      timeoutMs: 600_000,
      alive: () => w.assertRunning(),
      what: `burst of ${o.files}`,
    });
    watchMs = done - t0;
    await writing;
  } catch (e) {
    await w.stop();
    await ctx.control.setLatency(0);
    throw e;
  }
  const stopped = await w.stop();
  const tree = join(local, 'tree');
  const r: BurstRun = { files: o.files, watchMs, writeMs, stopped, errors: w.errors() };
  if (o.rclone) {
    r.rclone = await runMeasured(
      RCLONE_BIN,
      ['copy', tree, `${REMOTE}:${ctx.bucket}/${prefix}-rclone`],
      ctx.rcloneEnv(),
      ctx.scratch,
    );
    if (r.rclone.code !== 0) throw new Error(`rclone copy failed (${r.rclone.code}): ${r.rclone.stderrTail}`);
  }
  r.oneShot = await runMeasured(
    process.execPath,
    [ctx.bin, 'sync', tree, `b2://${ctx.bucket}/${prefix}-oneshot`],
    ctx.env(),
    ctx.scratch,
  );
  if (r.oneShot.code !== 0) throw new Error(`b2sync sync failed (${r.oneShot.code}): ${r.oneShot.stderrTail}`);
  await ctx.control.setLatency(0);
  await rm(local, { recursive: true, force: true });
  return r;
}

export interface IdleRun {
  files: number;
  initialMs: number;
  /** CPU seconds per second of wall time (1 = one core), per idle window. */
  idleCpu: number[];
  idleWindowMs: number;
  rssBefore: number;
  /** RSS after each wave of changes (after a short quiet spell). */
  rssWaves: number[];
  rssAfter: number;
  peakRss: number;
  changes: number;
  changesMs: number;
  /** Watcher CPU seconds spent on the changes (all waves). */
  changesCpu: number;
  stopped: Stopped;
  errors: string[];
}

const stamp = (i: number, wave: number) => Buffer.from(`file ${i} wave ${wave} ${'.'.repeat(i % 40)}\n`);

async function rewrite(root: string, from: number, to: number, wave: number, shas: Map<string, string>): Promise<void> {
  let next = from;
  const worker = async () => {
    for (let i = next++; i < to; i = next++) {
      const data = stamp(i, wave);
      await writeFile(join(root, smallTreePath(i)), data);
      shas.set(smallTreePath(i), sha1(data));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

export async function idleRun(
  ctx: WatchContext,
  o: { files: number; windows: number; windowMs: number; changes: number; waves: number },
): Promise<IdleRun> {
  const prefix = ctx.name('idle');
  const local = await ctx.folder(prefix);
  const shas = new Map<string, string>();
  await makeSmallTree(local, o.files, 16, 64);
  await rewrite(local, 0, o.files, 0, shas); // known contents (SHA-1 of each)
  const w = await ctx.watcher({ local, prefix, from: 'local', opts: [] });
  const alive = () => w.assertRunning();
  const allListed = (l: Listing) => [...shas].every(([k, v]) => l.get(k) === v);
  try {
    const t0 = performance.now();
    await ctx.poll.until(`${prefix}/`, allListed, {
      intervalMs: 1000,
      timeoutMs: 1_800_000,
      alive,
      what: 'first pass',
    });
    const initialMs = performance.now() - t0;
    await ctx.readyUp(w, local, prefix);
    await sleep(5000);
    const idleCpu: number[] = [];
    for (let k = 0; k < o.windows; k++) {
      const c0 = w.cpuSeconds();
      const s0 = performance.now();
      await sleep(o.windowMs);
      idleCpu.push((w.cpuSeconds() - c0) / ((performance.now() - s0) / 1000));
      alive();
    }
    const rssBefore = w.memory().rss;
    const rssWaves: number[] = [];
    const per = Math.ceil(o.changes / o.waves);
    const c1 = w.cpuSeconds();
    const t1 = performance.now();
    for (let done = 0, wave = 1; done < o.changes; done += per, wave++) {
      const n = Math.min(per, o.changes - done);
      const from = done % o.files;
      await rewrite(local, from, Math.min(o.files, from + n), wave, shas);
      await ctx.poll.until(`${prefix}/`, allListed, {
        intervalMs: 500,
        timeoutMs: 600_000,
        alive,
        what: `wave ${wave}`,
      });
      await sleep(2000);
      rssWaves.push(w.memory().rss);
    }
    const changesMs = performance.now() - t1;
    const changesCpu = w.cpuSeconds() - c1;
    await sleep(10_000);
    const { rss: rssAfter, peakRss } = w.memory();
    const stopped = await w.stop();
    return {
      files: o.files,
      initialMs,
      idleCpu,
      idleWindowMs: o.windowMs,
      rssBefore,
      rssWaves,
      rssAfter,
      peakRss,
      changes: o.changes,
      changesMs,
      changesCpu,
      stopped,
      errors: w.errors(),
    };
  } finally {
    await w.stop();
    await rm(local, { recursive: true, force: true });
  }
}
