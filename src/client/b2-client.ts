/**
 * B2Client: the native B2 v4 client. Owns the session (cached token, re-authorize once), the retry
 * policy (every b2_* call is a POST), the upload-URL pools, typed calls and async-iterator listings.
 */
import { B2Error, IntegrityError, NotFoundError, UsageError } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';
import { normalizeSha1 } from '../core/sha1.js';
import { H } from '../wire/headers.js';
import { b2Encode, bucketNameProblem } from '../wire/names.js';
import type {
  ApplicationKey,
  Bucket,
  BucketType,
  CancelLargeFileResponse,
  CreateKeyResponse,
  DeleteFileVersionResponse,
  DownloadAuthorizationResponse,
  FileVersion,
  ListKeysResponse,
  ListPartsResponse,
  ListUnfinishedResponse,
  Part,
  PartUploadUrlResponse,
  UploadUrlResponse,
} from '../wire/types.js';
import {
  DEFAULT_REALM,
  type AccountInfo,
  type B2Api,
  type CallOptions,
  type ClientOptions,
  type CopyFileParams,
  type DownloadAuthorization,
  type DownloadOptions,
  type DownloadResponse,
  type ListOptions,
  type UploadFileParams,
  type UploadPartParams,
} from './api.js';
import { parseDownloadHeaders } from './download-headers.js';
import { abortReason, anySignal } from '../core/abort.js';
import { b2RetryAfter, resolveRetry, retrying, transientVerdict, type ResolvedRetry, type RetryCount, type RetryVerdict } from './retry.js';
import { Session, type AuthState } from './session.js';
import { byNameUrl, clampDownloadDuration, shareUrl, withQuery } from './share.js';
import { FileTokenStore, MemoryTokenStore, type TokenStore } from './token-cache.js';
import { Transport, type HttpRequest, type HttpResponse } from './transport.js';
import { makeAttemptBody } from './upload-body.js';
import { UploadUrlPool, type UploadSlot } from './upload-url-pool.js';
import { checkFileMetadata, checkFileName, checkPageSize } from './validate.js';
import { DEFAULT_USER_AGENT } from './version.js';

const API = 'b2api/v4';

/**
 * What an upload failure allows (b2-api.md §6.2): every retry takes a fresh upload URL; a refused
 * upload token (401) or a busy URL (auth_token_limit) is retried at once, other retryableUpload
 * failures after the backoff; anything else (a source error, a SHA-1 mismatch) is final.
 */
export function uploadVerdict(err: unknown): RetryVerdict {
  if (!(err instanceof B2Error) || !err.retryableUpload) return 'fail';
  return err.status === 401 || err.code === 'auth_token_limit' ? 'retry-now' : 'retry';
}

interface CallState {
  /** Set when an attempt failed transiently and the call was sent again. */
  retried: boolean;
}

export class B2Client implements B2Api {
  readonly options: Readonly<ClientOptions>;
  private readonly transport: Transport;
  private readonly session: Session;
  private readonly retry: ResolvedRetry;
  private readonly uploadUrls = new UploadUrlPool();
  private readonly partUrls = new UploadUrlPool();
  /** Buckets found by name during this client's life: a CLI run and the engine under it ask once. */
  private readonly bucketsByName = new Map<string, Bucket>();
  private readonly issuedUploadTokens: string[] = [];
  private closed = false;

  constructor(options: ClientOptions) {
    if (!options.applicationKeyId || !options.applicationKey) throw new UsageError('an application key id and key are needed');
    this.options = Object.freeze({ ...options });
    this.retry = resolveRetry(options.retry);
    const endpoint = (options.endpoint ?? DEFAULT_REALM).replace(/\/+$/, '');
    this.transport = new Transport({
      maxConnections: options.maxConnections ?? 32,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      onCall: options.onCall,
      secrets: () => [options.applicationKey, this.session?.token, ...this.issuedUploadTokens],
    });
    const cache = options.tokenCache ?? { kind: 'memory' };
    const store: TokenStore =
      cache.kind === 'file'
        ? new FileTokenStore(cache.dir, endpoint, options.applicationKeyId, options.applicationKey)
        : new MemoryTokenStore();
    this.session = new Session(this.transport, store, {
      endpoint,
      keyId: options.applicationKeyId,
      key: options.applicationKey,
      retry: this.retry,
    });
  }

