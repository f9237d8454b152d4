/** sync and copy: wire the CLI to the sync engine; NDJSON plan/events with --json; a summary; exit 4 on item failures. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, PartialFailureError, UsageError } from '../../core/errors.js';
import {
  buildFilterRules,
  runSync,
  type PlanAction,
  type SyncEndpoint,
  type SyncEvent,
  type SyncOptions,
  type SyncSummary,
} from '../../sync/index.js';
import type { WatchOptions } from '../../sync/watch/types.js';
import type { CliContext } from '../context.js';
import { eventPrinter } from '../output/event-printer.js';
import { formatBytes, formatDuration } from '../output/format.js';
import { printable } from '../output/printable.js';
import { Progress } from '../output/progress.js';
import { formatRemote, type Location } from '../remote-path.js';
import { statOrUndefined } from './local-files.js';
import { folderPrefix } from './remote-files.js';

export interface SyncCliOptions {
  checksum: boolean;
  sizeOnly: boolean;
  update: boolean;
  ignoreExisting: boolean;
  modifyWindowMs?: number;
  deleteDuring: boolean;
  deleteAfter: boolean;
  hardDelete: boolean;
  /** Local → B2 sync: renames become server-side copies + hides. */
  trackRenames?: boolean;
  maxDelete?: number;
  force: boolean;
  include?: string[];
  exclude?: string[];
  filterFrom?: string[];
  minSize?: number;
  maxSize?: number;
  minAgeMs?: number;
  maxAgeMs?: number;
  copyLinks: boolean;
  createEmptySrcDirs: boolean;
  transfers?: number;
  checkers?: number;
  /** Uploads: files of this size and more go up as large files (default 200 MB). */
  uploadCutoff?: number;
  /** Flush downloaded files to disk before they are renamed into place (a local DST only). */
  fsync?: boolean;
  dryRun: boolean;
  /** --at: the B2 source as it was at this moment (ms). */
  atMs?: number;
  /** --shard i/n. */
  shard?: { index: number; count: number };
  /** --watch and its options: keep running after the first sync (sync-watch.ts). */
  watch?: WatchOptions;
}

export async function endpoint(
  ctx: CliContext,
  loc: Location,
  side: 'source' | 'destination',
  force: boolean,
): Promise<SyncEndpoint> {
  if (loc.kind === 'local') {
    if (side === 'source') {
      const st = await statOrUndefined(loc.path);
      // A missing source is refused here unless --force; with --force the engine treats it as empty.
      if (!st && !force)
        throw new NotFoundError(`source ${loc.path}: no such local folder (--force syncs it as empty)`);
      if (!st) return { kind: 'local', path: loc.path };
      if (!st.isDirectory()) throw new UsageError(`source ${loc.path} is not a folder (use put for one file)`);
    }
    return { kind: 'local', path: loc.path };
  }
  if (!loc.bucket) throw new UsageError(`${side} "${formatRemote(loc)}" names no bucket: use b2://bucket[/prefix]`);
  const client = await ctx.client(loc.profile);
  await ctx.bucket(loc.bucket, loc.profile); // fails early, naming the key's scope
  return { kind: 'b2', client, bucketName: loc.bucket, prefix: folderPrefix(loc.path) };
}

function describe(loc: Location): string {
  return loc.kind === 'local' ? loc.path : formatRemote(loc);
}

/** Options that cannot go together, or do not apply to this mode or direction: usage errors before any call. */
function checkSyncOptions(mode: 'sync' | 'copy', src: Location, dst: Location, o: SyncCliOptions): void {
  if (src.kind === 'local' && dst.kind === 'local')
    throw new UsageError(
      `${mode} needs a remote side: at least one of SRC and DST must be b2://bucket/path or PROFILE:bucket/path`,
    );
  if ([o.checksum, o.sizeOnly].filter(Boolean).length > 1)
    throw new UsageError('--checksum and --size-only cannot be used together');
  if (o.deleteAfter && o.deleteDuring)
    throw new UsageError('--delete-after and --delete-during cannot be used together');
  if (mode === 'copy' && (o.deleteDuring || o.hardDelete || o.maxDelete !== undefined)) {
    throw new UsageError('copy never deletes: --delete-during, --hard-delete and --max-delete apply to sync');
  }
  if (o.uploadCutoff !== undefined && (src.kind !== 'local' || dst.kind === 'local'))
    throw new UsageError(`--upload-cutoff applies to uploads: SRC must be a local folder and DST on B2`);
  if (o.atMs !== undefined && src.kind !== 'remote')
    throw new UsageError(`--at needs a B2 source (it restores from versions), got "${describe(src)}"`);
  if (o.trackRenames && (src.kind !== 'local' || dst.kind !== 'remote'))
    throw new UsageError('--track-renames applies to sync from a local folder to B2');
  if (o.fsync && dst.kind !== 'local')
    throw new UsageError(`--fsync applies to downloads: DST must be a local folder, got "${describe(dst)}"`);
}

/** The filter options of sync, copy, bisync and check. */
export type FilterCliOptions = Pick<
  SyncCliOptions,
  'include' | 'exclude' | 'filterFrom' | 'minSize' | 'maxSize' | 'minAgeMs' | 'maxAgeMs'
>;

export async function cliFilters(o: FilterCliOptions): Promise<SyncOptions['filters']> {
  const filterFromText: string[] = [];
  for (const f of o.filterFrom ?? []) {
    try {
      filterFromText.push(await readFile(f, 'utf8'));
    } catch {
      throw new NotFoundError(`--filter-from ${f}: cannot read the file`);
    }
  }
  return buildFilterRules({
    include: o.include,
    exclude: o.exclude,
    filterFromText,
    minSize: o.minSize,
    maxSize: o.maxSize,
    minAge: o.minAgeMs,
    maxAge: o.maxAgeMs,
  });
}

