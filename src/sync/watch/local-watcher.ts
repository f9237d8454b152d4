/**
 * openLocalChanges: the local change source of `--watch` (docs/watch.md, "Local side").
 *
 * - mode 'events': @parcel/watcher's native subscription (inotify / FSEvents / ReadDirectoryChangesW,
 *   coalesced off the main thread). Each event is named as the sync walk names files (local-tree.ts),
 *   stat'ed, and passed to the settle stage (local-settle.ts); what settles is queued and handed out
 *   in batches of at most `maxBatch`. A directory event is one 'unknown' for the directory.
 * - Start: with a checkpoint (local-checkpoint.ts), getEventsSince gives what changed while not running;
 *   without one, the first batch is a 'local-full'.
 * - The native watcher failing (ENOSPC, EMFILE, anything, at subscribe or later): one notice naming the
 *   fix, then a 'local-full' every `pollMs` (mode() → 'rescan-only'). It never throws past open.
 * - mode 'poll': a walk every `pollMs` compared with the previous one (local-poll.ts).
 * - Every `rescanMs`: a 'local-full' (no OS watcher is perfect). More than `maxPending` paths waiting:
 *   they are dropped for one 'local-full' (memory stays flat).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as parcel from '@parcel/watcher';
import { TEMP_SUFFIX } from '../../transfer/index.js';
import { readCheckpoint, writeCheckpoint, type CheckpointState } from './local-checkpoint.js';
import { watcherFailureNotice } from './local-notice.js';
import { Poller } from './local-poll.js';
import { Settler, sigOf, type Kind, type Sig } from './local-settle.js';
import { LocalTree } from './local-tree.js';
import type { ChangeBatch, ChangeSource, PathChange, WatchMode } from './types.js';

export interface LocalChangesOptions {
  settleMs: number;
  /** A 'local-full' this often (0 or Infinity: never). */
  rescanMs: number;
  mode: WatchMode;
  /** Poll-mode walk interval, and the full-rescan interval after a watcher failure. Default 2000. */
  pollMs?: number;
  /** Where the checkpoint lives (events mode); without it every start begins with a 'local-full'. */
  snapshotFile?: string;
  /** Relative paths never reported (the state dir, say): called with each path, so match what is below a dir too. */
  ignore?: (relPath: string) => boolean;
  signal?: AbortSignal;
  onNotice?: (message: string) => void;
  /** Most paths in one batch. Default 1000. */
  maxBatch?: number;
  /** Most paths waiting (settling or settled) before they are dropped for one 'local-full'. Default 100,000. */
  maxPending?: number;
  /** @parcel/watcher's subscribe; replaceable only to make it fail where the OS cannot be made to. */
  subscribe?: typeof parcel.subscribe;
}

export interface LocalChangeSource extends ChangeSource {
  /** Files known below the root (approximate between rescans), for the status line. */
  watching(): number;
  mode(): 'events' | 'poll' | 'rescan-only';
  /** Paths settling or settled but not yet handed out. */
  pending(): number;
  /** Save the snapshot (events mode, with snapshotFile): the next start reports only what changed after it. */
  checkpoint(): Promise<void>;
}

/** Never reported, and not watched by the native backend: our downloads' temp files. */
const NATIVE_IGNORE = [`**/*${TEMP_SUFFIX}`];

/**
 * The inotify backend failing to drop a watch the kernel already dropped (a directory below a moved one
 * was removed): nothing is lost, the subscription goes on.
 */
const harmless = (err: unknown) => /^Unable to remove watcher/.test((err as Error | undefined)?.message ?? '');

export async function openLocalChanges(root: string, opts: LocalChangesOptions): Promise<LocalChangeSource> {
  const w = new LocalWatcher(root, opts);
  await w.start();
  return {
    next: () => w.next(),
    close: () => w.close(),
    watching: () => w.watching(),
    mode: () => w.currentMode,
    pending: () => w.pending(),
    checkpoint: () => w.checkpoint(),
  };
}

class LocalWatcher {
  currentMode: 'events' | 'poll' | 'rescan-only';
  private readonly tree: LocalTree;
  private readonly settler: Settler;
  private readonly pollMs: number;
  private readonly maxBatch: number;
  private readonly maxPending: number;
  private ready: PathChange[] = [];
  private full: string | undefined;
  private wake: (() => void) | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private sub: parcel.AsyncSubscription | undefined;
  private poller: Poller | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  /** Subscriptions renewed after a directory move (scheduleRestart). */
  private renewals = 0;

