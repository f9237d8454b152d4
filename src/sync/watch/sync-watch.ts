/**
 * runSyncWatch: `sync --watch` / `copy --watch` (docs/watch.md). First a full sync through runSync's
 * phases (printed as a one-shot sync is); then a loop over the merged change sources — the local
 * watcher when SRC is a folder, the --poll timer and the --events-listen webhooks when SRC is on B2 —
 * each batch planned over the paths it names (watch-pass.ts), a full batch over everything. Changes
 * arriving while a pass runs, or while B2 is away, wait in a bounded set (pending.ts); each pass runs
 * under Outage, so an outage is retried with backoff and caught up when the endpoint returns. A local
 * DST is not watched (nothing is pulled back from it: this is one-way sync). `signal` stops it: the
 * pass in flight is aborted through the same signal, the sources are closed, and it resolves.
 */
import { isAbortError } from '../../core/errors.js';
import { SafetyStopError } from '../errors.js';
import { checkDirection, describe, resolveSide, type Side } from '../sides.js';
import type { SyncEndpoint, SyncOptions, SyncSummary } from '../types.js';
import { mergeSources } from './merge-sources.js';
import { Outage } from './outage.js';
import { PendingChanges, DEFAULT_MAX_PENDING, type PendingWork } from './pending.js';
import { pollCost } from './remote-poll.js';
import { runPass, type PassContext } from './watch-pass.js';
import { TornCheck, watchEventMapper } from './watch-events.js';
import { openWatchSources, type LocalSourceOptions } from './watch-sources.js';

export type { LocalSourceOptions };
import type { ChangeSource, WatchEvent, WatchOptions } from './types.js';

export interface WatchStatusInfo {
  watching: number;
  pending: number;
  lastChange?: string;
}

export interface SyncWatchHooks {
  emit(e: WatchEvent): void;
  /** The first full sync is done (the CLI prints its summary as sync does). */
  onInitialSync?(summary: SyncSummary): void;
  /** Opens the local change source for a local SRC (the CLI: openLocalChanges). */
  openLocal?(root: string, o: LocalSourceOptions): ChangeSource | Promise<ChangeSource>;
  /** More sources, beside those the options ask for (tests push scripted batches through one). */
  sources?: ChangeSource[];
  status?(s: WatchStatusInfo): void;
  /** Backoff of the outage retries (default 1 s doubling to 60 s; tests shorten it). */
  outageBaseMs?: number;
  outageCapMs?: number;
}

interface Loop {
  pc: PassContext;
  pending: PendingChanges;
  torn: TornCheck;
  hooks: SyncWatchHooks;
  signal?: AbortSignal;
  lastChange?: string;
  timers: Set<NodeJS.Timeout>;
}

function stopReason(signal?: AbortSignal): string {
  const r: unknown = signal?.reason;
  return r instanceof Error && r.message && r.name !== 'AbortError' ? r.message : 'stopped';
}

function status(l: Loop): void {
  l.hooks.status?.({ watching: l.pc.totals.src, pending: l.pending.size, lastChange: l.lastChange });
}

async function pass(l: Loop, work: PendingWork): Promise<void> {
  const { pc, hooks } = l;
  const onEvent = watchEventMapper({
    dst: pc.dst,
    hardDelete: Boolean(pc.opts.hardDelete),
    dryRun: Boolean(pc.opts.dryRun),
    torn: l.torn,
    emit: hooks.emit,
    onChange: (p) => (l.lastChange = p),
  });
  await runPass(pc, work, onEvent);
}

/** One pending batch of work, under Outage: what a failed attempt took is put back for the next. */
async function step(l: Loop): Promise<void> {
  try {
    await l.pc.outage.run(async () => {
      const work = l.pending.take();
      if (!work.full && work.paths.size === 0) return;
      try {
        await pass(l, work);
      } catch (e) {
        l.pending.restore(work);
        throw e;
      }
    });
  } catch (e) {
    if (l.signal?.aborted || isAbortError(e)) return;
    const message = e instanceof Error ? e.message : String(e);
    // A safety stop or another failure of the whole pass: say so and keep watching (the paths are dropped;
    // the next full pass compares them again).
    l.pending.take();
    l.hooks.emit({ type: 'error', message: e instanceof SafetyStopError ? message : `pass failed: ${message}` });
  }
  status(l);
}