/** How sync events are shown: plan lines on --dry-run (skips with -v), done lines, progress, warnings; NDJSON with --json. */
export function syncEventPrinter(out: CliContext['out'], progress: Progress, dryRun: boolean): (e: SyncEvent) => void {
  const print = eventPrinter<PlanAction>(out, progress, {
    plan: (a) =>
      dryRun && (a.action !== 'skip' || out.verbose)
        ? `${a.action.padEnd(8)} ${printable(a.path)} (${a.reason})`
        : undefined,
    done: (a) => `${pastTense(a.action).padEnd(11)} ${printable(a.path)}`,
  });
  return (e) =>
    print(e.type === 'plan' || e.type === 'start' || e.type === 'done' ? { type: e.type, item: e.action } : e);
}

function engineOptions(
  ctx: CliContext,
  mode: 'sync' | 'copy',
  o: SyncCliOptions,
  filters: SyncOptions['filters'],
  onEvent: SyncOptions['onEvent'],
): SyncOptions {
  return {
    mode,
    compare: o.checksum ? 'checksum' : o.sizeOnly ? 'size-only' : 'size-mtime',
    modifyWindowMs: o.modifyWindowMs,
    update: o.update,
    ignoreExisting: o.ignoreExisting,
    deleteMode: o.deleteDuring ? 'during' : 'after',
    hardDelete: o.hardDelete,
    trackRenames: o.trackRenames,
    maxDelete: o.maxDelete,
    force: o.force,
    filters,
    copyLinks: o.copyLinks,
    createEmptySrcDirs: o.createEmptySrcDirs,
    transfers: o.transfers,
    checkers: o.checkers,
    dryRun: o.dryRun,
    at: o.atMs,
    shard: o.shard,
    tuning:
      o.fsync || o.uploadCutoff !== undefined
        ? { fsync: o.fsync || undefined, largeFileCutoff: o.uploadCutoff }
        : undefined,
    keepPlan: false, // the plan is printed from plan events as it is made; no need to hold it
    hashCacheDir: o.checksum ? join(ctx.configDir, 'hash-cache') : undefined,
    signal: ctx.abort.signal,
    onEvent,
  };
}

export async function syncAction(
  ctx: CliContext,
  mode: 'sync' | 'copy',
  src: Location,
  dst: Location,
  o: SyncCliOptions,
): Promise<void> {
  const watch = o.watch;
  checkSyncOptions(mode, src, dst, o);
  if (watch?.eventsListen && src.kind === 'local')
    throw new UsageError('--events-listen takes B2 event notifications: SRC must be on B2');
  const filters = await cliFilters(o);
  const s = await endpoint(ctx, src, 'source', o.force);
  const d = await endpoint(ctx, dst, 'destination', o.force);
  if (watch) {
    const { syncWatchAction } = await import('./sync-watch.js');
    const job = { mode, source: describe(src), destination: describe(dst), src: s, dst: d, dryRun: o.dryRun };
    return syncWatchAction(ctx, job, engineOptions(ctx, mode, o, filters, undefined), watch);
  }
  const progress = new Progress(ctx.out);
  const opts = engineOptions(ctx, mode, o, filters, syncEventPrinter(ctx.out, progress, Boolean(o.dryRun)));
  let summary: SyncSummary;
  try {
    summary = await runSync(s, d, opts);
  } finally {
    progress.stop();
  }
  const job = { mode, source: describe(src), destination: describe(dst), dryRun: Boolean(o.dryRun) };
  reportSummary(ctx, job, summary);
  if (summary.errors.length > 0) {
    for (const e of summary.errors) ctx.out.failed(e.item, e.message);
    throw new PartialFailureError(
      `${summary.errors.length} item(s) failed during ${mode} ${job.source} -> ${job.destination} (each named above)`,
      summary.errors.map((e) => ({ item: e.item, error: e.message })),
    );
  }
}

function pastTense(a: string): string {
  return a === 'upload'
    ? 'uploaded'
    : a === 'download'
      ? 'downloaded'
      : a === 'copy'
        ? 'copied'
        : a === 'delete'
          ? 'deleted'
          : a;
}

/** The closing line (or --json record) of a run: what moved, what was checked, how long it took. */
export function reportSummary(
  ctx: CliContext,
  job: { mode: string; source: string; destination: string; dryRun: boolean },
  s: SyncSummary,
): void {
  const { mode, dryRun } = job;
  const rec = {
    type: 'summary',
    ...job,
    transferredFiles: s.transferred.files,
    transferredBytes: s.transferred.bytes,
    checked: s.checked,
    deleted: s.deleted,
    skipped: s.skipped,
    errors: s.errors.length,
    elapsedMs: s.elapsedMs,
    ...(s.renamed !== undefined ? { renamed: s.renamed } : {}),
  };
  const human =
    `${dryRun ? '(dry run) ' : ''}${mode}: transferred ${s.transferred.files} files (${formatBytes(s.transferred.bytes)}), ` +
    `checked ${s.checked}, deleted ${s.deleted}, ${s.renamed !== undefined ? `renamed ${s.renamed}, ` : ''}skipped ${s.skipped}, errors ${s.errors.length}, elapsed ${formatDuration(s.elapsedMs / 1000)}`;
  if (ctx.out.json) ctx.out.result(rec);
  else if (!ctx.out.quiet || s.errors.length) ctx.io.stderr.write(human + '\n');
}
