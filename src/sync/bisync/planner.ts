/**
 * Bisync's planner: a three-way march over the saved state and both listings (three-way.ts), each
 * path decided by the rules table (docs/bisync.md) into a keep record, an operation, a held path or
 * nothing (gone from both sides). Possible renames wait in renames.ts until the march ends, then
 * become renames or their ordinary operations ("late" ops). Pure apart from the local SHA-1 lookup;
 * memory flat in the tree size (the candidates grow with the number of changes only).
 */
import { throwIfAborted } from '../../core/abort.js';
import type { Entry } from '../types.js';
import * as ops from './ops.js';
import { RenameSide, type Paired } from './renames.js';
import { localChanged, localMeta, remoteChanged, remoteMeta, sameContent, type RuleContext } from './rules.js';
import { threeWay, type Triple } from './three-way.js';
import type { BisyncCounts, BisyncOp, BisyncPlannerOptions, StateRecord } from './types.js';

export interface PlannerInput {
  state: AsyncIterable<StateRecord[]>;
  local: AsyncIterable<Entry[]>;
  remote: AsyncIterable<Entry[]>;
  opts: BisyncPlannerOptions;
  /** Is this entry inside bisync (the filters)? */
  included(e: Entry): boolean;
  /** SHA-1 of a local file; undefined when it cannot be read. */
  hashLocal(e: Entry): Promise<string | undefined>;
  /** Records in the saved state, when known: 0 means nothing can be a rename, so nothing is held back. */
  stateRecords?: number;
  signal?: AbortSignal;
}

export interface PlanSink {
  /** An unchanged path's record (refreshed), in path order. */
  keep(rec: StateRecord): void | Promise<void>;
  /** An operation; late = decided after the march (renames and unpaired rename candidates). */
  op(op: BisyncOp, late: boolean): void | Promise<void>;
  /** A path left alone (its old record is kept through keep()). */
  held(path: string, why: string): void;
}

const ONE_SIDED_FILTER = 'excluded by the filters on one side only: left alone on both';
const TWIN_NAME = 'another local name differs from this one only in unicode form (NFC/NFD): rename one of them';

class Planner {
  readonly counts: BisyncCounts = {
    state: 0,
    local: 0,
    remote: 0,
    deleteLocal: 0,
    deleteRemote: 0,
    renames: 0,
    conflicts: 0,
    held: 0,
  };
  private readonly ids = new ops.OpIds();
  private readonly localRenames = new RenameSide('local');
  private readonly remoteRenames = new RenameSide('remote');
  private readonly cx: RuleContext;
  private readonly holdNew: boolean;

  constructor(
    private readonly input: PlannerInput,
    private readonly sink: PlanSink,
  ) {
    const { opts } = input;
    this.cx = { modifyWindowMs: opts.modifyWindowMs, checksum: opts.checksum, hashLocal: input.hashLocal };
    this.holdNew = input.stateRecords !== 0;
  }

  private async emit(op: BisyncOp, late = false): Promise<void> {
    if (op.op === 'delete-local') this.counts.deleteLocal++;
    else if (op.op === 'delete-remote') this.counts.deleteRemote++;
    else if (op.op === 'rename-local' || op.op === 'rename-remote') this.counts.renames++;
    else if (op.op === 'conflict') this.counts.conflicts++;
    await this.sink.op(op, late);
  }

  private async hold(t: Triple<StateRecord, Entry>, why: string): Promise<void> {
    this.counts.held++;
    this.sink.held(t.path, why);
    if (t.state) await this.sink.keep(t.state);
  }

  /** Filters: a path outside bisync on every present side is carried over; on one side only, held. */
  private async filtered(t: Triple<StateRecord, Entry>): Promise<boolean> {
    const { local: l, remote: r } = t;
    const lIn = l ? this.input.included(l) : undefined;
    const rIn = r ? this.input.included(r) : undefined;
    if (lIn === false || rIn === false) {
      if (lIn || rIn) await this.hold(t, ONE_SIDED_FILTER);
      else if (t.state) await this.sink.keep(t.state);
      return true;
    }
    if (l?.twin) {
      await this.hold(t, TWIN_NAME);
      return true;
    }
    return false;
  }

