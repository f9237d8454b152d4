/**
 * B2Client: the native B2 v4 client, the B2Api that transfer/, sync/ and cli/ use. Built on ClientCore
 * (core.ts: session, retry policy, upload-URL pools, the authorized JSON call); uploads, listings and
 * downloads, copies and keys live in their own modules; buckets, large files and sharing here.
 */
import { B2Error, NotFoundError, UsageError } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';
import { bucketNameProblem } from '../wire/names.js';
import type {
  ApplicationKey,
  Bucket,
  BucketType,
  CancelLargeFileResponse,
  CreateKeyResponse,
  DeleteFileVersionResponse,
  DownloadAuthorizationResponse,
  FileVersion,
  ListPartsResponse,
  Part,
} from '../wire/types.js';
import type { NotificationRuleRequest, NotificationRulesResponse } from '../wire/notifications.js';
import type {
  AccountInfo,
  B2Api,
  CallOptions,
  ClientOptions,
  CopyFileParams,
  DownloadAuthorization,
  DownloadOptions,
  DownloadResponse,
  ListOptions,
  UploadFileParams,
  UploadPartParams,
} from './api.js';
import { ClientCore } from './core.js';
import * as copies from './copies.js';
import * as downloads from './downloads.js';
import * as hideDelete from './hide-delete.js';
import * as keys from './keys.js';
import * as largeFiles from './large-files.js';
import * as listings from './listings.js';
import * as notifications from './notifications.js';
import type { ResolvedRetry } from './retry.js';
import { clampDownloadDuration, shareUrl } from './share.js';
import * as uploads from './uploads.js';
import { checkFileName, checkPageSize } from './validate.js';
import type { CallCounts } from './call-classes.js';

export { uploadVerdict } from './uploads.js';

export class B2Client implements B2Api {
  readonly options: Readonly<ClientOptions>;
  private readonly core: ClientCore;

  constructor(options: ClientOptions) {
    this.core = new ClientCore(options);
    this.options = this.core.options;
  }

  get retryPolicy(): ResolvedRetry {
    return this.core.retry;
  }

  /** Successful b2_authorize_account exchanges made by this client. */
  get authorizations(): number {
    return this.core.session.authorizations;
  }

  // ── session ────────────────────────────────────────────────────────────────

  async account(): Promise<AccountInfo> {
    return (await this.core.session.get(this.core.signal())).account;
  }

  async reauthorize(): Promise<AccountInfo> {
    await this.core.session.clear();
    this.core.uploadUrls.clear();
    this.core.partUrls.clear();
    return (await this.core.session.refresh(undefined, this.core.signal())).account;
  }

  // ── buckets ────────────────────────────────────────────────────────────────

  async listBuckets(
    filter: { bucketName?: string; bucketId?: string; bucketTypes?: string[] } = {},
  ): Promise<Bucket[]> {
    const account = await this.account();
    const scoped = account.allowed.buckets;
    if (scoped && !filter.bucketName && !filter.bucketId) {
      // A bucket-restricted key must name its bucket(s); list each allowed one.
      const out: Bucket[] = [];
      for (const b of scoped) out.push(...(await this.listBuckets({ ...filter, bucketId: b.id })));
      return out.sort((a, b) => (a.bucketName < b.bucketName ? -1 : a.bucketName > b.bucketName ? 1 : 0));
    }
    const body: Record<string, unknown> = { accountId: account.accountId };
    if (filter.bucketName) body.bucketName = filter.bucketName;
    if (filter.bucketId) body.bucketId = filter.bucketId;
    if (filter.bucketTypes) body.bucketTypes = filter.bucketTypes;
    const res = await this.core.api<{ buckets: Bucket[] }>('b2_list_buckets', body);
    return res.buckets;
  }

  async getBucket(bucketName: string): Promise<Bucket> {
    const known = this.core.bucketsByName.get(bucketName);
    if (known) return known;
    const account = await this.account();
    const scoped = account.allowed.buckets;
    try {
      const found = await this.listBuckets({ bucketName, bucketTypes: ['all'] });
      const b = found.find((x) => x.bucketName === bucketName);
      if (b) return this.rememberBucket(b);
    } catch (err) {
      if (!(err instanceof B2Error && err.status === 401 && err.code === 'unauthorized' && scoped)) throw err;
    }
    let msg = `bucket "${bucketName}" not found`;
    if (scoped) {
      const names = scoped.map((b) => (b.name ? `"${b.name}"` : `(deleted bucket ${b.id})`));
      msg += `; this key may access only ${names.length ? names.join(', ') : 'no buckets'}`;
    }
    throw new NotFoundError(msg);
  }

