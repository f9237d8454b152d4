/**
 * Plan phase: march → compare → plan entries. The two listings (each filtered) are merge-joined, each
 * pair compared (`checkers` in flight, results in order), and every action reported as a 'plan'
 * event; transfers and deletions go to the run's spool, skips are only counted. Watch passes listings
 * restricted to changed paths; bisync plans on its own and hands its items to `acceptPlanned`.
 */
import { AbortError, isAbortError } from '../../core/errors.js';
import { throwIfAborted } from '../../core/abort.js';
import { decide, type PlanItem } from '../compare.js';
import { march, type MarchPair } from '../march.js';
import { orderedMap } from '../ordered-map.js';
import { LIST_PAGE_SIZE, listB2 } from '../remotes/b2.js';
import { walkLocal } from '../remotes/local.js';
import { readAhead } from '../read-ahead.js';
import type { Side } from '../sides.js';
import type { SyncRun } from '../sync-run.js';
import type { Entry } from '../types.js';

/**
 * B2 entries read ahead of the march: half a listing page, so that the next page is requested while
 * half of the current one is still to be marched. The local walk is not read ahead: it stats in small
 * batches and yields to the event loop between them (see docs/sync.md, "Concurrency and memory").
 */
const B2_READ_AHEAD = LIST_PAGE_SIZE / 2;

export interface Listings {
  src: AsyncIterable<Entry>;
  dst: AsyncIterable<Entry>;
}

function listSide(run: SyncRun, side: Side, role: 'source' | 'destination'): AsyncIterable<Entry> {
  const { opts } = run;
  const onError = (item: string, message: string) => {
    if (role === 'source') run.srcIncomplete++;
    run.error(item, `list ${role}: ${message}`);
  };
  if (side.kind === 'local')
    return walkLocal(side.root, {
      copyLinks: opts.copyLinks,
      emptyDirMarkers: opts.createEmptySrcDirs,
      signal: opts.signal,
      onWarning: (item, message) => run.emit({ type: 'warning', item, message }),
      onError,
      // No B2 name can match it, so its absence from the listing cannot make a deletion wrong.
      onBadName: (item, message) => run.error(item, `list ${role}: ${message}`),
    });
  const listing = listB2(side.client, side.bucketId, side.prefix, {
    markers: opts.createEmptySrcDirs,
    signal: opts.signal,
  });
  const toLocal = role === 'source' && run.dst.kind === 'local';
  return readAhead(toLocal ? noticingConflicts(listing, run) : listing, B2_READ_AHEAD);
}

/** A B2 source for a local destination: names that are both a file and a folder are noted as they pass. */
async function* noticingConflicts(listing: AsyncIterable<Entry>, run: SyncRun): AsyncGenerator<Entry> {
  for await (const e of listing) {
    run.conflicts.add(e.path);
    yield e;
  }
}

/** The full listings of both sides. */
export function openListings(run: SyncRun): Listings {
  return { src: listSide(run, run.src, 'source'), dst: listSide(run, run.dst, 'destination') };
}

async function* filtered(run: SyncRun, it: AsyncIterable<Entry>, counter: { n: number }): AsyncGenerator<Entry> {
  for await (const e of it) {
    const keep = e.kind === 'marker' ? run.filter.pathIncluded(e.path) : run.filter.includes(e.path, e.size, e.mtimeMs);
    if (!keep) continue;
    counter.n++;
    yield e;
  }
}

/** Count, report and keep one planned item (from this planner or another, such as bisync's). */
export async function acceptPlanned(run: SyncRun, item: PlanItem): Promise<void> {
  run.emit({ type: 'plan', action: item.action });
  if (item.action.action === 'skip') {
    run.summary.skipped++;
    return;
  }
  if (item.action.action === 'delete') run.deletions++;
  if (run.keepPlan) run.summary.plan!.push(item.action);
  if (run.opts.dryRun) return;
  if (run.typeChanges) await run.typeChanges.add(item);
  else await run.spool.push(item);
}

type Decision = { pair: MarchPair; item?: PlanItem; error?: unknown };

async function acceptDecision(run: SyncRun, { pair, item, error }: Decision): Promise<void> {
  if (error !== undefined) {
    const message = `compare: ${error instanceof Error ? error.message : String(error)}`;
    run.error((pair.src ?? pair.dst)!.path, message);
    return;
  }
  if (run.hasher) {
    const localEntry = run.src.kind === 'local' ? pair.src : pair.dst;
    if (localEntry?.sha1) run.hasher.record(localEntry, localEntry.sha1);
  }
  if (pair.src && pair.dst) run.summary.checked++;
  if (item) await acceptPlanned(run, item);
}

/** Plan the run from the two listings; the spool then holds every transfer and deletion. */
export async function planPhase(run: SyncRun, listings: Listings): Promise<void> {
  const { signal } = run;
  let planned = false;
  try {
    const pairs = march(filtered(run, listings.src, run.counts.src), filtered(run, listings.dst, run.counts.dst));
    // A pair whose comparison fails (an unreadable file while hashing) is reported and left alone.
    const decisions = orderedMap(pairs, run.checkers, async (pair): Promise<Decision> => {
      try {
        return { pair, item: await decide(pair, run.cmp, run.hashes) };
      } catch (e) {
        if (signal?.aborted || isAbortError(e)) throw e;
        return { pair, error: e };
      }
    });
    for await (const d of decisions) {
      throwIfAborted(signal);
      await acceptDecision(run, d);
    }
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
