/**
 * runBisync: one two-way run as named steps — open the pair's state (lock), fold in a crashed run,
 * plan (planner.ts) into the plan file and an op spool, the safety stop, seal, execute
 * (executor.ts), commit, release. See docs/bisync.md.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SafetyStopError } from '../errors.js';
import { pruneEmptyDirs, type ExecContext } from '../execute.js';
import { Filter, type FilterRules } from '../filter-rules.js';
import { listB2Batches } from '../remotes/b2.js';
import { walkLocalBatches } from '../remotes/local.js';
import { Scheduler } from '../scheduler.js';
import { describe, resolveSide } from '../sides.js';
import { DEFAULT_TRANSFERS } from '../sync-run.js';
import type { SyncEndpoint } from '../types.js';
import { DEFAULTS, type TransferTuning } from '../../transfer/index.js';
import type { BisyncExec, B2Side, LocalSide } from './exec-context.js';
import { executeBisync, planEntry } from './executor.js';
import { LocalHashes } from './local-hashes.js';
import { LocalNames } from './local-names.js';
import { PlanSpool } from '../plan-spool.js';
import { planBisync } from './planner.js';
import { LazyPlan } from './lazy-plan.js';
import { PairState } from './state-store.js';
import type { BisyncCounts, BisyncEvent, BisyncOp, BisyncOptions, BisyncSummary, SideName } from './types.js';

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

async function* none<T>(): AsyncGenerator<T[]> {}

/** Refuse before any change: one side empty while the state had files, or too many deletions. */
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

interface Planned {
  counts: BisyncCounts;
  spool: PlanSpool<BisyncOp>;
  localListingErrors: number;
  unchanged: number;
  /** Local files read for their SHA-1 (hash cache misses). */
  hashed: number;
}

async function plan(
  st: PairState,
  sides: { local: LocalSide; remote: B2Side },
  o: BisyncRunOptions,
  writer: LazyPlan | undefined,
  ctx: { localIs: SideName; emit: (e: BisyncEvent) => void; error: (i: string, m: string) => void; now: number },
): Promise<Planned> {
  const spool = new PlanSpool<BisyncOp>();
  const filter = new Filter(o.filters, ctx.now);
  let localListingErrors = 0;
  let unchanged = 0;
  const local =
    sides.local.state === 'dir'
      ? walkLocalBatches(sides.local.root, {
          signal: o.signal,
          emptyDirMarkers: o.createEmptySrcDirs,
          onWarning: (item, message) => ctx.emit({ type: 'warning', item, message }),
          onError: (item, message) => {
            localListingErrors++;
            ctx.error(item, `list local: ${message}`);
          },
          onBadName: (item, message) => ctx.error(item, `list local: ${message}`),
        })
      : none<never>();
  const remote = listB2Batches(sides.remote.client, sides.remote.bucketId, sides.remote.prefix, {
    signal: o.signal,
    markers: o.createEmptySrcDirs,
  });
  const hashes = new LocalHashes(sides.local.root, o.hashCacheDir, o.checksum ?? false, o.signal);
  let planned = false;
  try {
    const counts = await planBisync(
      {
        state: st.records(),
        local,
        remote,
        opts: {
          modifyWindowMs: o.modifyWindowMs ?? 1,
          checksum: o.checksum ?? false,
          conflict: o.conflict ?? 'keep-both',
          localIs: ctx.localIs,
          now: ctx.now,
          checkers: o.checkers,
        },
        included: (e) =>
          e.kind === 'marker' ? filter.pathIncluded(e.path) : filter.includes(e.path, e.size, e.mtimeMs),
        hashLocal: (e) => hashes.sha1(e),
        stateRecords: st.recordCount,
        signal: o.signal,
      },
      {
        keep: async (rec, same) => {
          unchanged++;
          await writer?.keep(rec, same);
        },
        changed: (path) => writer?.changed(path),
        op: async (op, late) => {
          await writer?.op(op, late);
          await spool.push(op);
          ctx.emit({ type: 'plan', entry: planEntry(op, ctx.localIs) });
        },
        held: (item, message) => ctx.emit({ type: 'warning', item, message }),
      },
    );
    planned = true;
    return { counts, spool, localListingErrors, unchanged, hashed: hashes.hashed };
  } finally {
    await hashes.close(planned);
  }
}

