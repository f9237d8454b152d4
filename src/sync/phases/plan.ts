/**
 * Plan phase: march → compare → plan entries. The two listings (each filtered) are merge-joined, each
 * pair compared (those that need hashing `checkers` in flight, results in order), and every action
 * reported as a 'plan' event; transfers and deletions go to the run's spool, skips are only counted.
 * Entries travel in batches (arrays) from the listings to the comparison, so the pipeline's generators
 * run once per batch, not once per entry, and a pair decided without hashing costs no promise.
 * Watch passes listings restricted to changed paths.
 */
import { AbortError, isAbortError } from '../../core/errors.js';
import { throwIfAborted } from '../../core/abort.js';
import { decide, decideNow, NEEDS_HASHES, type PlanItem } from '../compare.js';
import { marchBatches, type MarchPair } from '../march.js';
import { LIST_PAGE_SIZE, listB2Batches } from '../remotes/b2.js';
import { walkLocalBatches } from '../remotes/local.js';
import { readAhead } from '../read-ahead.js';
import type { Side } from '../sides.js';
import type { SyncRun } from '../sync-run.js';
import type { Entry } from '../types.js';

/**
 * B2 batches read ahead of the march: about half a listing page (a batch is one network chunk of a
 * page, up to ~100 entries), so that the next page is requested while the current one is still being
 * marched. The local walk runs ahead on its own (see docs/sync.md, "Concurrency and memory").
 */
const B2_READ_AHEAD_BATCHES = Math.ceil(LIST_PAGE_SIZE / 2 / 100);

/** Both sides' listings, each in B2 order, in batches (arrays of entries). */
export interface Listings {
  src: AsyncIterable<Entry[]>;
  dst: AsyncIterable<Entry[]>;
}

function listSide(run: SyncRun, side: Side, role: 'source' | 'destination'): AsyncIterable<Entry[]> {
  const { opts } = run;
  const onError = (item: string, message: string) => {
    if (role === 'source') run.srcIncomplete++;
    run.error(item, `list ${role}: ${message}`);
  };
  if (side.kind === 'local')
    return walkLocalBatches(side.root, {
      copyLinks: opts.copyLinks,
      emptyDirMarkers: opts.createEmptySrcDirs,
      signal: opts.signal,
      onWarning: (item, message) => run.emit({ type: 'warning', item, message }),
      onError,
      // No B2 name can match it, so its absence from the listing cannot make a deletion wrong.
      onBadName: (item, message) => run.error(item, `list ${role}: ${message}`),
    });
  const listing = listB2Batches(side.client, side.bucketId, side.prefix, {
    markers: opts.createEmptySrcDirs,
    signal: opts.signal,
  });
  const toLocal = role === 'source' && run.dst.kind === 'local';
  return readAhead(toLocal ? noticingConflicts(listing, run) : listing, B2_READ_AHEAD_BATCHES);
}

/** A B2 source for a local destination: names that are both a file and a folder are noted as they pass. */
async function* noticingConflicts(listing: AsyncIterable<Entry[]>, run: SyncRun): AsyncGenerator<Entry[]> {
  for await (const batch of listing) {
    for (const e of batch) run.conflicts.add(e.path);
    yield batch;
  }
}

/** The full listings of both sides. */
export function openListings(run: SyncRun): Listings {
  return { src: listSide(run, run.src, 'source'), dst: listSide(run, run.dst, 'destination') };
}

async function* filtered(run: SyncRun, it: AsyncIterable<Entry[]>, counter: { n: number }): AsyncGenerator<Entry[]> {
  const filter = run.filter;
  for await (const batch of it) {
    const kept: Entry[] = [];
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i];
      if (e.kind === 'marker' ? filter.pathIncluded(e.path) : filter.includes(e.path, e.size, e.mtimeMs)) kept.push(e);
    }
    counter.n += kept.length;
    if (kept.length > 0) yield kept;
  }
}