  get retryPolicy(): ResolvedRetry {
    return this.retry;
  }

  /** Successful b2_authorize_account exchanges made by this client. */
  get authorizations(): number {
    return this.session.authorizations;
  }

  // ── session ────────────────────────────────────────────────────────────────

  async account(): Promise<AccountInfo> {
    return (await this.session.get(this.signal())).account;
  }

  async reauthorize(): Promise<AccountInfo> {
    await this.session.clear();
    this.uploadUrls.clear();
    this.partUrls.clear();
    return (await this.session.refresh(undefined, this.signal())).account;
  }

  private signal(extra?: AbortSignal): AbortSignal | undefined {
    if (this.closed) throw new UsageError('the B2 client is closed');
    return anySignal(this.options.signal, extra);
  }

  /**
   * Run fn with the account token: re-authorize once on 401 expired/bad token (surfacing the original
   * error when that fails), and retry transient failures with backoff, honouring Retry-After.
   * A failed authorization is final here: Session.authorize retried it already.
   */
  private withAuth<T>(
    signal: AbortSignal | undefined,
    fn: (auth: AuthState, attempt: number, sig: AbortSignal | undefined) => Promise<T>,
    state?: CallState,
  ): Promise<T> {
    const sig = this.signal(signal);
    let reauthorized = false;
    let auth: AuthState | undefined;
    return retrying(
      async (attempt) => {
        auth = undefined;
        const current = await this.session.get(sig);
        auth = current;
        return fn(current, attempt, sig);
      },
      {
        signal: sig,
        policy: this.retry,
        retryAfter: b2RetryAfter,
        onRetry: () => {
          if (state) state.retried = true;
        },
        classify: async (err) => {
          if (!auth || !(err instanceof B2Error)) return 'fail';
          if (!err.reauthorize || reauthorized) return transientVerdict(err);
          reauthorized = true;
          try {
            await this.refreshSession(auth.token, sig);
          } catch {
            if (sig?.aborted) throw abortReason(sig);
            throw err;
          }
          return 'again';
        },
      },
    );
  }

  private async refreshSession(staleToken: string, sig: AbortSignal | undefined): Promise<void> {
    const before = this.session.token;
    await this.session.refresh(staleToken, sig);
    if (this.session.token !== before) {
      // URLs obtained with the old token may be expired as well.
      this.uploadUrls.clear();
      this.partUrls.clear();
    }
  }

  /** The POST of a JSON call to {apiUrl}/b2api/v4/{call}. */
  private jsonRequest(call: string, text: string, auth: AuthState, attempt: number, sig: AbortSignal | undefined): HttpRequest {
    return {
      call,
      method: 'POST',
      url: `${auth.account.apiUrl}/${API}/${call}`,
      headers: { authorization: auth.token, 'content-type': 'application/json;charset=utf-8' },
      body: text,
      signal: sig,
      attempt,
    };
  }

  /** A JSON call to {apiUrl}/b2api/v4/{call}. */
  private api<T>(call: string, body: Record<string, unknown>, signal?: AbortSignal, state?: CallState): Promise<T> {
    const text = JSON.stringify(body);
    return this.withAuth(signal, (auth, attempt, sig) => this.transport.json<T>(this.jsonRequest(call, text, auth, attempt, sig)), state);
  }

  // ── buckets ────────────────────────────────────────────────────────────────

  async listBuckets(filter: { bucketName?: string; bucketId?: string; bucketTypes?: string[] } = {}): Promise<Bucket[]> {
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
    const res = await this.api<{ buckets: Bucket[] }>('b2_list_buckets', body);
    return res.buckets;
  }

