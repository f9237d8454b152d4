/**
 * One pass's plan step (bisync-pair.ts): the three listings (saved state, local, B2; or their scoped
 * forms, scope-listing.ts) marched by the planner into the plan file (LazyPlan) and an op spool.
 */
import { Filter } from '../filter-rules.js';
import { listB2Batches } from '../remotes/b2.js';
import { walkLocalBatches, type LocalWalkOptions } from '../remotes/local.js';
import { PlanSpool } from '../plan-spool.js';
import type { Entry } from '../types.js';
import type { BisyncRunOptions } from './bisync-pair.js';
import type { B2Side, LocalSide } from './exec-context.js';
import { planEntry } from './executor.js';
import type { LazyPlan } from './lazy-plan.js';
import { LocalHashes } from './local-hashes.js';
import { planBisync } from './planner.js';
import type { ScopeSet } from './scope.js';
import { scopedLocalBatches, scopedRemoteBatches } from './scope-listing.js';
import type { PairState } from './state-store.js';
import type { BisyncCounts, BisyncEvent, BisyncOp, SideName } from './types.js';

export interface Planned {
  counts: BisyncCounts;
  spool: PlanSpool<BisyncOp>;
  localListingErrors: number;
  unchanged: number;
  /** Local files read for their SHA-1 (hash cache misses). */
  hashed: number;
}

export interface PlanContext {
  localIs: SideName;
  emit: (e: BisyncEvent) => void;
  error: (i: string, m: string) => void;
  now: number;
  /** A scoped pass: only these paths. */
  scope?: ScopeSet;
  remoteListing?: 'auto' | 'per-path' | 'full';
}

async function* none<T>(): AsyncGenerator<T[]> {}

function listings(
  sides: { local: LocalSide; remote: B2Side },
  o: BisyncRunOptions,
  ctx: PlanContext,
  onListingError: () => void,
): { local: AsyncIterable<Entry[]>; remote: AsyncIterable<Entry[]> } {
  const walkOpts: LocalWalkOptions = {
    signal: o.signal,
    emptyDirMarkers: o.createEmptySrcDirs,
    onWarning: (item, message) => ctx.emit({ type: 'warning', item, message }),
    onError: (item, message) => {
      onListingError();
      ctx.error(item, `list local: ${message}`);
    },
    onBadName: (item, message) => ctx.error(item, `list local: ${message}`),
  };
  const { scope } = ctx;
  const root = sides.local.root;
  const local =
    sides.local.state !== 'dir'
      ? none<Entry>()
      : scope
        ? scopedLocalBatches(root, scope, walkOpts)
        : walkLocalBatches(root, walkOpts);
  const listOpts = { signal: o.signal, markers: o.createEmptySrcDirs, listing: ctx.remoteListing };
  const r = sides.remote;
  const remote = scope
    ? scopedRemoteBatches(r, scope, listOpts)
    : listB2Batches(r.client, r.bucketId, r.prefix, listOpts);
  return { local, remote };
}

export async function plan(
  st: PairState,
  sides: { local: LocalSide; remote: B2Side },
  o: BisyncRunOptions,
  writer: LazyPlan | undefined,
  ctx: PlanContext,
): Promise<Planned> {
  const spool = new PlanSpool<BisyncOp>();
  const filter = new Filter(o.filters, ctx.now);
  let localListingErrors = 0;
  let unchanged = 0;
  const { local, remote } = listings(sides, o, ctx, () => localListingErrors++);
  const hashes = new LocalHashes(sides.local.root, o.hashCacheDir, o.checksum ?? false, o.signal);
  const scope = ctx.scope;
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
        inScope: scope ? (path) => scope.has(path) : undefined,
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
  } catch (e) {
    await spool.dispose();
    throw e;
  } finally {
    await hashes.close(planned);
  }
}
