/** B2's limits, as documented (shared/b2-api.md). */
export const LIMITS = {
  /** Bytes of UTF-8 in a file name. */
  maxFileNameBytes: 1024,
  /** Header budget for name + info (full encoded header lines incl. CR LF). */
  headerBudgetBytes: 7000,
  /** Header budget with SSE or Object Lock. */
  headerBudgetBytesSse: 2048,
  /** X-Bz-Info-* headers per file. */
  maxFileInfoEntries: 10,
  /** Bytes in a file-info name. */
  maxFileInfoNameBytes: 50,
  /** Largest simple upload (current docs: 5 GiB). */
  maxSimpleUploadBytes: 5 * 1024 * 1024 * 1024,
  /** Largest part and largest b2_copy_file result. */
  maxPartBytes: 5 * 1024 * 1024 * 1024,
  /** Production absoluteMinimumPartSize. */
  minPartBytes: 5_000_000,
  /** Production recommendedPartSize. */
  recommendedPartBytes: 100_000_000,
  maxParts: 10_000,
  /** Largest large file: 10 TB. */
  maxFileBytes: 10_000_000_000_000,
  /** maxFileCount ceiling for list_file_names / list_file_versions. */
  maxListCount: 10_000,
  defaultListCount: 100,
  maxListPartCount: 1000,
  maxUnfinishedCount: 100,
  /** get_download_authorization validDurationInSeconds bounds. */
  minDownloadAuthSeconds: 1,
  maxDownloadAuthSeconds: 604_800,
  /** Account token lifetime. */
  tokenTtlSeconds: 24 * 60 * 60,
  bucketNameMin: 6,
  bucketNameMax: 63,
  maxBuckets: 100,
} as const;

/** The SHA-1 of empty input. */
export const EMPTY_SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
export const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
