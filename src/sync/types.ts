/** Public shapes of the sync engine: endpoints, options, plan actions, events, summary. Plain data. */
import type { B2Api } from '../client/api.js';
import type { TransferTuning } from '../transfer/index.js';
import type { FilterRules } from './filter-rules.js';

export type SyncEndpoint =
  { kind: 'local'; path: string } | { kind: 'b2'; client: B2Api; bucketName: string; prefix: string };

export type CompareMode = 'size-mtime' | 'checksum' | 'size-only';

export interface SyncOptions {
  /** sync makes DST like SRC (deleting extras); copy never deletes. */
  mode: 'sync' | 'copy';
  /** Default size-mtime. */
  compare?: CompareMode;
  /** Two mtimes within this many ms are equal; default 1. */
  modifyWindowMs?: number;
  /** Skip files that are newer on DST. */
  update?: boolean;
  /** Skip every file that exists on DST. */
  ignoreExisting?: boolean;
  /** When extras on DST are deleted (sync only); default after. */
  deleteMode?: 'after' | 'during';
  /** On B2, delete every version of an extra instead of hiding it. */
  hardDelete?: boolean;
  /** Delete at most this many files; the rest are reported as errors. */
  maxDelete?: number;
  /** Override the safety stop. */
  force?: boolean;
  filters?: FilterRules;
  /** Follow symlinks (default: skip them with a warning). */
  copyLinks?: boolean;
  /** Mirror empty directories (as .bzEmpty placeholders on B2). */
  createEmptySrcDirs?: boolean;
  /** Files in flight; default 16. */
  transfers?: number;
  /** Comparisons (hashing) in flight; default 16. */
  checkers?: number;
  /** Plan only. */
  dryRun?: boolean;
  tuning?: TransferTuning;
  /** Where --checksum keeps local SHA-1s between runs; no cache when absent. */
  hashCacheDir?: string;
  signal?: AbortSignal;
  /**
   * Return the plan (without skips) in summary.plan. Default: true for a dry run, false otherwise.
   * The list grows with the number of changes: pass false for huge dry runs and read 'plan' events instead.
   */
  keepPlan?: boolean;
  onEvent?: (e: SyncEvent) => void;
  /**
   * Take only this shard's files (shard.ts): transfers of paths whose hash falls in it; deletions of
   * extras only in shard 1, which plans them from the full listings (docs/sync.md, "Sharding").
   */
  shard?: { index: number; count: number };
  /** Local → B2 sync: a local rename (same size and SHA-1, unique match) becomes a server-side copy + hide. */
  trackRenames?: boolean;
  /** A B2 source as it was at this moment (ms since the epoch): from its versions and hide markers. */
  at?: number;
  /** Clock for age filters (tests); default Date.now(). */
  now?: number;
}

export type ActionKind = 'upload' | 'download' | 'copy' | 'delete' | 'skip';

export type PlanReason =
  | 'new'
  | 'changed size'
  | 'newer'
  | 'older'
  | 'checksum differs'
  | 'extra on destination'
  | 'empty directory'
  | 'same size and time'
  | 'same checksum'
  | 'same size'
  | 'destination newer'
  | 'exists on destination';

/** One step of a plan. path is relative to the endpoints ('/'-separated, as a B2 name suffix). */
export interface PlanAction {
  action: ActionKind;
  path: string;
  reason: PlanReason;
  size?: number;
}

export type SyncEvent =
  | { type: 'plan'; action: PlanAction }
  | { type: 'start'; action: PlanAction }
  | { type: 'progress'; path: string; bytes: number; totalBytes?: number }
  | { type: 'done'; action: PlanAction }
  | { type: 'error'; item: string; message: string }
  | { type: 'warning'; item?: string; message: string }
  | { type: 'note'; item?: string; message: string };

export interface SyncSummary {
  transferred: { files: number; bytes: number };
  /** Files present on both sides and compared. */
  checked: number;
  deleted: number;
  skipped: number;
  errors: { item: string; message: string }[];
  elapsedMs: number;
  /** --track-renames: files renamed on B2 by a server-side copy and a hide (not in transferred). */
  renamed?: number;
  /** The non-skip actions, in order (when keepPlan, which a dry run defaults to). */
  plan?: PlanAction[];
}

/** One file seen on either side. */
export interface Entry {
  /** Relative, '/'-separated; the B2 name suffix (local names in NFC). */
  path: string;
  size: number;
  /** Whole ms. */
  mtimeMs: number;
  /** Local: path on disk (may be NFD). */
  localPath?: string;
  /** Local: inode (hash cache key). */
  ino?: number;
  /** B2: the version's id. */
  fileId?: string;
  /** B2: SHA-1 known from the listing (contentSha1 or large_file_sha1). */
  sha1?: string;
  /** B2: content type and info (for B2→B2 copies). */
  contentType?: string;
  info?: Record<string, string>;
  /** B2: true when the mtime came from src_last_modified_millis. */
  hasSrcMtime?: boolean;
  /** 'marker' = an empty directory (.bzEmpty on B2). */
  kind: 'file' | 'marker';
  /** Local: another name in the same folder differs from this one only in unicode form (NFC/NFD). */
  twin?: boolean;
}
