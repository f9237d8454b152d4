/**
 * runCheck: compare two trees (local or B2, either side) without changing anything. The two listings
 * (filtered as sync filters them) are merge-joined by the march; each pair is compared by size and
 * SHA-1 (compare-pair.ts), `checkers` in flight, and reported in march order. Nothing holds the tree:
 * memory is the listings' read-ahead plus the pairs in flight.
 */
import { AbortError, NotFoundError, isAbortError } from '../../core/errors.js';
import { throwIfAborted } from '../../core/abort.js';
import { Filter } from '../filter-rules.js';
import { LocalHasher } from '../hash-cache.js';
import { marchBatches, type MarchPair } from '../march.js';
import { readAhead } from '../read-ahead.js';
import { LIST_PAGE_SIZE, listB2Batches } from '../remotes/b2.js';
import { walkLocalBatches } from '../remotes/local.js';
import { describe, resolveSide } from '../sides.js';
import type { Entry, SyncEndpoint } from '../types.js';
import { comparePair, type CheckSide, type PairContext, type PairOutcome } from './compare-pair.js';
import type { CheckEvent, CheckOptions, CheckSummary } from './types.js';

export const DEFAULT_CHECK_CHECKERS = 8;
const B2_READ_AHEAD_BATCHES = Math.ceil(LIST_PAGE_SIZE / 2 / 100);

type Judged = { pair: MarchPair; outcome?: PairOutcome; error?: string };

class CheckRun {
  readonly started = Date.now();
  readonly summary: CheckSummary = {
    matching: 0,
    sizeOnly: 0,
    missingOnSource: 0,
    missingOnDestination: 0,
    differing: 0,
    errors: 0,
    hashed: 0,
    elapsedMs: 0,
  };
  readonly filter: Filter;

  constructor(
    readonly ctx: PairContext,
    readonly opts: CheckOptions,
  ) {
    this.filter = new Filter(opts.filters, opts.now ?? Date.now());
  }

  emit(e: CheckEvent): void {
    if (e.type === 'error') this.summary.errors++;
    this.opts.onEvent?.(e);
  }

  list(s: CheckSide): AsyncIterable<Entry[]> {
    const { signal } = this.opts;
    if (s.side.kind === 'b2')
      return readAhead(listB2Batches(s.side.client, s.side.bucketId, s.side.prefix, { signal }), B2_READ_AHEAD_BATCHES);
    const onError = (item: string, message: string) =>
      this.emit({ type: 'error', item, message: `list ${s.role}: ${message}` });
    return walkLocalBatches(s.side.root, {
      signal,
      onWarning: (item, message) => this.emit({ type: 'warning', item, message }),
      onError,
      onBadName: onError,
    });
  }

  async *filtered(it: AsyncIterable<Entry[]>): AsyncGenerator<Entry[]> {
    for await (const batch of it) {
      const kept = batch.filter((e) => e.kind === 'file' && this.filter.includes(e.path, e.size, e.mtimeMs));
      if (kept.length > 0) yield kept;
    }
  }

