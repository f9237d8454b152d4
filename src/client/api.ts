/**
 * The public surface of the B2 client (implemented by B2Client in client/b2-client.ts).
 * transfer/, sync/ and cli/ code against this interface.
 */
import type { Readable } from 'node:stream';
import type {
  ApplicationKey,
  Bucket,
  BucketType,
  CancelLargeFileResponse,
  CreateKeyResponse,
  DeleteFileVersionResponse,
  DownloadAuthorizationResponse,
  FileVersion,
  Part,
} from '../wire/types.js';
import type { NotificationRuleRequest, NotificationRulesResponse } from '../wire/notifications.js';
import type { FileRangeSource } from './pooled-file-body.js';
import type { CallCounts } from './call-classes.js';
import type { ResolvedRetry } from './retry.js';

export type { FileRangeSource } from './pooled-file-body.js';

export const DEFAULT_REALM = 'https://api.backblazeb2.com';

/** Where the account token is cached between runs. */
export type TokenCacheOption = { kind: 'memory' } | { kind: 'file'; dir: string };

export interface RetryOptions {
  /** Attempts after the first; default 5. */
  retries?: number;
  /** First backoff in ms (default 1000; tests use small values), doubling with jitter. */
  baseDelayMs?: number;
  /** Backoff ceiling in ms; default 64000. */
  maxDelayMs?: number;
}

/** One line of -v logging; tokens and keys are already redacted. */
export interface CallLogEntry {
  call: string;
  method: string;
  url: string;
  status: number;
  ms: number;
  attempt: number;
  error?: string;
}

export interface ClientOptions {
  applicationKeyId: string;
  applicationKey: string;
  /** Realm URL for b2_authorize_account; default DEFAULT_REALM. */
  endpoint?: string;
  tokenCache?: TokenCacheOption;
  retry?: RetryOptions;
  /** Bound on open connections per origin; default 32. */
  maxConnections?: number;
  userAgent?: string;
  /** Called after each HTTP exchange (for --verbose). */
  onCall?: (entry: CallLogEntry) => void;
  /** Aborts every call in flight and every later one. */
  signal?: AbortSignal;
}

export interface AccountInfo {
  accountId: string;
  apiUrl: string;
  downloadUrl: string;
  recommendedPartSize: number;
  absoluteMinimumPartSize: number;
  allowed: {
    capabilities: string[];
    buckets: { id: string; name: string | null }[] | null;
    namePrefix: string | null;
  };
  /** ms since epoch when the cached token was obtained. */
  authorizedAt: number;
}

/**
 * A request body that can be produced again for a retry: a buffer, a file range (read again into
 * reused buffers), or a factory that opens the same bytes again. Never a one-shot stream.
 */
export type ReplayableBody = Buffer | FileRangeSource | (() => Readable);

export interface UploadFileParams {
  bucketId: string;
  fileName: string;
  body: ReplayableBody;
  contentLength: number;
  /** Known SHA-1 of the body; when absent the client sends hex_digits_at_end and hashes inline. */
  sha1?: string;
  /** Default b2/x-auto. */
  contentType?: string;
  info?: Record<string, string>;
  signal?: AbortSignal;
  /** Called with bytes sent so far in this attempt (resets to 0 on a retry). */
  onProgress?: (bytesSent: number) => void;
}

export interface UploadPartParams {
  fileId: string;
  partNumber: number;
  body: ReplayableBody;
  contentLength: number;
  sha1?: string;
  signal?: AbortSignal;
  onProgress?: (bytesSent: number) => void;
}

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  startFileName?: string;
  startFileId?: string;
  /** Entries per page (maxFileCount), 1..10000; default 1000. */
  pageSize?: number;
  signal?: AbortSignal;
}

export interface DownloadOptions {
  /** Inclusive byte range. end omitted = to the end. */
  range?: { start: number; end?: number };
  signal?: AbortSignal;
  /** b2Content* header overrides. */
  overrides?: Record<string, string>;
}

/** A download response: parsed B2 headers and the body stream (unread). */
/** Per-call options: a signal that stops this call (with the client's own signal, either one does). */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface DownloadResponse {
  status: 200 | 206;
  fileId: string;
  fileName: string;
  contentLength: number;
  /** Whole-file size (from Content-Range on 206). */
  totalLength: number;
  contentType: string;
  /** As sent: 40 hex, "none", or "unverified:<hex>". */
  contentSha1: string;
  uploadTimestamp: number;
  info: Record<string, string>;
  headers: Record<string, string>;
  body: Readable;
}

export interface CopyFileParams {
  sourceFileId: string;
  fileName: string;
  destinationBucketId?: string;
  range?: { start: number; end: number };
  /** When given, metadataDirective REPLACE with these. */
  replace?: { contentType: string; info: Record<string, string> };
  signal?: AbortSignal;
}

/** b2_get_download_authorization's reply plus the duration actually requested (after clamping). */
export interface DownloadAuthorization extends DownloadAuthorizationResponse {
  validDurationInSeconds?: number;
  /** True when the requested duration was outside 1 s..7 d and was clamped. */
  clamped?: boolean;
}

