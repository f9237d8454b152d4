/**
 * A bisync pair held open across passes (bisync --watch): openBisync() resolves both sides and takes
 * the pair's lock (PairState); pass(scope?) runs one pass as named steps — fold in a crashed pass,
 * plan (pass-plan.ts; scoped to some paths, scope.ts, or everything), the safety stop, seal, execute
 * (pass-execute.ts), commit; close() releases the lock. runBisync is open + one full pass + close.
 * See docs/bisync.md and docs/watch.md.
 */
import { SafetyStopError } from '../errors.js';
import type { FilterRules } from '../filter-rules.js';
import { localRootState } from '../remotes/local.js';
import { describe, resolveSide } from '../sides.js';
import type { SyncEndpoint } from '../types.js';
import type { TransferTuning } from '../../transfer/index.js';
import type { B2Side, LocalSide } from './exec-context.js';
import { planEntry } from './executor.js';
import { LazyPlan } from './lazy-plan.js';
import { execute } from './pass-execute.js';
import { plan } from './pass-plan.js';
import { ScopeSet, type BisyncScope } from './scope.js';
import { PairState } from './state-store.js';
import type { BisyncCounts, BisyncEvent, BisyncOptions, BisyncSummary, SideName } from './types.js';

export interface BisyncRunOptions extends BisyncOptions {
  filters?: FilterRules;
  tuning?: TransferTuning;
  /** sync's hash cache (hash-cache.ts): read always, rewritten with --checksum. */
  hashCacheDir?: string;
}

export type LocalEndpoint = Extract<SyncEndpoint, { kind: 'local' }>;
export type RemoteEndpoint = Extract<SyncEndpoint, { kind: 'b2' }>;

function emptySummary(): BisyncSummary {
  return {
    uploaded: { files: 0, bytes: 0 },
    downloaded: { files: 0, bytes: 0 },
    renamed: 0,
    deleted: { local: 0, remote: 0 },
    conflicts: 0,
    settled: 0,
    unchanged: 0,
    errors: [],
    elapsedMs: 0,
  };
}

/**
 * Refuse before any change: one side empty while the state had files, or too many deletions. Counted
 * against the whole saved state, in a scoped pass too (its out-of-scope records count as present).
 */
function safetyStop(
  counts: BisyncCounts,
  o: BisyncRunOptions,
  stateRecords: number,
  names: Record<SideName, string>,
  localIs: SideName,
): void {
  if (o.force || stateRecords === 0) return;
  const remoteIs: SideName = localIs === 'path1' ? 'path2' : 'path1';
  for (const [n, where] of [
    [counts.local, localIs],
    [counts.remote, remoteIs],
  ] as const)
    if (n === 0)
      throw new SafetyStopError(
        `bisync refused: ${names[where]} is empty or missing but the last run saw ${stateRecords} file(s) there (an unmounted disk or a wrong path?); use --force if it is meant to be empty`,
        stateRecords,
        stateRecords,
      );
  const max = o.maxDelete ?? { percent: 50 };
  const limit = 'count' in max ? max.count : Math.floor((stateRecords * max.percent) / 100);
  const shown = 'count' in max ? String(max.count) : `${max.percent}%`;
  for (const [n, where] of [
    [counts.deleteLocal, localIs],
    [counts.deleteRemote, remoteIs],
  ] as const)
    if (n > limit)
      throw new SafetyStopError(
        `bisync refused: it would delete ${n} of ${stateRecords} file(s) in ${names[where]}, more than --max-delete ${shown}; use --force to go ahead`,
        n,
        stateRecords,
      );
}

/** One pass's options beside the pair's. */
export interface PassOptions {
  /** The pass's clock (conflict names, filter ages); default the pair's `now`, else the pass's start. */
  now?: number;
}

export class BisyncPair {
  private closed = false;

  constructor(
    private readonly st: PairState,
    private readonly sides: { local: LocalSide; remote: B2Side },
    private readonly localIs: SideName,
    private readonly names: Record<SideName, string>,
    private readonly o: BisyncRunOptions,
  ) {}