  /** Compare one pair; never rejects, except when the run is aborted. */
  async judge(pair: MarchPair): Promise<Judged> {
    if (!pair.src || !pair.dst) return { pair };
    try {
      return { pair, outcome: await comparePair(pair.src, pair.dst, this.ctx) };
    } catch (e) {
      if (this.opts.signal?.aborted || isAbortError(e)) throw e;
      return { pair, error: `compare: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /** Count and report one judged pair, in march order (the hash cache is written in that order too). */
  report({ pair, outcome, error }: Judged): void {
    const { src, dst } = pair;
    const s = this.summary;
    if (!dst) {
      s.missingOnDestination++;
      this.emit({
        type: 'difference',
        kind: 'missing-on-destination',
        path: src!.path,
        reason: 'only on the source',
        srcSize: src!.size,
      });
      return;
    }
    if (!src) {
      if (this.opts.oneWay) return;
      s.missingOnSource++;
      this.emit({
        type: 'difference',
        kind: 'missing-on-source',
        path: dst.path,
        reason: 'only on the destination',
        dstSize: dst.size,
      });
      return;
    }
    if (error !== undefined || !outcome)
      return this.emit({ type: 'error', item: src.path, message: error ?? 'not compared' });
    for (const [e, cs] of [
      [src, this.ctx.src],
      [dst, this.ctx.dst],
    ] as const)
      if (cs.hasher && e.sha1) cs.hasher.record(e, e.sha1);
    if (outcome.kind === 'differ') {
      s.differing++;
      this.emit({
        type: 'difference',
        kind: 'differ',
        path: src.path,
        reason: outcome.reason,
        srcSize: src.size,
        dstSize: dst.size,
      });
    } else if (outcome.kind === 'size-only') {
      s.sizeOnly++;
      this.emit({ type: 'note', item: src.path, message: outcome.why });
      this.emit({ type: 'match', path: src.path, by: 'size' });
    } else {
      s.matching++;
      this.emit({ type: 'match', path: src.path, by: outcome.by });
    }
  }

  /** The march, with up to `checkers` pairs in flight, reported in order. */
  async marchAll(): Promise<void> {
    const checkers = Math.max(1, this.opts.checkers ?? DEFAULT_CHECK_CHECKERS);
    const window: Promise<Judged>[] = [];
    const pairs = marchBatches(this.filtered(this.list(this.ctx.src)), this.filtered(this.list(this.ctx.dst)));
    for await (const batch of pairs) {
      for (const pair of batch) {
        throwIfAborted(this.opts.signal);
        const p = this.judge(pair);
        p.catch(() => undefined); // awaited below, in order; an abort must not surface as unhandled first
        window.push(p);
        if (window.length >= checkers) this.report(await window.shift()!);
      }
    }
    while (window.length > 0) this.report(await window.shift()!);
  }
}

async function checkSide(ep: SyncEndpoint, role: 'source' | 'destination', o: CheckOptions): Promise<CheckSide> {
  const side = await resolveSide(ep, role);
  if (side.kind === 'local' && side.state === 'missing')
    throw new NotFoundError(`${role} folder ${describe(ep)} does not exist`);
  if (side.kind === 'b2' || o.download) return { side, role };
  const hasher = new LocalHasher(side.root, o.hashCacheDir, o.signal);
  return { side, role, hasher };
}

/** Compare SRC with DST; differences, notes and errors arrive as events, the counts in the summary. */
export async function runCheck(
  srcEp: SyncEndpoint,
  dstEp: SyncEndpoint,
  opts: CheckOptions = {},
): Promise<CheckSummary> {
  const src = await checkSide(srcEp, 'source', opts);
  const dst = await checkSide(dstEp, 'destination', opts);
  // Two local sides of one tree would share a cache file: the second one hashes without it.
  if (
    src.hasher &&
    dst.hasher &&
    src.side.kind === 'local' &&
    dst.side.kind === 'local' &&
    src.side.root === dst.side.root
  )
    dst.hasher = new LocalHasher(dst.side.root, undefined, opts.signal);
  const run = new CheckRun({ src, dst, download: Boolean(opts.download), signal: opts.signal }, opts);
  let complete = false;
  try {
    await src.hasher?.open();
    await dst.hasher?.open();
    await run.marchAll();
    complete = true;
  } catch (e) {
    if (isAbortError(e) || opts.signal?.aborted) throw new AbortError('check aborted');
    throw e;
  } finally {
    await Promise.allSettled([src.hasher?.close(complete), dst.hasher?.close(complete)]);
  }
  run.summary.hashed = (src.hasher?.hashed ?? 0) + (dst.hasher?.hashed ?? 0);
  run.summary.elapsedMs = Date.now() - run.started;
  return run.summary;
}
