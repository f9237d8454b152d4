/**
 * Bisync's shapes: the state a pair keeps between runs, the plan's operations, options, events and
 * summary. Plain data; the contract between the state store (state-store.ts), the planner
 * (planner.ts), the executor (executor.ts) and the CLI. See docs/bisync.md.
 *
 * Sides are held as local / remote (bisync takes one local folder and one B2 path, in either order);
 * `localIs` says which of path1 / path2 the local side is, for conflict names and the path1 / path2
 * policies. Paths are relative, '/'-separated, in B2 order (compareB2Order), as in sync's Entry.
 */
import type { Entry } from '../types.js';

/** The local file as the last run left it. */
export interface LocalMeta {
  size: number;
  /** Whole ms. */
  mtimeMs: number;
  /** Inode; absent when not known yet (e.g. just downloaded: the next run fills it in). */
  ino?: number;
  /** SHA-1 when known (hashed by --checksum, a conflict check or a rename match). */
  sha1?: string;
}

/** The newest visible B2 version as the last run left it. */
export interface RemoteMeta {
  size: number;
  /** src_last_modified_millis, else the upload time. */
  mtimeMs: number;
  /** Absent right after an upload planned by this run (the next run's listing fills it in). */
  fileId?: string;
  sha1?: string;
}

/** One file that both sides held, in step, after the last run. */
export interface StateRecord {
  path: string;
  local: LocalMeta;
  remote: RemoteMeta;
}

/** What one operation does to the saved state when it succeeds (before: the record it replaces). */
export interface StateChange {
  path: string;
  before?: StateRecord;
  /** Absent: the path leaves the state (deleted on both sides, or the old name of a rename). */
  after?: StateRecord;
}

export type ConflictPolicy = 'keep-both' | 'newer' | 'older' | 'path1' | 'path2';
export type SideName = 'path1' | 'path2';
export type Where = 'local' | 'remote';

/** Why an operation was planned (shown in --json and -v). */
export type BisyncReason =
  'new' | 'changed' | 'deleted' | 'restored (changed on the other side)' | 'renamed' | 'same content' | 'conflict';

/**
 * One planned operation. `id` numbers operations in plan order from 0 (the journal records ids of
 * completed operations; the state store keeps a bitset of them). Entries are the listing entries
 * (local: localPath, ino; remote: fileId, sha1, info).
 */
export type BisyncOp = {
  id: number;
  path: string;
  reason: BisyncReason;
  /** Size of the bytes that travel (transfers), or of the file (others). */
  size?: number;
  /** State changes applied when the operation completes (a rename has two; a keep-both conflict two). */
  changes: StateChange[];
} & (
  | { op: 'upload'; local: Entry; remote?: Entry }
  | { op: 'download'; remote: Entry; local?: Entry }
  | { op: 'delete-local'; local: Entry }
  | { op: 'delete-remote'; remote: Entry }
  /** The local file at `from` moves to `path` (B2 renamed it). */
  | { op: 'rename-local'; from: string; local: Entry; remote: Entry }
  /** B2: server-side copy of the version at `from` to `path`, then `from` hidden (the local file moved). */
  | { op: 'rename-remote'; from: string; remote: Entry; local: Entry }
  /**
   * Changed on both sides with different content. `winner` keeps the name; the loser's content is
   * kept under `loserPath` on both sides (keep-both, and any policy when the loser is local), or stays
   * as an older B2 version (loserPath absent: a policy picked the local side over the remote one).
   */
  | { op: 'conflict'; local: Entry; remote: Entry; winner: Where; loserPath?: string; policy: ConflictPolicy }
  /** Both sides already hold the same content (first run overlap, or both changed alike): state only. */
  | { op: 'settle'; local: Entry; remote: Entry }
);

export type BisyncOpKind = BisyncOp['op'];

export interface BisyncPlannerOptions {
  /** Two mtimes within this many ms are equal; default 1 (as sync). */
  modifyWindowMs: number;
  /** --checksum: compare local content by SHA-1 (through the hash cache) rather than size and time. */
  checksum: boolean;
  conflict: ConflictPolicy;
  /** Which argument the local side was. */
  localIs: SideName;
  /** The run's start (ms since epoch): conflict names are stamped with it, UTC yyyymmdd-hhmmss. */
  now: number;
  /** Local files hashed at once while planning (--checkers); default 16. */
  checkers?: number;
}

/** What the planner counted, for the safety stop and the summary. */
export interface BisyncCounts {
  /** Records in the previous state. */
  state: number;
  /** Entries listed on each side (after filters). */
  local: number;
  remote: number;
  /** Deletions planned on each side (renames are not deletions). */
  deleteLocal: number;
  deleteRemote: number;
  renames: number;
  conflicts: number;
  /** Paths left alone because something about them needs the user (twin names, a filter on one side). */
  held: number;
}

export interface BisyncOptions {
  dryRun?: boolean;
  conflict?: ConflictPolicy;
  /** Refuse the run when it would delete more than this on either side: a count, or a percentage. */
  maxDelete?: { count: number } | { percent: number };
  force?: boolean;
  checksum?: boolean;
  modifyWindowMs?: number;
  hardDelete?: boolean;
  /** Keep empty folders in step too (as .bzEmpty markers on B2), as sync's --create-empty-src-dirs. */
  createEmptySrcDirs?: boolean;
  transfers?: number;
  checkers?: number;
  /** Root of bisync's state; default $XDG_STATE_HOME/b2sync, else ~/.local/state/b2sync. */
  stateDir: string;
  signal?: AbortSignal;
  onEvent?: (e: BisyncEvent) => void;
  /** Clock (tests). */
  now?: number;
}

/** The plan entry shown to the user (and in --json as {type:'plan', ...this}). */
export interface BisyncPlanEntry {
  action: BisyncOpKind;
  path: string;
  reason: BisyncReason;
  /** rename-*: the old name. conflict: the winner ('path1' | 'path2') and the loser's new name. */
  from?: string;
  winner?: SideName;
  loserPath?: string;
  size?: number;
}

export type BisyncEvent =
  | { type: 'plan'; entry: BisyncPlanEntry }
  | { type: 'start'; entry: BisyncPlanEntry }
  | { type: 'progress'; path: string; bytes: number; totalBytes?: number }
  | { type: 'done'; entry: BisyncPlanEntry }
  | { type: 'error'; item: string; message: string }
  | { type: 'warning'; item?: string; message: string }
  | { type: 'note'; item?: string; message: string };

export interface BisyncSummary {
  /** Bytes and files moved each way. */
  uploaded: { files: number; bytes: number };
  downloaded: { files: number; bytes: number };
  renamed: number;
  deleted: { local: number; remote: number };
  conflicts: number;
  settled: number;
  unchanged: number;
  /** Local files read for their SHA-1 while planning (the hash cache did not know them). */
  hashed?: number;
  /** A crashed earlier run's completed operations folded into the state at the start of this one. */
  recovered?: { planned: number; done: number };
  errors: { item: string; message: string }[];
  elapsedMs: number;
  /** A scoped pass (bisync --watch): the number of scope roots it looked at. */
  scoped?: number;
  /** The plan (dry run, or when asked). */
  plan?: BisyncPlanEntry[];
}