  async getBucket(bucketName: string): Promise<Bucket> {
    const known = this.bucketsByName.get(bucketName);
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

  async createBucket(p: { bucketName: string; bucketType: BucketType; bucketInfo?: Record<string, string>; lifecycleRules?: unknown[] }): Promise<Bucket> {
    const problem = bucketNameProblem(p.bucketName);
    if (problem) throw new UsageError(`${problem}: "${p.bucketName}"`);
    const account = await this.account();
    const body: Record<string, unknown> = { accountId: account.accountId, bucketName: p.bucketName, bucketType: p.bucketType };
    if (p.bucketInfo) body.bucketInfo = p.bucketInfo;
    if (p.lifecycleRules) body.lifecycleRules = p.lifecycleRules;
    return this.rememberBucket(await this.api<Bucket>('b2_create_bucket', body));
  }

  async updateBucket(p: { bucketId: string; bucketType?: BucketType; bucketInfo?: Record<string, string>; ifRevisionIs?: number }): Promise<Bucket> {
    const account = await this.account();
    const body: Record<string, unknown> = { accountId: account.accountId, bucketId: p.bucketId };
    if (p.bucketType) body.bucketType = p.bucketType;
    if (p.bucketInfo) body.bucketInfo = p.bucketInfo;
    if (p.ifRevisionIs !== undefined) body.ifRevisionIs = p.ifRevisionIs;
    return this.rememberBucket(await this.api<Bucket>('b2_update_bucket', body));
  }

  async deleteBucket(bucketId: string): Promise<Bucket> {
    const account = await this.account();
    for (const [name, b] of this.bucketsByName) if (b.bucketId === bucketId) this.bucketsByName.delete(name);
    return this.api<Bucket>('b2_delete_bucket', { accountId: account.accountId, bucketId });
  }

  private rememberBucket(b: Bucket): Bucket {
    this.bucketsByName.set(b.bucketName, b);
    return b;
  }

  // ── uploads ────────────────────────────────────────────────────────────────

  private rememberUploadToken(token: string): void {
    this.issuedUploadTokens.push(token);
    if (this.issuedUploadTokens.length > 256) this.issuedUploadTokens.shift();
  }

  /**
   * Send a body to an upload URL from `pool` (or a fresh one from `getUrl`); a URL is never shared by
   * two uploads at once, is given back after a success, and is dropped after any failure.
   */
  private async uploadWithPool<T extends { contentSha1: string | null }>(
    call: 'b2_upload_file' | 'b2_upload_part',
    pool: UploadUrlPool,
    poolKey: string,
    getUrl: (sig: AbortSignal | undefined) => Promise<UploadSlot>,
    headers: Record<string, string>,
    p: { body: UploadFileParams['body']; contentLength: number; sha1?: string; onProgress?: (n: number) => void; signal?: AbortSignal },
  ): Promise<T> {
    const sig = this.signal(p.signal);
    let sending = false;
    const attemptOnce = async (attempt: number): Promise<T> => {
      sending = false;
      let slot = pool.take(poolKey);
      if (!slot) {
        slot = await getUrl(sig); // an authorized call, retried on its own
        this.rememberUploadToken(slot.authorizationToken);
      }
      sending = true;
      const body = makeAttemptBody(p.body, p.contentLength, p.sha1, p.onProgress);
      try {
        const res = await this.transport.json<T>({
          call,
          method: 'POST',
          url: slot.uploadUrl,
          headers: {
            ...headers,
            authorization: slot.authorizationToken,
            [H.contentLength]: String(body.length),
            [H.contentSha1]: body.sha1Header,
          },
          body: body.body,
          signal: sig,
          attempt,
        });
        const sent = body.sha1();
        const got = normalizeSha1(res.contentSha1);
        if (got !== sent) {
          throw new IntegrityError(`${call}: B2 reports SHA-1 ${res.contentSha1} for ${headers[H.fileName] ?? poolKey}, but ${sent} was sent`);
        }
        pool.give(poolKey, slot);
        return res;
      } catch (err) {
        throw body.sourceError() ?? err; // a source that cannot be read is not worth a retry
      } finally {
        body.dispose();
      }
    };
    return retrying(attemptOnce, {
      signal: sig,
      policy: this.retry,
      retryAfter: b2RetryAfter,
      classify: (err) => {
        if (!sending) return 'fail';
        const verdict = uploadVerdict(err);
        if (verdict === 'retry-now' && (err as B2Error).status === 401) pool.drop(poolKey); // the other pooled tokens are likely stale too
        return verdict;
      },
    });
  }

  async uploadFile(p: UploadFileParams): Promise<FileVersion> {
    const info = p.info ?? {};
    checkFileMetadata(p.fileName, info);
    if (p.contentLength > LIMITS.maxSimpleUploadBytes) {
      throw new UsageError(`${p.contentLength} bytes is over B2's ${LIMITS.maxSimpleUploadBytes}-byte simple-upload limit: use a large file`);
    }
    const headers: Record<string, string> = {
      [H.fileName]: b2Encode(p.fileName),
      [H.contentType]: p.contentType ?? 'b2/x-auto',
    };
    for (const [k, v] of Object.entries(info)) headers[`X-Bz-Info-${k}`] = b2Encode(v);
    return this.uploadWithPool<FileVersion>(
      'b2_upload_file',
      this.uploadUrls,
      p.bucketId,
      (sig) => this.api<UploadUrlResponse>('b2_get_upload_url', { bucketId: p.bucketId }, sig),
      headers,
      p,
    );
  }

  async startLargeFile(p: { bucketId: string; fileName: string; contentType?: string; info?: Record<string, string>; signal?: AbortSignal }): Promise<FileVersion> {
    const info = p.info ?? {};
    checkFileMetadata(p.fileName, info);
    return this.api<FileVersion>(
      'b2_start_large_file',
      { bucketId: p.bucketId, fileName: p.fileName, contentType: p.contentType ?? 'b2/x-auto', fileInfo: info },
      p.signal,
    );
  }

  async uploadPart(p: UploadPartParams): Promise<Part> {
    if (!Number.isInteger(p.partNumber) || p.partNumber < 1 || p.partNumber > LIMITS.maxParts) {
      throw new UsageError(`part number must be 1..${LIMITS.maxParts}, got ${p.partNumber}`);
    }
    if (p.contentLength > LIMITS.maxPartBytes) throw new UsageError(`part ${p.partNumber} is over B2's ${LIMITS.maxPartBytes}-byte part limit`);
    return this.uploadWithPool<Part>(
      'b2_upload_part',
      this.partUrls,
      p.fileId,
      (sig) => this.api<PartUploadUrlResponse>('b2_get_upload_part_url', { fileId: p.fileId }, sig),
      { [H.partNumber]: String(p.partNumber) },
      p,
    );
  }

  async finishLargeFile(fileId: string, partSha1Array: string[], opts: CallOptions = {}): Promise<FileVersion> {
    const state: CallState = { retried: false };
    try {
      const res = await this.api<FileVersion>('b2_finish_large_file', { fileId, partSha1Array }, opts.signal, state);
      this.partUrls.drop(fileId);
      return res;
    } catch (err) {
      // A finish whose reply was lost answers 400 on the retry: if the file exists, it succeeded.
      if (state.retried && err instanceof B2Error && err.status === 400) {
        const info = await this.getFileInfo(fileId, opts).catch(() => undefined);
        if (info && info.action === 'upload') {
          this.partUrls.drop(fileId);
          return info;
        }
      }
      throw err;
    }
  }

  async cancelLargeFile(fileId: string, opts: CallOptions = {}): Promise<CancelLargeFileResponse> {
    this.partUrls.drop(fileId);
    return this.api<CancelLargeFileResponse>('b2_cancel_large_file', { fileId }, opts.signal);
  }

  async *listParts(fileId: string, opts: { startPartNumber?: number; pageSize?: number; signal?: AbortSignal } = {}): AsyncIterable<Part> {
    const maxPartCount = checkPageSize(opts.pageSize, LIMITS.maxListPartCount, LIMITS.maxListPartCount);
    let start: number | null = opts.startPartNumber ?? null;
    do {
      const body: Record<string, unknown> = { fileId, maxPartCount };
      if (start !== null) body.startPartNumber = start;
      const res = await this.api<ListPartsResponse>('b2_list_parts', body, opts.signal);
      for (const part of res.parts) yield part;
      start = res.nextPartNumber ?? null;
    } while (start !== null);
  }

  async *listUnfinishedLargeFiles(bucketId: string, opts: { namePrefix?: string; pageSize?: number; signal?: AbortSignal } = {}): AsyncIterable<FileVersion> {
    const maxFileCount = checkPageSize(opts.pageSize, LIMITS.maxUnfinishedCount, LIMITS.maxUnfinishedCount);
    let startFileId: string | null = null;
    do {
      const body: Record<string, unknown> = { bucketId, maxFileCount };
      if (opts.namePrefix) body.namePrefix = opts.namePrefix;
      if (startFileId !== null) body.startFileId = startFileId;
      const res = await this.api<ListUnfinishedResponse>('b2_list_unfinished_large_files', body, opts.signal);
      for (const f of res.files) yield f;
      startFileId = res.nextFileId ?? null;
    } while (startFileId !== null);
  }

  // ── copy ───────────────────────────────────────────────────────────────────

  async copyFile(p: CopyFileParams): Promise<FileVersion> {
    checkFileMetadata(p.fileName, p.replace?.info ?? {});
    const body: Record<string, unknown> = { sourceFileId: p.sourceFileId, fileName: p.fileName };
    if (p.destinationBucketId) body.destinationBucketId = p.destinationBucketId;
    if (p.range) body.range = rangeValue(p.range.start, p.range.end);
    if (p.replace) {
      body.metadataDirective = 'REPLACE';
      body.contentType = p.replace.contentType;
      body.fileInfo = p.replace.info;
    } else {
      body.metadataDirective = 'COPY';
    }
    return this.api<FileVersion>('b2_copy_file', body, p.signal);
  }

  async copyPart(p: { sourceFileId: string; largeFileId: string; partNumber: number; range?: { start: number; end: number }; signal?: AbortSignal }): Promise<Part> {
    if (!Number.isInteger(p.partNumber) || p.partNumber < 1 || p.partNumber > LIMITS.maxParts) {
      throw new UsageError(`part number must be 1..${LIMITS.maxParts}, got ${p.partNumber}`);
    }
    const body: Record<string, unknown> = { sourceFileId: p.sourceFileId, largeFileId: p.largeFileId, partNumber: p.partNumber };
    if (p.range) body.range = rangeValue(p.range.start, p.range.end);
    return this.api<Part>('b2_copy_part', body, p.signal);
  }

  // ── listings ───────────────────────────────────────────────────────────────

  private listBody(bucketId: string, opts: ListOptions): Record<string, unknown> {
    const body: Record<string, unknown> = {
      bucketId,
      maxFileCount: checkPageSize(opts.pageSize, LIMITS.maxListCount, 1000),
    };
    if (opts.prefix) body.prefix = opts.prefix;
    if (opts.delimiter) body.delimiter = opts.delimiter;
    return body;
  }

  listFileNames(bucketId: string, opts: ListOptions = {}): AsyncIterable<FileVersion> {
    const first = opts.startFileName !== undefined ? { startFileName: opts.startFileName } : null;
    return this.streamList('b2_list_file_names', () => this.listBody(bucketId, opts), first, opts.signal, {
      resumeAt: (f) => ({ startFileName: f.fileName }),
      same: (a, b) => a.fileName === b.fileName,
      next: (rest) => (typeof rest.nextFileName === 'string' ? { startFileName: rest.nextFileName } : null),
    });
  }

  listFileVersions(bucketId: string, opts: ListOptions = {}): AsyncIterable<FileVersion> {
    let first: Record<string, unknown> | null = null;
    if (opts.startFileName !== undefined) {
      first = { startFileName: opts.startFileName };
      if (opts.startFileId !== undefined) first.startFileId = opts.startFileId;
    }
    return this.streamList('b2_list_file_versions', () => this.listBody(bucketId, opts), first, opts.signal, {
      resumeAt: (f) => ({ startFileName: f.fileName, startFileId: f.fileId }),
      same: (a, b) => a.fileName === b.fileName && a.fileId === b.fileId,
      next: (rest) => {
        if (typeof rest.nextFileName !== 'string') return null;
        return typeof rest.nextFileId === 'string' ? { startFileName: rest.nextFileName, startFileId: rest.nextFileId } : { startFileName: rest.nextFileName };
      },
    });
  }

  /**
   * A file listing, page by page, each page's reply read as it arrives (Transport.jsonArray): entries
   * are yielded one network chunk at a time, so memory holds a slice of a page, never a whole
   * 10,000-entry page. A reply cut short after some entries is asked again from the last entry given
   * (B2's start fields are inclusive, so that entry is skipped); such re-asks share the retry count.
   */
  private async *streamList(
    call: string,
    makeBase: () => Record<string, unknown>,
    first: Record<string, unknown> | null,
    signal: AbortSignal | undefined,
    cursor: {
      resumeAt: (f: FileVersion) => Record<string, unknown>;
      same: (a: FileVersion, b: FileVersion) => boolean;
      next: (rest: Record<string, unknown>) => Record<string, unknown> | null;
    },
  ): AsyncGenerator<FileVersion> {
    const base = makeBase(); // checked on first use, like every listing's options
    const sig = this.signal(signal);
    const count: RetryCount = { used: 0 }; // re-asks after a cut body, across the listing
    let start = first;
    let skip: FileVersion | undefined;
    let last: FileVersion | undefined;
    let page: AsyncGenerator<FileVersion[], Record<string, unknown>> | undefined;
    let tries = 0; // requests sent for this page, for the call log
    const nextBatch = async (): Promise<IteratorResult<FileVersion[], Record<string, unknown>>> => {
      if (!page) {
        const text = JSON.stringify(start ? { ...base, ...start } : base);
        const first = tries;
        let req: HttpRequest | undefined;
        const res = await this.withAuth(sig, (auth, attempt, s) => {
          req = this.jsonRequest(call, text, auth, first + attempt, s);
          tries = first + attempt + 1;
          return this.transport.stream(req);
        });
        page = this.transport.jsonArray<FileVersion>(req as HttpRequest, res, 'files');
      }
      return page.next();
    };
    const classify = (err: unknown): RetryVerdict => {
      if (!page) return 'fail'; // the request itself failed: withAuth retried it already
      page = undefined; // a generator that threw is finished (its body destroyed)
      if (last) {
        start = cursor.resumeAt(last);
        skip = last;
      }
      return transientVerdict(err);
    };
    try {
      for (;;) {
        const r = await retrying(nextBatch, { signal: sig, policy: this.retry, count, classify, retryAfter: b2RetryAfter });
        if (r.done) {
          page = undefined;
          last = undefined;
          tries = 0;
          start = cursor.next(r.value);
          if (!start) return;
          continue;
        }
        for (const f of r.value) {
          if (skip) {
            const dup = cursor.same(f, skip);
            skip = undefined;
            if (dup) continue;
          }
          last = f;
          yield f;
        }
      }
    } finally {
      await page?.return(undefined as never);
    }
  }

  // ── hide, delete, info ─────────────────────────────────────────────────────

  async hideFile(bucketId: string, fileName: string, opts: CallOptions = {}): Promise<FileVersion> {
    checkFileName(fileName);
    return this.api<FileVersion>('b2_hide_file', { bucketId, fileName }, opts.signal);
  }

  async deleteFileVersion(fileName: string, fileId: string, opts: CallOptions = {}): Promise<DeleteFileVersionResponse> {
    checkFileName(fileName);
    return this.api<DeleteFileVersionResponse>('b2_delete_file_version', { fileName, fileId }, opts.signal);
  }

  async getFileInfo(fileId: string, opts: CallOptions = {}): Promise<FileVersion> {
    return this.api<FileVersion>('b2_get_file_info', { fileId }, opts.signal);
  }

  // ── downloads ──────────────────────────────────────────────────────────────

  private async fetchDownload(
    call: 'b2_download_file_by_id' | 'b2_download_file_by_name',
    method: 'GET' | 'HEAD',
    makeUrl: (account: AccountInfo) => string,
    opts: DownloadOptions,
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = {};
    if (opts.range) {
      const { start, end } = opts.range;
      if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
        throw new UsageError(`bad byte range ${start}-${end ?? ''}`);
      }
      headers[H.range] = `bytes=${start}-${end ?? ''}`;
    }
    return this.withAuth(opts.signal, (auth, attempt, sig) =>
      this.transport.stream({
        call,
        method,
        url: makeUrl(auth.account),
        headers: { ...headers, authorization: auth.token },
        signal: sig,
        attempt,
        download: method === 'GET',
      }),
    );
  }

