/**
 * The bisync planner: a three-way march over the saved state, the local listing and the remote
 * listing (each sorted, in batches), each path decided by the rules table (rules.ts). Unchanged
 * paths' refreshed records, operations and held paths go to the sink in path order; rename
 * candidates wait for the end of the march (renames.ts), and their operations follow, late.
 * Pure apart from the hash function; hashing only where a rule needs it, `checkers` at a time,
 * results applied in path order. Memory is flat in the tree size (bar the rename candidates).
 */
import { throwIfAborted } from '../../core/abort.js';
import type { Entry } from '../types.js';
import { InOrder } from './in-order.js';
import { decideMarker, isMarkerPath } from './marker-rules.js';
import { downloadOp, uploadOp } from './ops.js';
import { RenameCandidates } from './renames.js';
import { decide, NEEDS_HASH, type Ruling } from './rules.js';
import { marchThree, type Triple } from './three-way-march.js';
import type { BisyncCounts, BisyncOp, BisyncPlannerOptions, StateRecord } from './types.js';

export interface PlannerInput {
  /** The saved state, sorted, in batches. */
  state: AsyncIterable<StateRecord[]>;
  /** Sorted (walkLocalBatches), not yet filtered. */
  local: AsyncIterable<Entry[]>;
  /** Sorted (listB2Batches), not yet filtered. */
  remote: AsyncIterable<Entry[]>;
  opts: BisyncPlannerOptions;
  /** Filter: is this entry inside bisync? (sync's Filter.includes / pathIncluded) */
  included(e: Entry): boolean;
  /** SHA-1 of a local file (hash cache); undefined when it cannot be read. */
  hashLocal(e: Entry): Promise<string | undefined>;
  /** Records in the saved state, when known: with none, no new name can be half of a rename, so none waits. */
  stateRecords?: number;
  /**
   * A scoped pass (scope.ts): only paths in scope are planned (the listings hold nothing else); a
   * saved record out of scope is carried over as it is, and counted as present on both sides.
   */
  inScope?: (path: string) => boolean;
  signal?: AbortSignal;
}

export interface PlanSink {
  /**
   * An unchanged path's refreshed record (or a held path's old one), in path order; `same` when it
   * equals the saved record field for field.
   */
  keep(rec: StateRecord, same: boolean): void | Promise<void>;
  /** A saved record that leaves the state or waits for rename pairing (in path order; no keep() for it). */
  changed?(path: string): void | Promise<void>;
  /** An op, in path order while the march runs (late = true for renames and unpaired rename candidates). */
  op(op: BisyncOp, late: boolean): void | Promise<void>;
  /** A path held back (twin names, one-sided filter); the planner carries its old record over via keep(). */
  held(path: string, why: string): void;
}

export const DEFAULT_CHECKERS = 16;

/** A path's outcome, as the march hands it on in order. */
type Outcome =
  Ruling | { kind: 'held'; path: string; why: string; s?: StateRecord } | { kind: 'carry'; s: StateRecord };

/** The state record seen as an entry, for the filters. */
const stateEntry = (s: StateRecord): Entry => ({
  path: s.path,
  size: s.local.size,
  mtimeMs: s.local.mtimeMs,
  kind: isMarkerPath(s.path) ? 'marker' : 'file',
});

