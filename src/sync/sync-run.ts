/**
 * SyncRun: the one state object a run's phases share — options, resolved sides, compare settings,
 * the plan spool, counters, failures, events and the abort signal. Phases (phases/*.ts) take it and
 * nothing else, so bisync and watch can build their own runs and reuse the phases they need.
 */
import { UsageError } from '../core/errors.js';
import { DEFAULTS } from '../transfer/index.js';
import { DEFAULT_MODIFY_WINDOW_MS, type CompareOptions, type HashSources } from './compare.js';
import type { ExecContext } from './execute.js';
import { Filter } from './filter-rules.js';
import { LocalHasher } from './hash-cache.js';
import { PlanSpool } from './plan-spool.js';
import { FileFolderConflicts } from './remotes/local-path.js';
import { Scheduler } from './scheduler.js';
import { checkDirection, missingSource, resolveSide, type Side } from './sides.js';
import { TypeChangeDetector } from './type-change.js';
import type { Rename } from './phases/renames.js';
import type { Entry, SyncEndpoint, SyncEvent, SyncOptions, SyncSummary } from './types.js';

export const DEFAULT_TRANSFERS = 16;
export const DEFAULT_CHECKERS = 16;

export interface SyncRunInit {
  srcEp: SyncEndpoint;
  dstEp: SyncEndpoint;
  src: Side;
  dst: Side;
  opts: SyncOptions;
  /** Share one scheduler between runs; default: a new one from opts. */
  scheduler?: Scheduler;
}

export class SyncRun {
  readonly started = Date.now();
  readonly srcEp: SyncEndpoint;
  readonly dstEp: SyncEndpoint;
  readonly src: Side;
  readonly dst: Side;
  readonly opts: SyncOptions;
  readonly signal?: AbortSignal;
  readonly sync: boolean;
  readonly keepPlan: boolean;
  readonly srcMissing: boolean;
  readonly transferAction: CompareOptions['transferAction'];
  readonly cmp: CompareOptions;
  readonly filter: Filter;
  readonly checkers: number;
  readonly transfers: number;
  readonly summary: SyncSummary;
  readonly spool = new PlanSpool();
  /** Set on a local destination: finds file ↔ folder changes while the plan streams. */
  readonly typeChanges?: TypeChangeDetector;
  readonly scheduler: Scheduler;
  readonly exec: ExecContext;
  hasher?: LocalHasher;
  hashes?: HashSources;
  /** Entries listed (after filters) on each side. */
  readonly counts = { src: { n: 0 }, dst: { n: 0 } };
  /** Deletions planned. */
  deletions = 0;
  /** Source entries that could not be read: their destination copies would look like extras. */
  srcIncomplete = 0;
  transferFailures = 0;
  deletesStarted = 0;
  deletesRefused = 0;
  /** B2 → local: source names that are both a file and a folder on B2 (their files are not written). */
  readonly conflicts = new FileFolderConflicts();
  /** --track-renames: the renames matched after planning, and both paths of each (their plain actions skipped). */
  readonly renames: Rename[] = [];
  readonly renamedPaths = new Set<string>();
  /** Told of each failed item with its error (watch: an outage requeues the pass instead of giving up). */
  onItemError?: (path: string, err: unknown) => void;
  /** Local paths deleted (bounded), for pruning the folders they leave empty. */
  readonly deletedLocal: string[] = [];