function execContext(
  sides: { local: LocalSide; remote: B2Side },
  o: BisyncRunOptions,
  emit: (e: BisyncEvent) => void,
): BisyncExec {
  const onProgress: ExecContext['onProgress'] = (path, p) =>
    emit({ type: 'progress', path, bytes: p.bytes, totalBytes: p.totalBytes });
  const base = { tuning: o.tuning, hardDelete: o.hardDelete, signal: o.signal, onProgress };
  return {
    local: sides.local,
    remote: sides.remote,
    up: { ...base, src: sides.local, dst: sides.remote },
    down: { ...base, src: sides.remote, dst: sides.local },
    names: new LocalNames(sides.local.root),
    hardDelete: o.hardDelete ?? false,
    tuning: o.tuning,
    signal: o.signal,
    note: (item, message) => emit({ type: 'note', item, message }),
    onProgress: (path, p) => onProgress(path, p),
    moved: { up: { files: 0, bytes: 0 }, down: { files: 0, bytes: 0 } },
    vacated: [],
    markerDirs: new Set(),
  };
}

/** One bisync run between a local folder and a B2 path; localIs says which argument the folder was. */
export async function runBisync(
  localEp: LocalEndpoint,
  remoteEp: RemoteEndpoint,
  localIs: SideName,
  o: BisyncRunOptions,
): Promise<BisyncSummary> {
  const started = Date.now();
  const now = o.now ?? started;
  const summary = emptySummary();
  const emit = (e: BisyncEvent) => o.onEvent?.(e);
  const error = (item: string, message: string) => {
    summary.errors.push({ item, message });
    emit({ type: 'error', item, message });
  };
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
    onNotice: (message) => emit({ type: 'note', message }),
  });
  try {
    summary.recovered = await st.recover();
    const writer = o.dryRun ? undefined : new LazyPlan(st);
    const p = await plan(st, { local, remote }, o, writer, { localIs, emit, error, now });
    summary.unchanged = p.unchanged;
    summary.hashed = p.hashed;
    summary.conflicts = p.counts.conflicts;
    try {
      safetyStop(p.counts, o, st.recordCount, names, localIs);
      if (o.dryRun) {
        summary.plan = [];
        for await (const op of p.spool.items()) summary.plan.push(planEntry(op, localIs));
        return finish(summary, started);
      }
      // nothing changed: no plan was written, and the state stays as it is
      if (!(await writer!.seal())) return finish(summary, started);
      await execute(st, p, { local, remote }, o, { localIs, emit, error, summary });
    } catch (e) {
      if (e instanceof SafetyStopError) await st.discardPlan();
      throw e;
    } finally {
      await p.spool.dispose();
    }
    return finish(summary, started);
  } finally {
    await st.release();
  }
}

function finish(summary: BisyncSummary, started: number): BisyncSummary {
  summary.elapsedMs = Date.now() - started;
  return summary;
}

async function execute(
  st: PairState,
  p: Planned,
  sides: { local: LocalSide; remote: B2Side },
  o: BisyncRunOptions,
  ctx: {
    localIs: SideName;
    emit: (e: BisyncEvent) => void;
    error: (i: string, m: string) => void;
    summary: BisyncSummary;
  },
): Promise<void> {
  await mkdir(sides.local.root, { recursive: true });
  const cx = execContext(sides, o, ctx.emit);
  await cx.names.probe();
  const journal = await st.journal();
  const partConcurrency = o.tuning?.partConcurrency ?? DEFAULTS.partConcurrency;
  const scheduler = new Scheduler({ transfers: o.transfers ?? DEFAULT_TRANSFERS, partConcurrency, signal: o.signal });
  const noDeletes =
    p.localListingErrors > 0
      ? { remote: `not deleted or renamed on B2: ${p.localListingErrors} local item(s) could not be read` }
      : undefined;
  let result;
  try {
    result = await executeBisync({
      cx,
      spool: p.spool,
      journal,
      scheduler,
      localIs: ctx.localIs,
      noDeletes,
      signal: o.signal,
      emit: ctx.emit,
      error: ctx.error,
    });
  } finally {
    await st.commit(); // closes the journal first
    for (const path of cx.vacated) if (!cx.markerDirs.has(dirname(path))) await pruneEmptyDirs(sides.local.root, path);
  }
  const s = ctx.summary;
  s.uploaded = cx.moved.up;
  s.downloaded = cx.moved.down;
  s.renamed = result.done['rename-local'] + result.done['rename-remote'];
  s.deleted = { local: result.done['delete-local'], remote: result.done['delete-remote'] };
  s.settled = result.done.settle;
}
