/** bisync: wire the CLI to the bisync engine; plan and events as lines or NDJSON; a summary; exit 4 on item failures. */
import { join } from 'node:path';
import { PartialFailureError, UsageError } from '../../core/errors.js';
import { defaultStateDir } from '../../sync/bisync/state-dir.js';
import {
  runBisync,
  type BisyncRunOptions,
  type LocalEndpoint,
  type RemoteEndpoint,
} from '../../sync/bisync/run-bisync.js';
import type { BisyncEvent, BisyncPlanEntry, BisyncSummary, ConflictPolicy, SideName } from '../../sync/bisync/types.js';
import type { CliContext } from '../context.js';
import { watchOptionsFrom, type WatchCliOptions } from '../commands/watch-options.js';
import { eventPrinter } from '../output/event-printer.js';
import { formatBytes, formatDuration } from '../output/format.js';
import { printable } from '../output/printable.js';
import { Progress } from '../output/progress.js';
import { formatRemote, type Location } from '../remote-path.js';
import { cliFilters, endpoint, type SyncCliOptions } from './sync.js';

function parseMaxDelete(v: unknown): { count: number } | { percent: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(%?)$/.exec(String(v));
  if (!m || (m[2] && Number(m[1]) > 100))
    throw new UsageError(`--max-delete takes a count or a percentage (e.g. 100 or 25%), got "${String(v)}"`);
  return m[2] ? { percent: Number(m[1]) } : { count: Number(m[1]) };
}

function describe(loc: Location): string {
  return loc.kind === 'local' ? loc.path : formatRemote(loc);
}

function printer(ctx: CliContext, progress: Progress, dryRun: boolean): (e: BisyncEvent) => void {
  const print = eventPrinter<BisyncPlanEntry>(ctx.out, progress, {
    plan: (x) => {
      if (!dryRun) return undefined;
      const from = x.from ? ` (from ${printable(x.from)})` : '';
      const loser = x.loserPath ? ` (other version kept as ${printable(x.loserPath)})` : '';
      return `${x.action.padEnd(13)} ${printable(x.path)}${from}${loser} (${x.reason})`;
    },
    done: (x) => `${x.action.padEnd(13)} ${printable(x.path)}`,
  });
  return (e) =>
    print(e.type === 'plan' || e.type === 'start' || e.type === 'done' ? { type: e.type, item: e.entry } : e);
}

function report(ctx: CliContext, job: Record<string, unknown>, s: BisyncSummary, dryRun: boolean): void {
  const rec = {
    type: 'summary',
    ...job,
    uploadedFiles: s.uploaded.files,
    uploadedBytes: s.uploaded.bytes,
    downloadedFiles: s.downloaded.files,
    downloadedBytes: s.downloaded.bytes,
    renamed: s.renamed,
    deletedLocal: s.deleted.local,
    deletedRemote: s.deleted.remote,
    conflicts: s.conflicts,
    settled: s.settled,
    unchanged: s.unchanged,
    hashedFiles: s.hashed ?? 0,
    recovered: s.recovered ?? null,
    errors: s.errors.length,
    elapsedMs: s.elapsedMs,
  };
  const human =
    `${dryRun ? '(dry run) ' : ''}bisync: up ${s.uploaded.files} (${formatBytes(s.uploaded.bytes)}), down ${s.downloaded.files} ` +
    `(${formatBytes(s.downloaded.bytes)}), renamed ${s.renamed}, deleted ${s.deleted.local} local / ${s.deleted.remote} B2, ` +
    `conflicts ${s.conflicts}, unchanged ${s.unchanged}, errors ${s.errors.length}, elapsed ${formatDuration(s.elapsedMs / 1000)}`;
  if (ctx.out.json) ctx.out.result(rec);
  else if (!ctx.out.quiet || s.errors.length) ctx.io.stderr.write(human + '\n');
}

/** What both `bisync` and `bisync --watch` resolve from the command line. */
export interface BisyncSetup {
  local: LocalEndpoint;
  remote: RemoteEndpoint;
  localIs: SideName;
  options: BisyncRunOptions;
  job: { mode: string; path1: string; path2: string; dryRun: boolean };
}

export async function bisyncSetup(
  ctx: CliContext,
  p1: Location,
  p2: Location,
  o: Record<string, unknown>,
): Promise<BisyncSetup> {
  if ((p1.kind === 'local') === (p2.kind === 'local'))
    throw new UsageError('bisync takes one local folder and one B2 path (b2://bucket/prefix or PROFILE:bucket/prefix)');
  const localIs: SideName = p1.kind === 'local' ? 'path1' : 'path2';
  const [localLoc, remoteLoc] = localIs === 'path1' ? [p1, p2] : [p2, p1];
  const maxDelete = parseMaxDelete(o.maxDelete);
  const filters = await cliFilters(o as unknown as SyncCliOptions);
  const local = (await endpoint(ctx, localLoc, 'destination', true)) as LocalEndpoint;
  const remote = (await endpoint(ctx, remoteLoc, 'destination', true)) as RemoteEndpoint;
  const dryRun = Boolean(o.dryRun);
  const options: BisyncRunOptions = {
    dryRun,
    conflict: o.conflict as ConflictPolicy | undefined,
    maxDelete,
    force: Boolean(o.force),
    checksum: Boolean(o.checksum),
    modifyWindowMs: o.modifyWindow as number | undefined,
    hardDelete: Boolean(o.hardDelete),
    createEmptySrcDirs: Boolean(o.createEmptySrcDirs),
    transfers: o.transfers as number | undefined,
    checkers: o.checkers as number | undefined,
    stateDir: (o.stateDir as string | undefined) ?? defaultStateDir(),
    hashCacheDir: join(ctx.configDir, 'hash-cache'),
    filters,
    signal: ctx.abort.signal,
  };
  return { local, remote, localIs, options, job: { mode: 'bisync', path1: describe(p1), path2: describe(p2), dryRun } };
}

export async function bisyncAction(
  ctx: CliContext,
  p1: Location,
  p2: Location,
  o: Record<string, unknown>,
): Promise<void> {
  const watch = watchOptionsFrom(o as WatchCliOptions);
  const setup = await bisyncSetup(ctx, p1, p2, o);
  if (watch) {
    const { bisyncWatchAction } = await import('./bisync-watch.js');
    return bisyncWatchAction(ctx, setup, watch);
  }
  const { dryRun } = setup.options;
  const progress = new Progress(ctx.out);
  let summary: BisyncSummary;
  try {
    summary = await runBisync(setup.local, setup.remote, setup.localIs, {
      ...setup.options,
      onEvent: printer(ctx, progress, Boolean(dryRun)),
    });
  } finally {
    progress.stop();
  }
  const job = setup.job;
  report(ctx, job, summary, Boolean(dryRun));
  if (summary.errors.length > 0) {
    for (const e of summary.errors) ctx.out.failed(e.item, e.message);
    throw new PartialFailureError(
      `${summary.errors.length} item(s) failed during bisync ${job.path1} <-> ${job.path2} (each named above)`,
      summary.errors.map((e) => ({ item: e.item, error: e.message })),
    );
  }
}
