/**
 * `sync --watch` / `copy --watch`: the first full sync printed as a one-shot sync is, then the watch
 * loop (sync/watch/sync-watch.ts) fed by the local watcher when SRC is a folder, or by the --poll timer
 * and, with --events-listen, the B2 webhooks when SRC is on B2; output through the watch printer
 * (lines with a UTC time, NDJSON with --json, a status line on a TTY). A local DST is not watched.
 * SIGINT / SIGTERM: the pass in flight stops cleanly (no temp files), exit 0. See docs/watch.md.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { SyncEndpoint, SyncOptions } from '../../sync/index.js';
import { openLocalChanges } from '../../sync/watch/local-watcher.js';
import { runSyncWatch } from '../../sync/watch/sync-watch.js';
import type { WatchEvent, WatchOptions } from '../../sync/watch/types.js';
import { webhookSecrets } from '../../sync/watch/webhook-secrets.js';
import type { CliContext } from '../context.js';
import { watchPrinter } from '../output/watch-printer.js';
import { Progress } from '../output/progress.js';
import { reportSummary, syncEventPrinter } from './sync.js';

export interface SyncWatchJob {
  mode: 'sync' | 'copy';
  source: string;
  destination: string;
}

/** The signing secrets webhooks are checked with: the bucket's rules for SRC's prefix plus B2SYNC_EVENTS_SECRET. */
async function secretsFor(ctx: CliContext, src: SyncEndpoint): Promise<string[]> {
  if (src.kind !== 'b2') return [];
  const extra = (ctx.env.B2SYNC_EVENTS_SECRET ?? '').split(',').map((s) => s.trim());
  const bucket = await src.client.getBucket(src.bucketName);
  const p = src.prefix ?? '';
  const prefix = p === '' || p.endsWith('/') ? p : p + '/';
  return webhookSecrets(src.client, bucket.bucketId, prefix, extra);
}

/** Where the local watcher keeps its snapshot between runs: one file per (SRC, DST) in the config dir. */
async function snapshotFile(ctx: CliContext, job: SyncWatchJob): Promise<string> {
  const dir = join(ctx.configDir, 'watch');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const id = createHash('sha1')
    .update(`${job.mode}\n${resolve(job.source)}\n${job.destination}`)
    .digest('hex');
  return join(dir, `${id.slice(0, 16)}.snapshot`);
}

/** Paths below the local root the watcher ignores: the config dir, when it lies inside SRC. */
function ignoreOf(root: string, configDir: string): ((rel: string) => boolean) | undefined {
  const rel = relative(resolve(root), resolve(configDir));
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) return undefined;
  const r = rel.split(sep).join('/');
  return (p) => p === r || p.startsWith(r + '/');
}

export async function syncWatchAction(
  ctx: CliContext,
  job: SyncWatchJob & { src: SyncEndpoint; dst: SyncEndpoint; dryRun: boolean },
  opts: SyncOptions,
  w: WatchOptions,
): Promise<void> {
  const stdout = ctx.io.stdout as NodeJS.WritableStream & { isTTY?: boolean };
  const printer = watchPrinter(stdout, { json: ctx.out.json, tty: Boolean(stdout.isTTY) });
  const emit = (e: WatchEvent) => printer.event(e);
  const progress = new Progress(ctx.out);
  const client = job.src.kind === 'b2' ? job.src.client : job.dst.kind === 'b2' ? job.dst.client : undefined;
  const watch: WatchOptions = { ...w };
  if (w.eventsListen && job.src.kind === 'b2' && !w.signingSecrets)
    watch.signingSecrets = await secretsFor(ctx, job.src);
  if (job.src.kind === 'local') watch.snapshotFile ??= await snapshotFile(ctx, job);
  const root = job.src.kind === 'local' ? job.src.path : '';
  try {
    await runSyncWatch(job.src, job.dst, { ...opts, onEvent: syncEventPrinter(ctx.out, progress, job.dryRun) }, watch, {
      emit,
      onInitialSync: (summary) => {
        progress.stop();
        reportSummary(ctx, { ...job, dryRun: job.dryRun }, summary);
        if (job.dst.kind === 'local')
          emit({
            type: 'notice',
            message: `${job.destination} is not watched: changes made there are not synced back`,
          });
      },
      openLocal: (dir, o) =>
        openLocalChanges(dir, { ...o, ignore: ignoreOf(root, ctx.configDir), maxPending: o.maxPending }),
      status: (s) => printer.status({ ...s, calls: { ...(client?.callCounts?.() ?? {}) } }),
    });
  } finally {
    progress.stop();
    printer.close();
  }
}