  constructor(
    private readonly root: string,
    private readonly o: LocalChangesOptions,
  ) {
    this.currentMode = o.mode;
    this.pollMs = o.pollMs ?? 2000;
    this.maxBatch = Math.max(1, o.maxBatch ?? 1000);
    this.maxPending = Math.max(1, o.maxPending ?? 100_000);
    this.tree = new LocalTree(root, o.ignore);
    this.settler = new Settler(o.settleMs, (changes) => this.settled(changes));
  }

  async start(): Promise<void> {
    const signal = this.o.signal;
    if (signal?.aborted) return void this.close();
    signal?.addEventListener('abort', () => void this.close(), { once: true });
    if (this.o.rescanMs > 0 && Number.isFinite(this.o.rescanMs)) this.every(this.o.rescanMs, () => this.owe('rescan'));
    if (this.o.mode === 'poll') {
      this.poller = new Poller(this.root, this.pollMs, this.feed, this.o.ignore, this.o.onNotice);
      this.full = 'start';
      await this.poller.start();
      return;
    }
    const saved = this.o.snapshotFile ? await readCheckpoint(this.o.snapshotFile) : undefined;
    this.tree.scan();
    if (saved) this.tree.restoreDirs(saved.dirs);
    try {
      await this.subscribeNow();
    } catch (e) {
      this.fallback(e);
      return;
    }
    if (!this.closed) await this.catchUp(saved);
  }

  /** What changed while not running (after the subscription is up, so nothing falls between). */
  private async catchUp(saved: CheckpointState | undefined): Promise<void> {
    const snap = this.o.snapshotFile;
    if (!saved || !snap || !existsSync(snap) || saved.full) {
      this.owe('start');
      return;
    }
    try {
      const events = await parcel.getEventsSince(this.root, snap, { ignore: NATIVE_IGNORE });
      this.onEvents(null, events);
    } catch (e) {
      this.o.onNotice?.(`could not read the watch snapshot (${(e as Error).message}): comparing everything`);
      this.owe('start');
      return;
    }
    for (const c of saved.pending)
      this.feed(c.path, this.tree.prefix + c.path, c.kind, sigOf(this.tree.prefix + c.path));
  }