  /** The pair's state dir (<stateDir>/<pairKey>). */
  get dir(): string {
    return this.st.dir;
  }
  /** The lock file this pair holds. */
  get lockFile(): string {
    return this.st.lockFile;
  }
  /** Records in the saved state. */
  get recordCount(): number {
    return this.st.recordCount;
  }

  /**
   * One pass: everything, or only the paths in `scope` (the rest of the state carried over). A scoped
   * pass becomes a full one when the scope covers the root, or the local folder is not there.
   */
  async pass(scope?: BisyncScope, po: PassOptions = {}): Promise<BisyncSummary> {
    if (this.closed) throw new Error('bisync: pass() after close()');
    const started = Date.now();
    const o = this.o;
    const now = po.now ?? o.now ?? started;
    const summary = emptySummary();
    const emit = (e: BisyncEvent) => o.onEvent?.(e);
    const error = (item: string, message: string) => {
      summary.errors.push({ item, message });
      emit({ type: 'error', item, message });
    };
    const { local, remote } = this.sides;
    const rootState = await localRootState(local.root);
    if (rootState === 'not-dir') throw new Error(`bisync: ${local.root} is no longer a directory`);
    local.state = rootState;
    let set = scope ? ScopeSet.of(scope, o.createEmptySrcDirs ?? false) : undefined;
    if (set && local.state !== 'dir') set = undefined; // the safety stop needs the full picture
    if (set) summary.scoped = set.roots.length;
    summary.recovered = await this.st.recover();
    const writer = o.dryRun ? undefined : new LazyPlan(this.st);
    const ctx = { localIs: this.localIs, emit, error, now, scope: set, remoteListing: scope?.remoteListing };
    let p;
    try {
      p = await plan(this.st, this.sides, o, writer, ctx);
    } catch (e) {
      if (writer) await this.st.discardPlan();
      throw e;
    }
    summary.unchanged = p.unchanged;
    summary.hashed = p.hashed;
    summary.conflicts = p.counts.conflicts;
    try {
      safetyStop(p.counts, o, this.st.recordCount, this.names, this.localIs);
      if (o.dryRun) {
        summary.plan = [];
        for await (const op of p.spool.items()) summary.plan.push(planEntry(op, this.localIs));
        return finish(summary, started);
      }
      // nothing changed: no plan was written, and the state stays as it is
      if (!(await writer!.seal())) return finish(summary, started);
      await execute(this.st, p, { local, remote }, o, { localIs: this.localIs, emit, error, summary });
    } catch (e) {
      if (e instanceof SafetyStopError) await this.st.discardPlan();
      throw e;
    } finally {
      await p.spool.dispose();
    }
    return finish(summary, started);
  }

  /** Release the lock (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.st.release();
  }

  /** Synchronous unlock for process exit handlers. */
  closeSync(): void {
    this.closed = true;
    this.st.releaseSync();
  }
}

function finish(summary: BisyncSummary, started: number): BisyncSummary {
  summary.elapsedMs = Date.now() - started;
  return summary;
}

/** Resolve both sides and take the pair's lock (LockHeldError when another run holds it). */
export async function openBisync(
  localEp: LocalEndpoint,
  remoteEp: RemoteEndpoint,
  localIs: SideName,
  o: BisyncRunOptions,
): Promise<BisyncPair> {
  const local = (await resolveSide(localEp, 'source')) as LocalSide;
  const remote = (await resolveSide(remoteEp, 'destination')) as B2Side;
  const names: Record<SideName, string> =
    localIs === 'path1'
      ? { path1: describe(localEp), path2: describe(remoteEp) }
      : { path1: describe(remoteEp), path2: describe(localEp) };
  const st = await PairState.open({
    stateDir: o.stateDir,
    localRoot: local.root,
    bucketId: remote.bucketId,
    bucketName: remote.bucketName,
    prefix: remote.prefix,
    command: 'bisync',
    onNotice: (message) => o.onEvent?.({ type: 'note', message }),
  });
  return new BisyncPair(st, { local, remote }, localIs, names, o);
}
