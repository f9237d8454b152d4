/**
 * runSync: march → compare → plan → execute.
 *
 * 1. Plan: the two listings (local walk / B2 listing, each filtered) are merge-joined; each pair is
 *    compared (checkers in flight, results kept in order); transfers and deletions go to a PlanSpool
 *    (memory, then disk), skips are only counted. Every action is reported as a 'plan' event.
 * 2. Safety stop, on the complete plan and before any change: SRC empty or missing, or more than half of
 *    DST to be deleted → SafetyStopError unless force.
 * 3. Execute (not in a dry run): transfers (and, with deleteMode 'during', deletions) with `transfers`
 *    in flight; then, with deleteMode 'after', deletions — only when every transfer succeeded.
 */
import { mkdir } from 'node:fs/promises';
import pLimit from 'p-limit';
import { DEFAULTS, type TransferTuning } from '../transfer/index.js';
import { AbortError, isAbortError } from '../core/errors.js';
import { decide, DEFAULT_MODIFY_WINDOW_MS, type CompareOptions, type HashSources, type PlanItem } from './compare.js';
import { SafetyStopError } from './errors.js';
import { deleteItem, pruneEmptyDirs, transferItem, type ExecContext } from './execute.js';
import { Filter } from './filter-rules.js';
import { LocalHasher } from './hash-cache.js';
import { march } from './march.js';
import { orderedMap } from './ordered-map.js';
import { PlanSpool } from './plan-spool.js';
import { LIST_PAGE_SIZE, listB2 } from './remotes/b2.js';
import { readAhead } from './read-ahead.js';
import { TypeChangeDetector } from './type-change.js';
import { walkLocal } from './remotes/local.js';
import { checkDirection, describe, missingSource, resolveSide, type Side } from './sides.js';
import type { Entry, PlanAction, SyncEndpoint, SyncEvent, SyncOptions, SyncSummary } from './types.js';

export const DEFAULT_TRANSFERS = 16;
export const DEFAULT_CHECKERS = 16;
/**
 * B2 entries read ahead of the march: half a listing page, so that the next page is requested while
 * half of the current one is still to be marched, without holding a whole page of entries besides the
 * page itself. The local walk is not read ahead: it stats synchronously in small batches and yields to
 * the event loop between them, so the listing's HTTP keeps flowing meanwhile.
 */
const B2_READ_AHEAD = LIST_PAGE_SIZE / 2;

function listSide(side: Side, opts: SyncOptions, emit: (e: SyncEvent) => void, onError: (item: string, message: string) => void): AsyncIterable<Entry> {
  if (side.kind === 'local')
    return walkLocal(side.root, {
      copyLinks: opts.copyLinks,
      emptyDirMarkers: opts.createEmptySrcDirs,
      signal: opts.signal,
      onWarning: (item, message) => emit({ type: 'warning', item, message }),
      onError,
    });
  return readAhead(listB2(side.client, side.bucketId, side.prefix, { markers: opts.createEmptySrcDirs, signal: opts.signal }), B2_READ_AHEAD);
}

async function* filtered(it: AsyncIterable<Entry>, filter: Filter, counter: { n: number }): AsyncGenerator<Entry> {
  for await (const e of it) {
    const keep = e.kind === 'marker' ? filter.pathIncluded(e.path) : filter.includes(e.path, e.size, e.mtimeMs);
    if (!keep) continue;
    counter.n++;
    yield e;
  }
}

/** Size from which a transfer runs several parts (or streams) at once. */
function largeCutoffFor(action: 'upload' | 'download' | 'copy', tuning?: TransferTuning & { largeCopyCutoff?: number }): number {
  if (action === 'upload') return tuning?.largeFileCutoff ?? DEFAULTS.largeFileCutoff;
  if (action === 'download') return tuning?.downloadParallelCutoff ?? DEFAULTS.downloadParallelCutoff;
  return tuning?.largeCopyCutoff ?? DEFAULTS.largeCopyCutoff;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortError('sync aborted');
}