/** Count, report and keep one planned item; no promise for one that needs no waiting (a skip, a dry run, a spool in memory). */
function acceptItem(run: SyncRun, item: PlanItem): Promise<void> | undefined {
  run.emit({ type: 'plan', action: item.action });
  if (item.action.action === 'skip') {
    run.summary.skipped++;
    return undefined;
  }
  if (item.action.action === 'delete') run.deletions++;
  if (run.keepPlan) run.summary.plan!.push(item.action);
  if (run.opts.dryRun) return undefined;
  return run.typeChanges ? run.typeChanges.add(item) : run.spool.push(item);
}

type Decision = { pair: MarchPair; item?: PlanItem; error?: unknown };

function acceptDecision(run: SyncRun, { pair, item, error }: Decision): Promise<void> | undefined {
  if (error !== undefined) {
    const message = `compare: ${error instanceof Error ? error.message : String(error)}`;
    run.error((pair.src ?? pair.dst)!.path, message);
    return undefined;
  }
  if (run.hasher) {
    const localEntry = run.src.kind === 'local' ? pair.src : pair.dst;
    if (localEntry?.sha1) run.hasher.record(localEntry, localEntry.sha1);
  }
  if (pair.src && pair.dst) run.summary.checked++;
  return item ? acceptItem(run, item) : undefined;
}

type Settled = { ok: true; d: Decision } | { ok: false; error: unknown };

/**
 * Decisions in march order. A pair decided at once is accepted at once, unless hashed pairs before
 * it are still in flight (up to `checkers`); then it queues behind them.
 */
class InOrder {
  private readonly queue: (Decision | Promise<Settled>)[] = [];

  constructor(private readonly run: SyncRun) {}

  /** Take the next pair; a promise only when something must be waited for. */
  add(pair: MarchPair): Promise<void> | undefined {
    const { run, queue } = this;
    let d: Decision;
    try {
      const now = decideNow(pair, run.cmp, run.hashes);
      if (now === NEEDS_HASHES) {
        queue.push(this.hashed(pair));
        return queue.length >= run.checkers ? this.takeOne() : undefined;
      }
      d = { pair, item: now };
    } catch (e) {
      d = { pair, error: e };
    }
    if (queue.length === 0) return acceptDecision(run, d);
    queue.push(d);
    return this.acceptReady();
  }

  /** Accept the queue's head while it is decided, or while `checkers` are queued. */
  private async acceptReady(): Promise<void> {
    const { queue } = this;
    while (queue.length > 0 && (!(queue[0] instanceof Promise) || queue.length >= this.run.checkers))
      await this.takeOne();
  }

  /** Accept whatever is still queued. */
  async drain(): Promise<void> {
    while (this.queue.length > 0) await this.takeOne();
  }

  private async takeOne(): Promise<void> {
    const head = this.queue.shift()!;
    let d: Decision;
    if (head instanceof Promise) {
      const s = await head;
      if (!s.ok) throw s.error;
      d = s.d;
    } else d = head;
    throwIfAborted(this.run.signal);
    await acceptDecision(this.run, d);
  }

  /** A pair compared by hashing; a failure to compare (an unreadable file) is reported and the pair left alone. */
  private async hashed(pair: MarchPair): Promise<Settled> {
    const { run } = this;
    try {
      return { ok: true, d: { pair, item: await decide(pair, run.cmp, run.hashes) } };
    } catch (e) {
      if (run.signal?.aborted || isAbortError(e)) return { ok: false, error: e };
      return { ok: true, d: { pair, error: e } };
    }
  }
}

/** Plan the run from the two listings; the spool then holds every transfer and deletion. */
export async function planPhase(run: SyncRun, listings: Listings): Promise<void> {
  const { signal } = run;
  let planned = false;
  try {
    const pairs = marchBatches(
      filtered(run, listings.src, run.counts.src),
      filtered(run, listings.dst, run.counts.dst),
    );
    const decisions = new InOrder(run);
    for await (const batch of pairs) {
      for (let i = 0; i < batch.length; i++) {
        if (signal?.aborted) throwIfAborted(signal);
        const waiting = decisions.add(batch[i]);
        if (waiting) await waiting;
      }
    }
    await decisions.drain();
    await run.typeChanges?.flush();
    planned = true;
  } catch (e) {
    await run.spool.dispose();
    if (isAbortError(e) || signal?.aborted) throw new AbortError('sync aborted');
    throw e;
  } finally {
    await run.hasher?.close(planned);
  }
}