/** Files, and empty-folder markers when the listings hold them (--create-empty-src-dirs). */
const planned = (e: Entry | undefined): Entry | undefined =>
  e?.kind === 'file' || e?.kind === 'marker' ? e : undefined;

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
  readonly renames = new RenameCandidates();
  private nextId = 0;
  private waitingNew = 0;
  readonly checkers: number;
  readonly queue: InOrder<Outcome>;

  constructor(
    readonly input: PlannerInput,
    readonly sink: PlanSink,
  ) {
    this.checkers = Math.max(1, input.opts.checkers ?? DEFAULT_CHECKERS);
    this.queue = new InOrder((x) => this.apply(x), this.checkers);
  }

  emit(op: BisyncOp, late: boolean): void | Promise<void> {
    op.id = this.nextId++;
    const c = this.counts;
    // an empty folder removed deletes no file: not counted by --max-delete
    if (isMarkerPath(op.path)) return this.sink.op(op, late);
    if (op.op === 'delete-local') c.deleteLocal++;
    else if (op.op === 'delete-remote') c.deleteRemote++;
    else if (op.op === 'rename-local' || op.op === 'rename-remote') c.renames++;
    else if (op.op === 'conflict') c.conflicts++;
    return this.sink.op(op, late);
  }

  apply(x: Outcome): void | Promise<void> {
    switch (x.kind) {
      case 'keep':
        return this.sink.keep(x.rec, x.same);
      case 'op':
        return this.emit(x.op, false);
      case 'drop':
        return x.path === undefined ? undefined : this.sink.changed?.(x.path);
      case 'carry':
        return this.sink.keep(x.s, true);
      case 'held':
        this.counts.held++;
        this.sink.held(x.path, x.why);
        return x.s ? this.sink.keep(x.s, true) : undefined;
      default:
        if (x.kind === 'gone-local' || x.kind === 'gone-remote') return this.waitGone(x);
        if (this.newWaits(x)) this.renames.add(x);
        else if (x.kind === 'new-local') return this.emit(uploadOp(x.l, undefined, undefined, 'new'), false);
        else if (x.kind === 'new-remote') return this.emit(downloadOp(x.r, undefined, undefined, 'new'), false);
        else this.renames.add(x);
    }
  }

  /** A saved file gone from one side waits for rename pairing; its record is a change. */
  private async waitGone(x: Extract<Ruling, { kind: 'gone-local' | 'gone-remote' }>): Promise<void> {
    await this.sink.changed?.(x.s.path);
    this.renames.add(x);
  }

  /**
   * Does a new name wait for rename pairing? Not when the state is empty (a first run), nor beyond
   * MAX_WAITING_NEW names, so that memory stays bounded (those are planned as plain transfers).
   */
  private newWaits(x: Ruling): boolean {
    if (x.kind !== 'new-local' && x.kind !== 'new-remote') return true;
    if (this.input.stateRecords === 0 || this.waitingNew >= MAX_WAITING_NEW) return false;
    this.waitingNew++;
    return true;
  }

  /** Filters and twins: the outcome when the path is not planned, else the entries to plan with. */
  screen(t: Triple): Outcome | Triple {
    const { s, path } = t;
    const { included } = this.input;
    if (s) this.counts.state++;
    if (this.input.inScope && !this.input.inScope(path)) return this.outOfScope(s);
    const l = planned(t.l);
    const r = planned(t.r);
    const inL = l ? included(l) : undefined;
    const inR = r ? included(r) : undefined;
    const inS = s ? included(stateEntry(s)) : undefined;
    if (inL) this.counts.local++;
    if (inR) this.counts.remote++;
    const anyIn = inL === true || inR === true || inS === true;
    const anyOut = inL === false || inR === false || inS === false;
    if (!anyIn) return s ? { kind: 'carry', s } : { kind: 'drop' };
    if (anyOut) {
      const sides = [inL === false && 'local', inR === false && 'remote', inS === false && 'saved state'].filter(
        Boolean,
      );
      return { kind: 'held', path, s, why: `excluded by the filters on one side only (${sides.join(', ')})` };
    }
    if (l?.twin)
      return {
        kind: 'held',
        path,
        s,
        why: 'another local name differs from it only in unicode form: rename one of them',
      };
    return { path, s, l, r };
  }

  /** A saved record out of a scoped pass's scope: carried over, and still there on both sides for the counts. */
  private outOfScope(s: StateRecord | undefined): Outcome {
    if (!s) return { kind: 'drop' };
    if (this.input.included(stateEntry(s))) {
      this.counts.local++;
      this.counts.remote++;
    }
    return { kind: 'carry', s };
  }

  /** One path: decided now when no hash is needed (no promise), else hashed and queued in order. */
  step(t: Triple): void | Promise<void> {
    const x = this.screen(t);
    if (!('path' in x) || 'kind' in x) return this.queue.add(x as Outcome);
    if (isMarkerPath(x.path)) return this.queue.add(decideMarker(x));
    const o = this.input.opts;
    const now = decide(x, o);
    if (now !== NEEDS_HASH) return this.queue.add(now);
    const hashed = this.input.hashLocal(x.l!).then((h) => decide(x, o, h ?? null) as Outcome);
    return this.queue.later(hashed);
  }
}

/** New names held back for rename pairing at most (the rest are planned at once, unpaired). */
export const MAX_WAITING_NEW = 50_000;

/** Plan a bisync run into `sink`; the counts for the safety stop and the summary. */
export async function planBisync(input: PlannerInput, sink: PlanSink): Promise<BisyncCounts> {
  const p = new Planner(input, sink);
  const { signal } = input;
  for await (const batch of marchThree(input.state, input.local, input.remote)) {
    throwIfAborted(signal);
    for (let i = 0; i < batch.length; i++) {
      const w = p.step(batch[i]);
      if (w) await w;
    }
  }
  await p.queue.drain();
  throwIfAborted(signal);
  const late = await p.renames.resolve((e) => input.hashLocal(e), p.checkers);
  for (const op of late) {
    const w = p.emit(op, true);
    if (w) await w;
  }
  return p.counts;
}
