/**
 * The contract between the parts of continuous sync (`--watch`, docs/watch.md):
 *
 *   local-watcher.ts  (@parcel/watcher, snapshot, ENOSPC / poll fallback) ─┐
 *   remote-poll.ts    (list the prefix every --poll)                      ├─▶ ChangeBatch ─▶ sync-watch.ts / bisync-watch.ts
 *   webhook-receiver.ts (--events-listen, signed B2 event notifications)  ─┘        (plan restricted to the changed paths,
 *                                                                                     execute with sync's / bisync's phases)
 *
 * Paths are relative to the watched root (local) or prefix (B2), '/'-separated, in the same form as
 * Entry.path. Everything here is plain data; the sources own their timers and stop on `signal`.
 */

/** One settled local change, or a remote name named by a webhook. */
export interface PathChange {
  path: string;
  /** 'unknown': something happened below this path (a directory event, an overflow): rescan it. */
  kind: 'create' | 'update' | 'delete' | 'unknown';
}

/** What a source hands the loop. */
export type ChangeBatch =
  /** These paths changed (local, settled for --settle). An empty list is never sent. */
  | { origin: 'local'; changes: PathChange[] }
  /** These remote names changed (a webhook). */
  | { origin: 'remote'; changes: PathChange[] }
  /** Compare everything on this side (a --poll tick for B2, a --rescan tick or a watcher fallback locally). */
  | { origin: 'local-full' | 'remote-full'; reason: string };

/** A source of change batches; `next()` resolves when a batch is ready, or undefined once `signal` fired. */
export interface ChangeSource {
  next(): Promise<ChangeBatch | undefined>;
  /** Stop timers and native subscriptions (idempotent). */
  close(): Promise<void>;
}

/** How the local side is watched (`--watch-mode`). */
export type WatchMode = 'events' | 'poll';

/** Options of a watch run, beside the sync / bisync options (durations in ms). */
export interface WatchOptions {
  /** --poll: list the B2 side this often. Default 60 s. */
  pollMs: number;
  /** --settle: a local file is taken only after it stopped changing for this long. Default 1 s. */
  settleMs: number;
  /** --rescan: a full local comparison this often. Default 1 h. */
  rescanMs: number;
  /** --watch-mode. Default 'events'. */
  mode: WatchMode;
  /** --events-listen HOST:PORT: accept B2 event-notification webhooks there. */
  eventsListen?: { host: string; port: number };
  /** Signing secret(s) webhooks are checked with (from the bucket's rules, or B2SYNC_EVENTS_SECRET). */
  signingSecrets?: string[];
  /** Where the local watcher keeps its snapshot between runs (in the state dir). */
  snapshotFile?: string;
}

export const WATCH_DEFAULTS: Omit<WatchOptions, 'eventsListen' | 'signingSecrets' | 'snapshotFile'> = {
  pollMs: 60_000,
  settleMs: 1_000,
  rescanMs: 3_600_000,
  mode: 'events',
};

/** One line of watch output (printed with a UTC timestamp; one NDJSON object with --json). */
export type WatchEvent =
  | {
      type: 'watch';
      action: 'start';
      root: string;
      remote: string;
      pollMs: number;
      classCPerPoll: number;
      classCPerDay: number;
    }
  | {
      type: 'change';
      action: 'upload' | 'download' | 'delete' | 'hide' | 'rename' | 'copy' | 'conflict' | 'skip';
      path: string;
      to?: string;
      bytes?: number;
      ms?: number;
      side?: 'local' | 'remote';
    }
  | { type: 'error'; path?: string; message: string }
  | { type: 'notice'; message: string }
  | { type: 'outage'; action: 'start' | 'end'; message: string; ms?: number }
  | { type: 'watch'; action: 'stop'; reason: string };
