/**
 * sync --track-renames (local → B2): after planning, a file deleted locally (a B2 extra with a known
 * SHA-1) and a new local file of the same size and SHA-1 are a rename: the B2 version is copied
 * server-side to the new name (b2_copy_file) and the old name hidden (or, with --hard-delete, its
 * versions deleted), and neither the upload nor the deletion runs. As bisync's rename detection: only
 * unique matches pair (one gone and one new file with that size and SHA-1); the rest keep their plain
 * actions. Candidates are held in memory (bounded by the number of changes); only new files whose size
 * matches a gone one are hashed.
 */
import { throwIfAborted } from '../../core/abort.js';
import { isAbortError } from '../../core/errors.js';
import { copyFile } from '../../transfer/index.js';
import { mapLimit } from '../bisync/in-order.js';
import type { PlanItem } from '../compare.js';
import { deleteItem } from '../execute.js';
import { sha1File } from '../hash-cache.js';
import { INFO_SRC_MTIME } from '../remotes/b2.js';
import type { SyncRun } from '../sync-run.js';
import type { Entry } from '../types.js';

export interface Rename {
  /** The B2 extra (its path is the old name). */
  from: Entry;
  /** The new local file. */
  to: Entry;
}

function keyedCounts(entries: Entry[], key: (e: Entry) => string | undefined): Map<string, Entry[]> {
  const m = new Map<string, Entry[]>();
  for (const e of entries) {
    const k = key(e);
    if (k === undefined) continue;
    const list = m.get(k);
    if (list) list.push(e);
    else m.set(k, [e]);
  }
  return m;
}

/** The gone B2 files and new local files of the plan that could be renames. */
async function candidates(run: SyncRun): Promise<{ gone: Entry[]; fresh: Entry[] }> {
  const gone: Entry[] = [];
  const fresh: Entry[] = [];
  await run.spool.seal();
  for await (const it of run.spool.items()) {
    const { action } = it.action;
    if (action === 'delete' && it.dst?.kind === 'file' && it.dst.sha1 && it.dst.fileId && it.dst.size > 0)
      gone.push(it.dst);
    else if (action === 'upload' && !it.dst && it.src?.kind === 'file' && it.src.size > 0) fresh.push(it.src);
  }
  return { gone, fresh };
}

/**
 * Pair renames (run before the safety stop, so a reorganised tree is not taken for mass deletion):
 * fills run.renames and run.renamedPaths and takes the renames out of run.deletions. 'note' events
 * name each rename.
 */
export async function matchRenames(run: SyncRun): Promise<void> {
  const { gone, fresh } = await candidates(run);
  if (gone.length === 0 || fresh.length === 0) return;
  const goneSizes = new Set(gone.map((e) => e.size));
  const toHash = fresh.filter((e) => goneSizes.has(e.size));
  const keyOf = new Map<Entry, string>();
  const hashes = await mapLimit(toHash, run.checkers, async (e) => {
    throwIfAborted(run.signal);
    try {
      return e.sha1 ?? (await sha1File(e.localPath!, run.signal));
    } catch (err) {
      if (isAbortError(err)) throw err;
      return undefined; // unreadable now: left to the upload, which reports it
    }
  });
  toHash.forEach((e, i) => {
    if (hashes[i] !== undefined) keyOf.set(e, `${e.size}:${hashes[i]}`);
  });
  const byKeyGone = keyedCounts(gone, (e) => `${e.size}:${e.sha1}`);
  const byKeyNew = keyedCounts(toHash, (e) => keyOf.get(e));
  for (const [k, news] of byKeyNew) {
    const olds = byKeyGone.get(k);
    if (!olds || olds.length !== 1 || news.length !== 1) continue;
    const r = { from: olds[0], to: news[0] };
    run.renames.push(r);
    run.renamedPaths.add(r.from.path).add(r.to.path);
    run.emit({ type: 'note', item: r.to.path, message: `renamed from ${r.from.path}: server-side copy, no upload` });
  }
  run.deletions -= run.renames.length;
}

async function renameOne(run: SyncRun, r: Rename): Promise<void> {
  const d = run.dst;
  if (d.kind !== 'b2') throw new Error('--track-renames needs a B2 destination');
  const action = { action: 'copy' as const, path: r.to.path, reason: 'new' as const, size: r.to.size };
  run.emit({ type: 'start', action });
  try {
    await copyFile(d.client, {
      sourceFileId: r.from.fileId!,
      sourceSize: r.from.size,
      destinationBucketId: d.bucketId,
      fileName: d.prefix + r.to.path,
      // the new name's own modification time, so the next run compares it equal
      replace: {
        contentType: r.from.contentType ?? 'b2/x-auto',
        info: { ...(r.from.info ?? {}), [INFO_SRC_MTIME]: String(r.to.mtimeMs) },
      },
      tuning: run.opts.tuning,
      signal: run.signal,
    });
    const del: PlanItem = {
      action: { action: 'delete', path: r.from.path, reason: 'extra on destination' },
      dst: r.from,
    };
    await deleteItem(del, run.exec);
    run.summary.renamed = (run.summary.renamed ?? 0) + 1; // set to 0 by the run
    run.emit({ type: 'done', action });
  } catch (e) {
    if (run.signal?.aborted && isAbortError(e)) return;
    run.transferFailures++;
    run.error(r.to.path, `rename from ${r.from.path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Carry out the renames (before the other transfers). When deletions are not allowed (part of the
 * source unreadable), no rename runs: both files keep their plain actions (the upload runs, the
 * deletion is held back with the others).
 */
export async function renamePhase(run: SyncRun, deletionsAllowed: boolean): Promise<void> {
  if (run.renames.length === 0) return;
  if (!deletionsAllowed) {
    run.renamedPaths.clear();
    return;
  }
  for (const r of run.renames) await run.scheduler.schedule(false, () => renameOne(run, r));
  await run.scheduler.drain();
  throwIfAborted(run.signal);
}
