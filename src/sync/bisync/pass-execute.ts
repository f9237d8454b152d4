/** One pass's execute step (bisync-pair.ts): the sealed plan's ops run by the executor, then commit. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pruneEmptyDirs, type ExecContext } from '../execute.js';
import { Scheduler } from '../scheduler.js';
import { DEFAULT_TRANSFERS } from '../sync-run.js';
import { DEFAULTS } from '../../transfer/index.js';
import type { BisyncRunOptions } from './bisync-pair.js';
import type { BisyncExec, B2Side, LocalSide } from './exec-context.js';
import { executeBisync } from './executor.js';
import { LocalNames } from './local-names.js';
import type { Planned } from './pass-plan.js';
import type { PairState } from './state-store.js';
import type { BisyncEvent, BisyncSummary, SideName } from './types.js';

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

/** Run the sealed plan; the state is committed whatever happens (the journal says what was done). */
export async function execute(
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