  async createBucket(p: {
    bucketName: string;
    bucketType: BucketType;
    bucketInfo?: Record<string, string>;
    lifecycleRules?: unknown[];
  }): Promise<Bucket> {
    const problem = bucketNameProblem(p.bucketName);
    if (problem) throw new UsageError(`${problem}: "${p.bucketName}"`);
    const account = await this.account();
    const body: Record<string, unknown> = {
      accountId: account.accountId,
      bucketName: p.bucketName,
      bucketType: p.bucketType,
    };
    if (p.bucketInfo) body.bucketInfo = p.bucketInfo;
    if (p.lifecycleRules) body.lifecycleRules = p.lifecycleRules;
    return this.rememberBucket(await this.core.api<Bucket>('b2_create_bucket', body));
  }

  async updateBucket(p: {
    bucketId: string;
    bucketType?: BucketType;
    bucketInfo?: Record<string, string>;
    ifRevisionIs?: number;
  }): Promise<Bucket> {
    const account = await this.account();
    const body: Record<string, unknown> = { accountId: account.accountId, bucketId: p.bucketId };
    if (p.bucketType) body.bucketType = p.bucketType;
    if (p.bucketInfo) body.bucketInfo = p.bucketInfo;
    if (p.ifRevisionIs !== undefined) body.ifRevisionIs = p.ifRevisionIs;
    return this.rememberBucket(await this.core.api<Bucket>('b2_update_bucket', body));
  }

  async deleteBucket(bucketId: string): Promise<Bucket> {
    const account = await this.account();
    for (const [name, b] of this.core.bucketsByName) if (b.bucketId === bucketId) this.core.bucketsByName.delete(name);
    return this.core.api<Bucket>('b2_delete_bucket', { accountId: account.accountId, bucketId });
  }

  private rememberBucket(b: Bucket): Bucket {
    this.core.bucketsByName.set(b.bucketName, b);
    return b;
  }

  // ── uploads ────────────────────────────────────────────────────────────────

  uploadFile(p: UploadFileParams): Promise<FileVersion> {
    return uploads.uploadFile(this.core, p);
  }

  startLargeFile(p: largeFiles.StartLargeFileParams): Promise<FileVersion> {
    return largeFiles.startLargeFile(this.core, p);
  }

  uploadPart(p: UploadPartParams): Promise<Part> {
    return uploads.uploadPart(this.core, p);
  }

  finishLargeFile(fileId: string, partSha1Array: string[], opts: CallOptions = {}): Promise<FileVersion> {
    return largeFiles.finishLargeFile(this.core, fileId, partSha1Array, opts);
  }

  cancelLargeFile(fileId: string, opts: CallOptions = {}): Promise<CancelLargeFileResponse> {
    return largeFiles.cancelLargeFile(this.core, fileId, opts);
  }

  async *listParts(
    fileId: string,
    opts: { startPartNumber?: number; pageSize?: number; signal?: AbortSignal } = {},
  ): AsyncIterable<Part> {
    const maxPartCount = checkPageSize(opts.pageSize, LIMITS.maxListPartCount, LIMITS.maxListPartCount);
    let start: number | null = opts.startPartNumber ?? null;
    do {
      const body: Record<string, unknown> = { fileId, maxPartCount };
      if (start !== null) body.startPartNumber = start;
      const res = await this.core.api<ListPartsResponse>('b2_list_parts', body, opts.signal);
      for (const part of res.parts) yield part;
      start = res.nextPartNumber ?? null;
    } while (start !== null);
  }

  listUnfinishedLargeFiles(
    bucketId: string,
    opts: { namePrefix?: string; pageSize?: number; signal?: AbortSignal } = {},
  ): AsyncIterable<FileVersion> {
    return largeFiles.listUnfinishedLargeFiles(this.core, bucketId, opts);
  }

  // ── copy ───────────────────────────────────────────────────────────────────

  copyFile(p: CopyFileParams): Promise<FileVersion> {
    return copies.copyFile(this.core, p);
  }