  async path(t: Triple<StateRecord, Entry>): Promise<void> {
    if (t.state) this.counts.state++;
    if (await this.filtered(t)) return;
    const { state: s, local: l, remote: r } = t;
    if (l) this.counts.local++;
    if (r) this.counts.remote++;
    if (!s) return this.fresh(l, r);
    if (l && r) return this.both(s, l, r);
    if (!l && !r) return; // deleted on both sides: the path leaves the state
    if (r) {
      if (remoteChanged(this.cx, s.remote, r))
        return this.emit(ops.downloadOp(this.ids.take(), r, 'restored (changed on the other side)', s));
      this.localRenames.gone.push({ s, other: r });
      return;
    }
    if (await localChanged(this.cx, s.local, l!))
      return this.emit(ops.uploadOp(this.ids.take(), l!, 'restored (changed on the other side)', s));
    this.remoteRenames.gone.push({ s, other: l! });
  }

  /** No saved record: new on one side, or on both (the first run's overlap). */
  private async fresh(l?: Entry, r?: Entry): Promise<void> {
    if (l && r) return this.decideBoth(l, r);
    if (l) {
      if (this.holdNew && this.localRenames.holdNew(l)) return;
      return this.emit(ops.uploadOp(this.ids.take(), l, 'new'));
    }
    if (r) {
      if (this.holdNew && this.remoteRenames.holdNew(r)) return;
      return this.emit(ops.downloadOp(this.ids.take(), r, 'new'));
    }
  }

  private async both(s: StateRecord, l: Entry, r: Entry): Promise<void> {
    const lc = await localChanged(this.cx, s.local, l);
    const rc = remoteChanged(this.cx, s.remote, r);
    if (!lc && !rc)
      return this.sink.keep({ path: s.path, local: localMeta(l, s.local), remote: remoteMeta(r, s.remote) });
    if (lc && !rc) return this.emit(ops.uploadOp(this.ids.take(), l, 'changed', s, r));
    if (!lc && rc) return this.emit(ops.downloadOp(this.ids.take(), r, 'changed', s, l));
    return this.decideBoth(l, r, s);
  }

  /** Both sides hold something new to the other: the same content settles, else a conflict. */
  private async decideBoth(l: Entry, r: Entry, s?: StateRecord): Promise<void> {
    if (await sameContent(this.cx, l, r)) return this.emit(ops.settleOp(this.ids.take(), l, r, s));
    return this.emit(ops.conflictOp(this.ids.take(), this.input.opts, l, r, s));
  }

  /** After the march: renames, then the unpaired candidates' ordinary operations. */
  async late(): Promise<void> {
    const local = await this.localRenames.pair(this.cx);
    const remote = await this.remoteRenames.pair(this.cx);
    for (const p of local) await this.emit(this.lateLocal(p), true);
    for (const p of remote) await this.emit(this.lateRemote(p), true);
  }

  /** Local side's candidates: a rename on B2, a deletion on B2, or an upload. */
  private lateLocal(p: Paired): BisyncOp {
    const id = this.ids.take();
    if (p.kind === 'rename') return ops.renameRemoteOp(id, p.gone.s, p.gone.other, p.to);
    if (p.kind === 'gone') return ops.deleteRemoteOp(id, p.gone.s, p.gone.other);
    return ops.uploadOp(id, p.e, 'new');
  }

  /** B2 side's candidates: a local rename, a local deletion, or a download. */
  private lateRemote(p: Paired): BisyncOp {
    const id = this.ids.take();
    if (p.kind === 'rename') return ops.renameLocalOp(id, p.gone.s, p.gone.other, p.to);
    if (p.kind === 'gone') return ops.deleteLocalOp(id, p.gone.s, p.gone.other);
    return ops.downloadOp(id, p.e, 'new');
  }
}

/** Plan a bisync run into the sink; returns what was counted (for the safety stop and summary). */
export async function planBisync(input: PlannerInput, sink: PlanSink): Promise<BisyncCounts> {
  const p = new Planner(input, sink);
  for await (const batch of threeWay(input.state, input.local, input.remote)) {
    throwIfAborted(input.signal);
    for (let i = 0; i < batch.length; i++) await p.path(batch[i]);
  }
  await p.late();
  return p.counts;
}