async function pump(l: Loop, source: ChangeSource, ended: { done: boolean }): Promise<void> {
  try {
    for (;;) {
      const b = await source.next();
      if (!b) break;
      l.pending.addBatch(b);
      status(l);
    }
  } catch (e) {
    if (!l.signal?.aborted) l.hooks.emit({ type: 'error', message: `change source failed: ${(e as Error).message}` });
  } finally {
    ended.done = true;
    l.pending.notify();
  }
}

async function initialSync(l: Loop, onEvent: SyncOptions['onEvent']): Promise<SyncSummary | undefined> {
  try {
    return await l.pc.outage.run(() =>
      runPass(l.pc, { full: true, paths: new Map() }, (e) => {
        l.torn.onEvent(e);
        onEvent?.(e);
      }),
    );
  } catch (e) {
    if (l.signal?.aborted && isAbortError(e)) return undefined;
    throw e;
  }
}

function startEvent(pc: PassContext, o: WatchOptions): WatchEvent {
  const polled = pc.src.kind === 'b2';
  const cost = pollCost(pc.totals.src, o.pollMs);
  return {
    type: 'watch',
    action: 'start',
    root: describe(pc.srcEp),
    remote: describe(pc.dstEp),
    pollMs: polled ? o.pollMs : 0,
    classCPerPoll: polled ? cost.perPoll : 0,
    classCPerDay: polled ? cost.perDay : 0,
  };
}

async function sides(srcEp: SyncEndpoint, dstEp: SyncEndpoint): Promise<{ src: Side; dst: Side }> {
  const src = await resolveSide(srcEp, 'source');
  const dst = await resolveSide(dstEp, 'destination');
  checkDirection(src, dst, srcEp, dstEp);
  return { src, dst };
}

export async function runSyncWatch(
  srcEp: SyncEndpoint,
  dstEp: SyncEndpoint,
  syncOpts: SyncOptions,
  watchOpts: WatchOptions,
  hooks: SyncWatchHooks,
): Promise<void> {
  const signal = syncOpts.signal;
  const { src, dst } = await sides(srcEp, dstEp);
  const outage = new Outage({ emit: hooks.emit, signal, baseMs: hooks.outageBaseMs, capMs: hooks.outageCapMs });
  const pc: PassContext = {
    srcEp,
    dstEp,
    src,
    dst,
    opts: { ...syncOpts, onEvent: undefined },
    outage,
    totals: { src: 0, dst: 0 },
  };
  const l: Loop = {
    pc,
    pending: new PendingChanges(DEFAULT_MAX_PENDING),
    hooks,
    signal,
    timers: new Set(),
    torn: undefined as never,
  };
  l.torn = new TornCheck(src, (path) => requeueLater(l, path, watchOpts.settleMs));
  const summary = await initialSync(l, syncOpts.onEvent);
  if (summary) hooks.onInitialSync?.(summary);
  if (signal?.aborted) return stop(l);
  const sources = await openWatchSources({ src, watchOpts, hooks, signal });
  hooks.emit(startEvent(pc, watchOpts));
  if (pc.opts.dryRun) hooks.emit({ type: 'notice', message: 'dry run: changes are reported, nothing is changed' });
  const merged = mergeSources(sources, signal);
  const ended = { done: false };
  const pumping = pump(l, merged, ended);
  status(l);
  while (!signal?.aborted && !(ended.done && l.pending.empty)) {
    await l.pending.wait(signal);
    if (signal?.aborted) break;
    if (!l.pending.empty) await step(l);
  }
  await merged.close();
  await pumping;
  stop(l);
}

function requeueLater(l: Loop, path: string, settleMs: number): void {
  l.hooks.emit({ type: 'notice', message: `${path} changed while it was uploaded: it goes up again once it settles` });
  const t = setTimeout(() => {
    l.timers.delete(t);
    l.pending.addPath(path, 'update');
  }, settleMs);
  t.unref();
  l.timers.add(t);
}

function stop(l: Loop): void {
  for (const t of l.timers) clearTimeout(t);
  l.timers.clear();
  l.hooks.emit({ type: 'watch', action: 'stop', reason: stopReason(l.signal) });
}