  private toDownload(call: string, res: HttpResponse): DownloadResponse {
    try {
      return { ...parseDownloadHeaders(call, res.status, res.headers), body: res.body };
    } catch (err) {
      res.body.destroy();
      throw err;
    }
  }

  async downloadById(fileId: string, opts: DownloadOptions = {}): Promise<DownloadResponse> {
    const call = 'b2_download_file_by_id';
    const res = await this.fetchDownload(call, 'GET', (a) => withQuery(`${a.downloadUrl}/${API}/${call}`, { fileId, ...opts.overrides }), opts);
    return this.toDownload(call, res);
  }

  async downloadByName(bucketName: string, fileName: string, opts: DownloadOptions = {}): Promise<DownloadResponse> {
    checkFileName(fileName);
    const call = 'b2_download_file_by_name';
    const res = await this.fetchDownload(call, 'GET', (a) => withQuery(byNameUrl(a.downloadUrl, bucketName, fileName), { ...opts.overrides }), opts);
    return this.toDownload(call, res);
  }

  async headFileByName(bucketName: string, fileName: string, opts: CallOptions = {}): Promise<Omit<DownloadResponse, 'body'> | undefined> {
    checkFileName(fileName);
    const call = 'b2_download_file_by_name';
    let res: HttpResponse;
    try {
      res = await this.fetchDownload(call, 'HEAD', (a) => byNameUrl(a.downloadUrl, bucketName, fileName), { signal: opts.signal });
    } catch (err) {
      if (err instanceof B2Error && err.notFound) return undefined;
      throw err;
    }
    await res.body.dump().catch(() => undefined);
    return parseDownloadHeaders(call, res.status, res.headers);
  }

