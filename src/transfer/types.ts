/** Shapes shared by the transfer functions: progress reports, tuning knobs, download sources. */

/** A progress report: bytes moved so far (and parts, for large files). */
export interface Progress {
  bytes: number;
  totalBytes?: number;
  partsDone?: number;
  partsTotal?: number;
}

export interface TransferTuning {
  /** Files at or above this size are uploaded as large files; default 200 MB. */
  largeFileCutoff?: number;
  /** Part size; default the account's recommendedPartSize (grown to fit 10,000 parts). */
  partSize?: number;
  /** Parts (or download streams) in flight; default 4. */
  partConcurrency?: number;
  /** Downloads at or above this size use several ranged streams; default 256 MiB. */
  downloadParallelCutoff?: number;
  /** Ranged streams for a parallel download; default 4. */
  downloadStreams?: number;
  /** Downloads with at least this many bytes to fetch compute their SHA-1 on a worker thread; default 64 MiB. */
  bigDownloadCutoff?: number;
  /**
   * Downloads write with O_DIRECT, past the page cache, where the OS and file system allow it (Linux);
   * default false. Opt-in: it pays only where page-cache copies are expensive (see docs/performance.md).
   */
  directIo?: boolean;
  /**
   * Downloads: flush the file's data to the disk (fdatasync) before it is renamed into place, and the
   * directory after, so a power cut cannot leave a renamed file whose bytes never reached the disk.
   * Default false (as rclone; ext4 flushes a file renamed over another on its own).
   */
  fsync?: boolean;
}

/** A file version by id, or the newest visible version of a name. */
export type DownloadSource = { fileId: string } | { bucketName: string; fileName: string };

export const DEFAULTS = {
  largeFileCutoff: 200_000_000,
  partConcurrency: 4,
  downloadParallelCutoff: 256 * 1024 * 1024,
  downloadStreams: 4,
  bigDownloadCutoff: 64 * 1024 * 1024,
  largeCopyCutoff: 5_000_000_000,
} as const;

/** Info key that records the local source size on a large file, so a later run can resume it. */
export const INFO_SRC_SIZE = 'b2sync_src_size';