  async next(): Promise<ChangeBatch | undefined> {
    while (!this.closed) {
      if (this.full !== undefined) {
        const reason = this.full;
        this.full = undefined;
        this.ready = []; // settled before the full comparison starts: it covers them
        return { origin: 'local-full', reason };
      }
      if (this.ready.length > 0) return { origin: 'local', changes: this.ready.splice(0, this.maxBatch) };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return undefined;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      for (const t of this.timers) clearInterval(t);
      clearTimeout(this.restartTimer);
      this.settler.stop();
      this.ready = [];
      this.signalReady();
      const sub = this.sub;
      this.sub = undefined;
      await Promise.all([sub?.unsubscribe().catch(() => {}), this.poller?.stop()]);
    })();
    return this.closing;
  }

  watching(): number {
    return this.poller ? this.poller.files : this.tree.files;
  }

  pending(): number {
    return this.settler.size + this.ready.length;
  }

  async checkpoint(): Promise<void> {
    const snap = this.o.snapshotFile;
    if (!snap || this.closed || this.currentMode !== 'events') return;
    await writeCheckpoint(this.root, snap, NATIVE_IGNORE, () => ({
      version: 1,
      dirs: this.tree.dirList(),
      pending: [...this.ready, ...this.settler.snapshot()],
      full: this.full !== undefined,
    }));
  }

  /**
   * A directory holding directories was renamed or removed. The inotify backend keeps naming the
   * watches below a moved directory by their old paths (a write to e/sub/c after `mv d e` is reported
   * as d/sub/c), so the subscription is renewed once things settle: snapshot, unsubscribe, subscribe,
   * and getEventsSince for what changed in between (a directory created there comes out as 'unknown').
   */
  private scheduleRestart(): void {
    this.restartTimer ??= setTimeout(() => {
      this.restartTimer = undefined;
      void this.restart();
    }, this.o.settleMs);
  }

  private async restart(): Promise<void> {
    if (this.closed || this.currentMode !== 'events') return;
    const tmp = join(tmpdir(), `b2sync-watch-${process.pid}-${randomBytes(6).toString('hex')}.snapshot`);
    try {
      await parcel.writeSnapshot(this.root, tmp, { ignore: NATIVE_IGNORE });
      await this.sub?.unsubscribe().catch((e: unknown) => {
        if (!harmless(e)) throw e;
      });
      this.sub = undefined;
      this.renewals++;
      if (this.closed) return;
      await this.subscribeNow();
      this.onEvents(null, await parcel.getEventsSince(this.root, tmp, { ignore: NATIVE_IGNORE }));
    } catch (e) {
      this.fallback(e);
    } finally {
      await rm(tmp, { force: true }).catch(() => {});
    }
  }

  private async subscribeNow(): Promise<void> {
    const subscribe = this.o.subscribe ?? parcel.subscribe;
    // A renewed subscription gets an ignore list of its own: @parcel/watcher shares one native watcher per
    // (dir, ignore list), and the old one may outlive a failed unsubscribe with its stale paths.
    const ignore =
      this.renewals === 0 ? NATIVE_IGNORE : [...NATIVE_IGNORE, join(this.root, `.b2sync-watch-${this.renewals}.none`)];
    const sub = await subscribe(this.root, (err, events) => this.onEvents(err, events), { ignore });
    if (this.closed) await sub.unsubscribe().catch(() => {});
    else this.sub = sub;
  }

  private every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(fn, ms));
  }

  /** A full comparison is owed (the first reason given stands until it is handed out). */
  private owe(reason: string): void {
    this.full ??= reason;
    this.signalReady();
  }

  private signalReady(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private onEvents(err: Error | null, events: parcel.Event[]): void {
    if (this.closed || this.currentMode !== 'events') return;
    if (err && !harmless(err)) return this.fallback(err);
    for (const e of events ?? []) {
      const rel = this.tree.relative(e.path);
      if (rel === undefined) continue;
      const sig = sigOf(e.path);
      const kind = this.eventKind(rel, e, sig);
      if (kind) this.feed(rel, e.path, kind, sig);
    }
  }

  /** The kind an event is reported as (a directory's: 'unknown'), keeping the tree's directories and count. */
  private eventKind(rel: string, e: parcel.Event, sig: Sig): Kind | undefined {
    if (e.type === 'delete') {
      if (this.tree.isDir(rel)) {
        if (this.tree.hasSubdirs(rel)) this.scheduleRestart();
        this.tree.removeDir(rel);
        return 'unknown';
      }
      if (sig === 'none') this.tree.removeFile();
      return sig === 'dir' ? 'unknown' : 'delete';
    }
    if (sig === 'dir') {
      if (e.type === 'update' && this.tree.isDir(rel)) return undefined; // its entries have events of their own
      this.tree.addDir(rel, e.path);
      return 'unknown';
    }
    if (e.type === 'create') this.tree.addFile();
    return e.type;
  }

  private readonly feed = (rel: string, abs: string, kind: Kind, sig: Sig): void => {
    if (this.closed) return;
    this.settler.add(rel, abs, kind, sig);
    this.checkOverflow();
  };

  private settled(changes: PathChange[]): void {
    for (const c of changes) this.ready.push(c);
    if (!this.checkOverflow()) this.signalReady();
  }

  private checkOverflow(): boolean {
    if (this.settler.size + this.ready.length <= this.maxPending) return false;
    this.settler.clear();
    this.ready = [];
    this.owe(`more than ${this.maxPending} local changes pending`);
    return true;
  }

  /** The native watcher cannot go on: say why and how to fix it once, then compare everything every pollMs. */
  private fallback(err: unknown): void {
    if (this.currentMode === 'rescan-only' || this.closed) return;
    this.currentMode = 'rescan-only';
    this.o.onNotice?.(watcherFailureNotice(err, this.pollMs));
    const sub = this.sub;
    this.sub = undefined;
    sub?.unsubscribe().catch(() => {});
    this.owe('watcher fallback');
    this.every(this.pollMs, () => this.owe('watcher fallback'));
  }
}