export async function runSync(srcEp: SyncEndpoint, dstEp: SyncEndpoint, opts: SyncOptions): Promise<SyncSummary> {
  const started = Date.now();
  const emit = (e: SyncEvent) => opts.onEvent?.(e);
  const signal = opts.signal;
  const summary: SyncSummary = { transferred: { files: 0, bytes: 0 }, checked: 0, deleted: 0, skipped: 0, errors: [], elapsedMs: 0 };
  const keepPlan = opts.keepPlan ?? opts.dryRun ?? false;
  if (keepPlan) summary.plan = [];
  const sync = opts.mode === 'sync';

  const src = await resolveSide(srcEp, 'source');
  const dst = await resolveSide(dstEp, 'destination');
  const transferAction = checkDirection(src, dst, srcEp, dstEp);
  const srcMissing = src.kind === 'local' && src.state === 'missing';
  if (srcMissing && !sync) throw missingSource(srcEp);

  const cmp: CompareOptions = {
    mode: opts.mode,
    compare: opts.compare ?? 'size-mtime',
    modifyWindowMs: opts.modifyWindowMs ?? DEFAULT_MODIFY_WINDOW_MS,
    update: opts.update,
    ignoreExisting: opts.ignoreExisting,
    transferAction,
  };
  const filter = new Filter(opts.filters, opts.now ?? Date.now());
  const checkers = Math.max(1, opts.checkers ?? DEFAULT_CHECKERS);
  const transfers = Math.max(1, opts.transfers ?? DEFAULT_TRANSFERS);

  // --checksum: the local side is hashed (through the cache); B2 SHA-1s come from the listing.
  let hasher: LocalHasher | undefined;
  let hashes: HashSources | undefined;
  if (cmp.compare === 'checksum') {
    const localSide = src.kind === 'local' ? src : dst.kind === 'local' ? dst : undefined;
    if (localSide) {
      hasher = new LocalHasher(localSide.root, opts.hashCacheDir, signal);
      await hasher.open();
    }
    const sha = (side: Side) => async (e: Entry) => {
      if (side.kind === 'b2') return e.sha1;
      const h = await hasher!.sha1(e);
      e.sha1 = h;
      return h;
    };
    hashes = {
      src: sha(src),
      dst: sha(dst),
      onFallback: (item, message) => emit({ type: 'note', item, message }),
    };
  }

  // ---- 1. plan
  const spool = new PlanSpool();
  const counts = { src: { n: 0 }, dst: { n: 0 } };
  let deletions = 0;
  /** Source entries that could not be read: their destination copies would look like extras. */
  let srcIncomplete = 0;
  let planned = false;
  const typeChanges = dst.kind === 'local' ? new TypeChangeDetector((it) => spool.push(it)) : undefined;
  try {
    const listingError = (side: 'source' | 'destination') => (item: string, message: string) => {
      if (side === 'source') srcIncomplete++;
      summary.errors.push({ item, message: `list ${side}: ${message}` });
      emit({ type: 'error', item, message: `list ${side}: ${message}` });
    };
    const pairs = march(
      filtered(listSide(src, opts, emit, listingError('source')), filter, counts.src),
      filtered(listSide(dst, opts, emit, listingError('destination')), filter, counts.dst),
    );
    // A pair whose comparison fails (an unreadable file while hashing) is reported and left alone.
    const decisions = orderedMap(pairs, checkers, async (pair) => {
      try {
        return { pair, item: await decide(pair, cmp, hashes) };
      } catch (e) {
        if (signal?.aborted || isAbortError(e)) throw e;
        return { pair, item: undefined, error: e };
      }
    });
    for await (const { pair, item, error } of decisions) {
      throwIfAborted(signal);
      if (error !== undefined) {
        const path = (pair.src ?? pair.dst)!.path;
        const message = `compare: ${error instanceof Error ? error.message : String(error)}`;
        summary.errors.push({ item: path, message });
        emit({ type: 'error', item: path, message });
        continue;
      }
      if (hasher) {
        const localEntry = src.kind === 'local' ? pair.src : pair.dst;
        if (localEntry?.sha1) hasher.record(localEntry, localEntry.sha1);
      }
      if (pair.src && pair.dst) summary.checked++;
      if (!item) continue;
      emit({ type: 'plan', action: item.action });
      if (item.action.action === 'skip') {
        summary.skipped++;
        continue;
      }
      if (item.action.action === 'delete') deletions++;
      if (keepPlan) summary.plan!.push(item.action);
      if (opts.dryRun) continue;
      if (typeChanges) await typeChanges.add(item);
      else await spool.push(item);
    }
    await typeChanges?.flush();
    planned = true;
  } catch (e) {
    await spool.dispose();
    if (isAbortError(e) || signal?.aborted) throw new AbortError('sync aborted');
    throw e;
  } finally {
    await hasher?.close(planned);
  }

  try {
    // ---- 2. safety stop
    if (sync && deletions > 0 && !opts.force) {
      const dstFiles = counts.dst.n;
      if (srcMissing || counts.src.n === 0)
        throw new SafetyStopError(
          `refusing to sync: the source ${describe(srcEp)} is ${srcMissing ? 'missing' : filter.empty ? 'empty' : 'empty (after filters)'}, so every one of the ${dstFiles} files on the destination would be deleted; use --force to do it anyway`,
          deletions,
          dstFiles,
        );
      if (deletions * 2 > dstFiles)
        throw new SafetyStopError(
          `refusing to sync: ${deletions} of the ${dstFiles} files on the destination ${describe(dstEp)} would be deleted (more than half); use --force to do it anyway`,
          deletions,
          dstFiles,
        );
    }
    if (opts.dryRun) {
      summary.elapsedMs = Date.now() - started;
      return summary;
    }

    // ---- 3. execute
    await spool.seal();
    const cx: ExecContext = {
      src,
      dst,
      tuning: opts.tuning,
      hardDelete: opts.hardDelete,
      signal,
      onProgress: (path, p) => emit({ type: 'progress', path, bytes: p.bytes, totalBytes: p.totalBytes }),
    };
    if (dst.kind === 'local' && spool.count > 0) {
      await mkdir(dst.root, { recursive: true });
    }
    const limit = pLimit(transfers);
    // Large files run their own parts in parallel (tuning.partConcurrency, default 4): bound how many
    // run at once so that parts in flight over all files stay within max(transfers, partConcurrency).
    const partConcurrency = Math.max(1, opts.tuning?.partConcurrency ?? DEFAULTS.partConcurrency);
    const largeLimit = pLimit(Math.max(1, Math.floor(Math.max(transfers, partConcurrency) / partConcurrency)));
    const largeCutoff = largeCutoffFor(transferAction, opts.tuning);
    const inFlight = new Set<Promise<void>>();
    let transferFailures = 0;
    let deletesStarted = 0;
    let deletesRefused = 0;
    const maxDelete = opts.maxDelete;
    const deletedLocal: string[] = [];

    const fail = (action: PlanAction, e: unknown) => {
      if (signal?.aborted && isAbortError(e)) return;
      const message = e instanceof Error ? e.message : String(e);
      summary.errors.push({ item: action.path, message: `${action.action}: ${message}` });
      emit({ type: 'error', item: action.path, message: `${action.action}: ${message}` });
    };
    const schedule = async (it: PlanItem) => {
      // Bounded queue: at most 2 × transfers items scheduled at once.
      while (inFlight.size >= transfers * 2) await Promise.race(inFlight);
      const isLarge = it.action.action !== 'delete' && (it.action.size ?? 0) >= largeCutoff;
      const run = (fn: () => Promise<void>) => (isLarge ? largeLimit(() => limit(fn)) : limit(fn));
      const p: Promise<void> = run(async () => {
        if (signal?.aborted) return;
        emit({ type: 'start', action: it.action });
        try {
          if (it.action.action === 'delete') {
            await deleteItem(it, cx);
            summary.deleted++;
            if (cx.dst.kind === 'local' && it.dst?.localPath && deletedLocal.length < 100_000) deletedLocal.push(it.dst.localPath);
          } else {
            const bytes = await transferItem(it, cx);
            summary.transferred.files++;
            summary.transferred.bytes += bytes;
          }
          emit({ type: 'done', action: it.action });
        } catch (e) {
          if (it.action.action !== 'delete') transferFailures++;
          fail(it.action, e);
        }
      }).finally(() => inFlight.delete(p));
      inFlight.add(p);
    };
    const scheduleDelete = async (it: PlanItem) => {
      if (maxDelete !== undefined && deletesStarted >= maxDelete) {
        deletesRefused++;
        return;
      }
      deletesStarted++;
      await schedule(it);
    };

    const deleteDuring = (opts.deleteMode ?? 'after') === 'during';
    // Part of the source could not be read: its destination copies would look like extras, so no
    // deletion is done at all (type-change deletions included).
    const deletionsBlocked = srcIncomplete > 0 && deletions > 0;
    if (deletionsBlocked) {
      const message = `${deletions} deletion(s) not done because ${srcIncomplete} source item(s) could not be read`;
      summary.errors.push({ item: describe(srcEp), message });
      emit({ type: 'warning', message });
    }
    if (!deletionsBlocked && typeChanges && typeChanges.earlyCount > 0 && dst.kind === 'local') {
      // File ↔ folder changes: clear the way before any transfer.
      const early: string[] = [];
      for await (const it of spool.items()) {
        if (signal?.aborted) break;
        if (it.early) {
          await scheduleDelete(it);
          if (it.dst?.localPath && early.length < 100_000) early.push(it.dst.localPath);
        }
      }
      await Promise.all(inFlight);
      throwIfAborted(signal);
      for (const p of early) await pruneEmptyDirs(dst.root, p);
    }
    for await (const it of spool.items()) {
      if (signal?.aborted) break;
      if (it.action.action === 'delete') {
        if (deleteDuring && !it.early && !deletionsBlocked) await scheduleDelete(it);
      } else await schedule(it);
    }
    await Promise.all(inFlight);
    throwIfAborted(signal);

    const lateDeletions = deletions - (typeChanges?.earlyCount ?? 0);
    if (sync && !deleteDuring && lateDeletions > 0 && !deletionsBlocked) {
      if (transferFailures > 0) {
        const message = `${lateDeletions} deletion(s) not done because ${transferFailures} transfer(s) failed (deletions happen only after every transfer succeeded)`;
        summary.errors.push({ item: describe(dstEp), message });
        emit({ type: 'warning', message });
      } else {
        for await (const it of spool.items()) {
          if (signal?.aborted) break;
          if (it.action.action === 'delete' && !it.early) await scheduleDelete(it);
        }
        await Promise.all(inFlight);
        throwIfAborted(signal);
        if (dst.kind === 'local' && !opts.createEmptySrcDirs) for (const p of deletedLocal) await pruneEmptyDirs(dst.root, p);
      }
    }
    if (deletesRefused > 0) {
      const message = `--max-delete ${maxDelete} reached: ${deletesRefused} file(s) not deleted`;
      summary.errors.push({ item: describe(dstEp), message });
      emit({ type: 'error', item: describe(dstEp), message });
    }
    summary.elapsedMs = Date.now() - started;
    return summary;
  } finally {
    await spool.dispose();
  }
}