  // ── sharing ────────────────────────────────────────────────────────────────

  async getDownloadAuthorization(p: {
    bucketId: string;
    fileNamePrefix: string;
    validDurationInSeconds: number;
    overrides?: Record<string, string>;
  }): Promise<DownloadAuthorization & { validDurationInSeconds: number; clamped: boolean }> {
    const d = clampDownloadDuration(p.validDurationInSeconds);
    const res = await this.api<DownloadAuthorizationResponse>('b2_get_download_authorization', {
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

  async createKey(p: { keyName: string; capabilities: string[]; bucketIds?: string[]; namePrefix?: string; validDurationInSeconds?: number }): Promise<CreateKeyResponse> {
    const account = await this.account();
    const body: Record<string, unknown> = { accountId: account.accountId, keyName: p.keyName, capabilities: p.capabilities };
    if (p.bucketIds && p.bucketIds.length) body.bucketIds = p.bucketIds;
    if (p.namePrefix) body.namePrefix = p.namePrefix;
    if (p.validDurationInSeconds !== undefined) body.validDurationInSeconds = p.validDurationInSeconds;
    return this.api<CreateKeyResponse>('b2_create_key', body);
  }

  async *listKeys(opts: { pageSize?: number; signal?: AbortSignal } = {}): AsyncIterable<ApplicationKey> {
    const account = await this.account();
    const maxKeyCount = checkPageSize(opts.pageSize, 10_000, 1000);
    let start: string | null = null;
    do {
      const body: Record<string, unknown> = { accountId: account.accountId, maxKeyCount };
      if (start !== null) body.startApplicationKeyId = start;
      const res = await this.api<ListKeysResponse>('b2_list_keys', body, opts.signal);
      for (const k of res.keys) yield k;
      start = res.nextApplicationKeyId ?? null;
    } while (start !== null);
  }

  async deleteKey(applicationKeyId: string): Promise<ApplicationKey> {
    return this.api<ApplicationKey>('b2_delete_key', { applicationKeyId });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.uploadUrls.clear();
    this.partUrls.clear();
    await this.transport.close();
  }
}

function rangeValue(start: number, end: number): string {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new UsageError(`bad byte range ${start}-${end}`);
  }
  return `bytes=${start}-${end}`;
}