  constructor(init: SyncRunInit) {
    const { opts, src, dst } = init;
    this.srcEp = init.srcEp;
    this.dstEp = init.dstEp;
    this.src = src;
    this.dst = dst;
    this.opts = opts;
    this.signal = opts.signal;
    this.sync = opts.mode === 'sync';
    this.keepPlan = opts.keepPlan ?? opts.dryRun ?? false;
    this.summary = {
      transferred: { files: 0, bytes: 0 },
      checked: 0,
      deleted: 0,
      skipped: 0,
      errors: [],
      elapsedMs: 0,
    };
    if (this.keepPlan) this.summary.plan = [];
    if (opts.trackRenames) this.summary.renamed = 0;
    this.srcMissing = src.kind === 'local' && src.state === 'missing';
    this.transferAction = checkDirection(src, dst, init.srcEp, init.dstEp);
    this.cmp = {
      mode: opts.mode,
      compare: opts.compare ?? 'size-mtime',
      modifyWindowMs: opts.modifyWindowMs ?? DEFAULT_MODIFY_WINDOW_MS,
      update: opts.update,
      ignoreExisting: opts.ignoreExisting,
      transferAction: this.transferAction,
    };
    this.filter = new Filter(opts.filters, opts.now ?? Date.now());
    this.checkers = Math.max(1, opts.checkers ?? DEFAULT_CHECKERS);
    this.transfers = Math.max(1, opts.transfers ?? DEFAULT_TRANSFERS);
    if (dst.kind === 'local') this.typeChanges = new TypeChangeDetector((it) => this.spool.push(it));
    const partConcurrency = opts.tuning?.partConcurrency ?? DEFAULTS.partConcurrency;
    this.scheduler =
      init.scheduler ?? new Scheduler({ transfers: this.transfers, partConcurrency, signal: this.signal });
    this.exec = {
      src,
      dst,
      tuning: opts.tuning,
      hardDelete: opts.hardDelete,
      conflicts: this.conflicts.files,
      signal: this.signal,
      onProgress: (path, p) => this.emit({ type: 'progress', path, bytes: p.bytes, totalBytes: p.totalBytes }),
    };
  }

  /** Resolve both endpoints, refuse what the engine does not do, and build the run. */
  static async open(srcEp: SyncEndpoint, dstEp: SyncEndpoint, opts: SyncOptions): Promise<SyncRun> {
    const src = await resolveSide(srcEp, 'source');
    const dst = await resolveSide(dstEp, 'destination');
    if (opts.trackRenames && (src.kind !== 'local' || dst.kind !== 'b2' || opts.mode !== 'sync'))
      throw new UsageError('--track-renames applies to sync from a local folder to B2');
    if (opts.at !== undefined && src.kind !== 'b2')
      throw new UsageError('--at needs a B2 source: it restores a tree as it was from its versions');
    const run = new SyncRun({ srcEp, dstEp, src, dst, opts });
    if (run.srcMissing && !run.sync) throw missingSource(srcEp);
    return run;
  }

  emit(e: SyncEvent): void {
    this.opts.onEvent?.(e);
  }

  /** A failed item: in summary.errors and as an 'error' event. */
  error(item: string, message: string): void {
    this.summary.errors.push({ item, message });
    this.emit({ type: 'error', item, message });
  }

  /** A run-level failure reported as a warning event (still counted in summary.errors). */
  warnError(item: string, message: string): void {
    this.summary.errors.push({ item, message });
    this.emit({ type: 'warning', message });
  }

  /** --checksum: the local side is hashed (through the cache); B2 SHA-1s come from the listing. */
  async openHashing(): Promise<void> {
    if (this.cmp.compare !== 'checksum') return;
    const localSide = this.src.kind === 'local' ? this.src : this.dst.kind === 'local' ? this.dst : undefined;
    if (localSide) {
      this.hasher = new LocalHasher(localSide.root, this.opts.hashCacheDir, this.signal);
      await this.hasher.open();
    }
    const sha = (side: Side) => async (e: Entry) => {
      if (side.kind === 'b2') return e.sha1;
      const h = await this.hasher!.sha1(e);
      e.sha1 = h;
      return h;
    };
    this.hashes = {
      src: sha(this.src),
      dst: sha(this.dst),
      onFallback: (item, message) => this.emit({ type: 'note', item, message }),
    };
  }

  /** The summary, with the elapsed time. */
  finish(): SyncSummary {
    this.summary.elapsedMs = Date.now() - this.started;
    return this.summary;
  }

  async dispose(): Promise<void> {
    await this.spool.dispose();
  }
}