export interface B2Api {
  readonly options: Readonly<ClientOptions>;
  /** The retry budget and backoff of this client (--retries), for retry loops above the client (download body resumes). */
  readonly retryPolicy: ResolvedRetry;
  /** Authorize (or reuse the cached token) and return the account info. */
  account(): Promise<AccountInfo>;
  /** Drop the cached token and authorize again. */
  reauthorize(): Promise<AccountInfo>;

  listBuckets(filter?: { bucketName?: string; bucketId?: string; bucketTypes?: string[] }): Promise<Bucket[]>;
  /** The bucket by name; throws NotFoundError (message names the bucket and the key's scope) when absent. */
  getBucket(bucketName: string): Promise<Bucket>;
  createBucket(p: {
    bucketName: string;
    bucketType: BucketType;
    bucketInfo?: Record<string, string>;
    lifecycleRules?: unknown[];
  }): Promise<Bucket>;
  updateBucket(p: {
    bucketId: string;
    bucketType?: BucketType;
    bucketInfo?: Record<string, string>;
    ifRevisionIs?: number;
  }): Promise<Bucket>;
  deleteBucket(bucketId: string): Promise<Bucket>;

  /** Simple upload; upload URLs come from a pool, a failed URL is discarded, retried per B2's rules. */
  uploadFile(p: UploadFileParams): Promise<FileVersion>;
  startLargeFile(p: {
    bucketId: string;
    fileName: string;
    contentType?: string;
    info?: Record<string, string>;
    signal?: AbortSignal;
  }): Promise<FileVersion>;
  uploadPart(p: UploadPartParams): Promise<Part>;
  finishLargeFile(fileId: string, partSha1Array: string[], opts?: CallOptions): Promise<FileVersion>;
  cancelLargeFile(fileId: string, opts?: CallOptions): Promise<CancelLargeFileResponse>;
  listParts(
    fileId: string,
    opts?: { startPartNumber?: number; pageSize?: number; signal?: AbortSignal },
  ): AsyncIterable<Part>;
  /** pageSize: maxFileCount per call, 1..100 (default 100). */
  listUnfinishedLargeFiles(
    bucketId: string,
    opts?: { namePrefix?: string; pageSize?: number; signal?: AbortSignal },
  ): AsyncIterable<FileVersion>;

  copyFile(p: CopyFileParams): Promise<FileVersion>;
  copyPart(p: {
    sourceFileId: string;
    largeFileId: string;
    partNumber: number;
    range?: { start: number; end: number };
    signal?: AbortSignal;
  }): Promise<Part>;

  /** Newest visible version of each name (plus folder entries with a delimiter), in B2's order. */
  listFileNames(bucketId: string, opts?: ListOptions): AsyncIterable<FileVersion>;
  /** listFileNames in batches (one per network chunk of a page, never empty), for callers that go through many. */
  listFileNameBatches?(bucketId: string, opts?: ListOptions): AsyncIterable<FileVersion[]>;
  /** Every version, hide markers included, names ascending, newest first within a name. */
  listFileVersions(bucketId: string, opts?: ListOptions): AsyncIterable<FileVersion>;

  hideFile(bucketId: string, fileName: string, opts?: CallOptions): Promise<FileVersion>;
  deleteFileVersion(fileName: string, fileId: string, opts?: CallOptions): Promise<DeleteFileVersionResponse>;
  getFileInfo(fileId: string, opts?: CallOptions): Promise<FileVersion>;
  /** HEAD on the by-name URL; undefined when the name does not exist (or is hidden). */
  headFileByName(
    bucketName: string,
    fileName: string,
    opts?: CallOptions,
  ): Promise<Omit<DownloadResponse, 'body'> | undefined>;

  downloadById(fileId: string, opts?: DownloadOptions): Promise<DownloadResponse>;
  downloadByName(bucketName: string, fileName: string, opts?: DownloadOptions): Promise<DownloadResponse>;

  /** validDurationInSeconds is clamped to 1..604800; the reply says what was sent and whether it was clamped. */
  getDownloadAuthorization(p: {
    bucketId: string;
    fileNamePrefix: string;
    validDurationInSeconds: number;
    overrides?: Record<string, string>;
  }): Promise<DownloadAuthorization>;
  /** {downloadUrl}/file/{bucket}/{encoded name}[?Authorization=token] */
  downloadUrlByName(bucketName: string, fileName: string, token?: string): Promise<string>;

  createKey(p: {
    keyName: string;
    capabilities: string[];
    bucketIds?: string[];
    namePrefix?: string;
    validDurationInSeconds?: number;
  }): Promise<CreateKeyResponse>;
  /** pageSize: maxKeyCount per call, 1..10000 (default 1000). */
  listKeys(opts?: { pageSize?: number; signal?: AbortSignal }): AsyncIterable<ApplicationKey>;
  deleteKey(applicationKeyId: string): Promise<ApplicationKey>;

  /** The bucket's event notification rules, sorted by name (signing secrets included, as B2 answers). */
  getBucketNotificationRules(bucketId: string): Promise<NotificationRulesResponse>;
  /** Replace the bucket's event notification rules (an empty list removes them all). */
  setBucketNotificationRules(
    bucketId: string,
    rules: readonly NotificationRuleRequest[],
  ): Promise<NotificationRulesResponse>;

  /** B2 calls sent so far by transaction class (A, B, C; client/call-classes.ts), retries included. */
  callCounts?(): CallCounts;

  /** Close pooled connections. */
  close(): Promise<void>;
}