  copyPart(p: copies.CopyPartParams): Promise<Part> {
    return copies.copyPart(this.core, p);
  }

  // ── listings ───────────────────────────────────────────────────────────────

  listFileNames(bucketId: string, opts: ListOptions = {}): AsyncIterable<FileVersion> {
    return listings.listFileNames(this.core, bucketId, opts);
  }
  listFileNameBatches(bucketId: string, opts: ListOptions = {}): AsyncIterable<FileVersion[]> {
    return listings.listFileNameBatches(this.core, bucketId, opts);
  }
  listFileVersions(bucketId: string, opts: ListOptions = {}): AsyncIterable<FileVersion> {
    return listings.listFileVersions(this.core, bucketId, opts);
  }

  // ── hide, delete, info ─────────────────────────────────────────────────────

  hideFile(bucketId: string, fileName: string, opts: CallOptions = {}): Promise<FileVersion> {
    return hideDelete.hideFile(this.core, bucketId, fileName, opts);
  }

  deleteFileVersion(fileName: string, fileId: string, opts: CallOptions = {}): Promise<DeleteFileVersionResponse> {
    return hideDelete.deleteFileVersion(this.core, fileName, fileId, opts);
  }

  async getFileInfo(fileId: string, opts: CallOptions = {}): Promise<FileVersion> {
    return this.core.api<FileVersion>('b2_get_file_info', { fileId }, opts.signal);
  }

  // ── downloads ──────────────────────────────────────────────────────────────

  downloadById(fileId: string, opts: DownloadOptions = {}): Promise<DownloadResponse> {
    return downloads.downloadById(this.core, fileId, opts);
  }

  downloadByName(bucketName: string, fileName: string, opts: DownloadOptions = {}): Promise<DownloadResponse> {
    return downloads.downloadByName(this.core, bucketName, fileName, opts);
  }

  headFileByName(
    bucketName: string,
    fileName: string,
    opts: CallOptions = {},
  ): Promise<Omit<DownloadResponse, 'body'> | undefined> {
    return downloads.headFileByName(this.core, bucketName, fileName, opts);
  }

  // ── sharing ────────────────────────────────────────────────────────────────

  async getDownloadAuthorization(p: {
    bucketId: string;
    fileNamePrefix: string;
    validDurationInSeconds: number;
    overrides?: Record<string, string>;
  }): Promise<DownloadAuthorization & { validDurationInSeconds: number; clamped: boolean }> {
    const d = clampDownloadDuration(p.validDurationInSeconds);
    const res = await this.core.api<DownloadAuthorizationResponse>('b2_get_download_authorization', {
      bucketId: p.bucketId,
      fileNamePrefix: p.fileNamePrefix,
      validDurationInSeconds: d.seconds,
      ...p.overrides,
    });
    return { ...res, validDurationInSeconds: d.seconds, clamped: d.clamped };
  }

  async downloadUrlByName(bucketName: string, fileName: string, token?: string): Promise<string> {
    checkFileName(fileName);
    const account = await this.account();
    return shareUrl(account.downloadUrl, bucketName, fileName, token);
  }

  // ── keys ───────────────────────────────────────────────────────────────────

  createKey(p: keys.CreateKeyParams): Promise<CreateKeyResponse> {
    return keys.createKey(this.core, p);
  }

  listKeys(opts: { pageSize?: number; signal?: AbortSignal } = {}): AsyncIterable<ApplicationKey> {
    return keys.listKeys(this.core, opts);
  }

  deleteKey(applicationKeyId: string): Promise<ApplicationKey> {
    return keys.deleteKey(this.core, applicationKeyId);
  }

  // ── event notifications ────────────────────────────────────────────────────

  getBucketNotificationRules(bucketId: string): Promise<NotificationRulesResponse> {
    return notifications.getBucketNotificationRules(this.core, bucketId);
  }

  setBucketNotificationRules(
    bucketId: string,
    rules: readonly NotificationRuleRequest[],
  ): Promise<NotificationRulesResponse> {
    return notifications.setBucketNotificationRules(this.core, bucketId, rules);
  }

  callCounts(): CallCounts {
    return this.core.transport.callCounts.snapshot();
  }

  close(): Promise<void> {
    return this.core.close();
  }
}
