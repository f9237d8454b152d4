/**
 * `bisync --watch`: the pair opened once (its lock held for the whole run), then the watch loop
 * (sync/watch/bisync-watch.ts) fed by the local watcher, the B2 poll and, with --events-listen, the
 * webhook receiver; output through the watch printer (lines with a UTC time, NDJSON with --json, a
 * status line on a TTY). SIGINT / SIGTERM: the pass in flight stops cleanly and commits, the lock is
 * released, exit 0. See docs/watch.md, "bisync --watch".
 */
import { join, relative, resolve, sep } from 'node:path';
import { isAbortError } from '../../core/errors.js';
import { openBisync, type BisyncPair } from '../../sync/bisync/run-bisync.js';
import { bisyncToWatch } from '../../sync/watch/bisync-watch-events.js';
import { runBisyncWatch } from '../../sync/watch/bisync-watch.js';
import { openLocalChanges, type LocalChangeSource } from '../../sync/watch/local-watcher.js';
import { mergeSources } from '../../sync/watch/merge-sources.js';
import { Outage } from '../../sync/watch/outage.js';
import { openRemotePoll, pollCost } from '../../sync/watch/remote-poll.js';
import type { ChangeSource, WatchEvent, WatchOptions } from '../../sync/watch/types.js';
import { openWebhookSource } from '../../sync/watch/webhook-receiver.js';
import { webhookSecrets } from '../../sync/watch/webhook-secrets.js';
import type { CliContext } from '../context.js';
import { watchPrinter, type WatchPrinter } from '../output/watch-printer.js';
import type { BisyncSetup } from './bisync.js';

/** Relative paths below the local root the watcher never reports: the state dir, when it is inside. */
function ignoreOf(root: string, stateDir: string): ((rel: string) => boolean) | undefined {
  const rel = relative(resolve(root), resolve(stateDir));
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) return undefined;
  const r = rel.split(sep).join('/');
  return (p) => p === r || p.startsWith(r + '/');
}

async function remoteSources(
  ctx: CliContext,
  setup: BisyncSetup,
  w: WatchOptions,
  emit: (e: WatchEvent) => void,
): Promise<ChangeSource[]> {
  const signal = ctx.abort.signal;
  const out: ChangeSource[] = [openRemotePoll({ pollMs: w.pollMs, signal })];
  if (!w.eventsListen) return out;
  const r = setup.remote;
  const bucket = await r.client.getBucket(r.bucketName);
  const extra = (ctx.env.B2SYNC_EVENTS_SECRET ?? '').split(',').map((s) => s.trim());
  const prefix = r.prefix === '' || r.prefix.endsWith('/') ? r.prefix : r.prefix + '/';
  const secrets = w.signingSecrets ?? (await webhookSecrets(r.client, bucket.bucketId, prefix, extra));
  const hooks = await openWebhookSource({
    ...w.eventsListen,
    secrets,
    prefix,
    bucketName: r.bucketName,
    signal,
    onNotice: (message) => emit({ type: 'notice', message }),
  });
  emit({
    type: 'notice',
    message: `listening for B2 event notifications on ${hooks.address.host}:${hooks.address.port}`,
  });
  out.push(hooks);
  return out;
}

export async function bisyncWatchAction(ctx: CliContext, setup: BisyncSetup, w: WatchOptions): Promise<void> {
  const stdout = ctx.io.stdout as NodeJS.WritableStream & { isTTY?: boolean };
  const printer = watchPrinter(stdout, { json: ctx.out.json, tty: Boolean(stdout.isTTY) });
  const signal = ctx.abort.signal;
  let lastChange: string | undefined;
  const emit = (e: WatchEvent) => {
    if (e.type === 'change') lastChange = e.to ?? e.path;
    printer.event(e);
  };
  let pair: BisyncPair | undefined;
  let local: LocalChangeSource | undefined;
  let source: ChangeSource | undefined;
  try {
    pair = await openBisync(setup.local, setup.remote, setup.localIs, {
      ...setup.options,
      onEvent: bisyncToWatch(emit, { hardDelete: setup.options.hardDelete, dryRun: setup.options.dryRun }),
    });
    const root = resolve(setup.local.path);
    local = await openLocalChanges(root, {
      settleMs: w.settleMs,
      rescanMs: w.rescanMs,
      mode: w.mode,
      snapshotFile: w.snapshotFile ?? join(pair.dir, 'watch.snapshot'),
      ignore: ignoreOf(root, setup.options.stateDir),
      signal,
      onNotice: (message) => emit({ type: 'notice', message }),
    });
    const merged = mergeSources([local, ...(await remoteSources(ctx, setup, w, emit))], signal);
    source = merged;
    const cost = pollCost(pair.recordCount, w.pollMs);
    const remote = `b2://${setup.remote.bucketName}/${setup.remote.prefix}`;
    emit({
      type: 'watch',
      action: 'start',
      root,
      remote,
      pollMs: w.pollMs,
      classCPerPoll: cost.perPoll,
      classCPerDay: cost.perDay,
    });
    const client = setup.remote.client;
    const r = await runBisyncWatch({
      pair,
      source: merged,
      signal,
      emit,
      outage: new Outage({ emit, signal }),
      afterPass: () => status(printer, local!, lastChange, client.callCounts?.()),
    });
    await local.checkpoint().catch(() => undefined);
    emit({ type: 'watch', action: 'stop', reason: r.reason === 'signal' ? reasonOf(signal) : r.reason });
  } catch (e) {
    if (!(signal.aborted && isAbortError(e))) throw e;
    emit({ type: 'watch', action: 'stop', reason: reasonOf(signal) });
  } finally {
    await source?.close();
    await local?.close();
    await pair?.close();
    printer.close();
  }
}

function status(p: WatchPrinter, local: LocalChangeSource, lastChange: string | undefined, calls?: object): void {
  p.status({ watching: local.watching(), pending: local.pending(), lastChange, calls: { ...(calls ?? {}) } });
}

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : 'stopped';
}
