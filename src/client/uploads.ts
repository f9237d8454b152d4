/**
 * Uploads (b2_upload_file, b2_upload_part): each attempt takes an upload URL from the core's pools (or
 * a fresh one), sends a body made again for that attempt and checks the SHA-1 B2 reports.
 */
import { B2Error, IntegrityError, UsageError } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';
import { normalizeSha1 } from '../core/sha1.js';
import { H } from '../wire/headers.js';
import { b2Encode } from '../wire/names.js';
import type { FileVersion, Part, PartUploadUrlResponse, UploadUrlResponse } from '../wire/types.js';
import type { UploadFileParams, UploadPartParams } from './api.js';
import type { ClientCore } from './core.js';
import { b2RetryAfter, retrying, type RetryVerdict } from './retry.js';
import { makeAttemptBody } from './upload-body.js';
import { throttledBody } from '../core/bandwidth.js';
import type { UploadSlot, UploadUrlPool } from './upload-url-pool.js';
import { checkFileMetadata, checkPartNumber } from './validate.js';

/**
 * What an upload failure allows (b2-api.md §6.2): every retry takes a fresh upload URL; a refused
 * upload token (401) or a busy URL (auth_token_limit) is retried at once, other retryableUpload
 * failures after the backoff; anything else (a source error, a SHA-1 mismatch) is final.
 */
export function uploadVerdict(err: unknown): RetryVerdict {
  if (!(err instanceof B2Error) || !err.retryableUpload) return 'fail';
  return err.status === 401 || err.code === 'auth_token_limit' ? 'retry-now' : 'retry';
}

/**
 * Refused upload tokens (401) an upload may meet before they count against --retries: tokens expire
 * together (B2 expires them, the emulator's expire-tokens control too), so URLs handed back to the pool
 * by uploads in flight can be stale one after the other. Bounded, so a key that can never upload fails.
 */
const FREE_UPLOAD_TOKEN_REFUSALS = 3;

/** Where an upload goes: the call, the pool (and key) of its URLs, how to get a new URL, its headers. */
interface UploadTarget {
  call: 'b2_upload_file' | 'b2_upload_part';
  pool: UploadUrlPool;
  poolKey: string;
  getUrl: (sig: AbortSignal | undefined) => Promise<UploadSlot>;
  headers: Record<string, string>;
}

/** What one upload sends: the body (made again for every attempt), its length and SHA-1, progress, signal. */
interface UploadPayload {
  body: UploadFileParams['body'];
  contentLength: number;
  sha1?: string;
  onProgress?: (n: number) => void;
  signal?: AbortSignal;
}

/**
 * Send a body to an upload URL from `pool` (or a fresh one from `getUrl`); a URL is never shared by
 * two uploads at once, is given back after a success, and is dropped after any failure.
 */
async function uploadWithPool<T extends { contentSha1: string | null }>(
  core: ClientCore,
  target: UploadTarget,
  p: UploadPayload,
): Promise<T> {
  const { pool, poolKey, getUrl } = target;
  const sig = core.signal(p.signal);
  let sending = false;
  const attemptOnce = async (attempt: number): Promise<T> => {
    sending = false;
    let slot = pool.take(poolKey);
    if (!slot) {
      slot = await getUrl(sig); // an authorized call, retried on its own
      core.rememberUploadToken(slot.authorizationToken);
    }
    sending = true;
    return sendToSlot<T>(core, target, p, slot, { attempt, sig });
  };
  let freeRefusals = FREE_UPLOAD_TOKEN_REFUSALS;
  return retrying(attemptOnce, {
    signal: sig,
    policy: core.retry,
    retryAfter: b2RetryAfter,
    classify: (err) => {
      if (!sending) return 'fail';
      const verdict = uploadVerdict(err);
      if (verdict !== 'retry-now' || (err as B2Error).status !== 401) return verdict;
      pool.drop(poolKey); // the other pooled tokens are likely stale too
      // A token that expired in the pool is no fault of this upload: the first few cost no retry.
      return freeRefusals-- > 0 ? 'again' : verdict;
    },
  });
}

/** One attempt on one upload URL: send the body, check B2's SHA-1, give the URL back after a success. */
async function sendToSlot<T extends { contentSha1: string | null }>(
  core: ClientCore,
  target: UploadTarget,
  p: UploadPayload,
  slot: UploadSlot,
  at: { attempt: number; sig: AbortSignal | undefined },
): Promise<T> {
  const { call, headers } = target;
  const body = makeAttemptBody(p.body, p.contentLength, p.sha1, p.onProgress);
  try {
    const res = await core.transport.json<T>({
      call,
      method: 'POST',
      url: slot.uploadUrl,
      headers: {
        ...headers,
        authorization: slot.authorizationToken,
        [H.contentLength]: String(body.length),
        [H.contentSha1]: body.sha1Header,
      },
      body: throttledBody(body.body), // --bwlimit (core/bandwidth.ts)
      signal: at.sig,
      attempt: at.attempt,
    });
    const sent = body.sha1();
    const got = normalizeSha1(res.contentSha1);
    if (got !== sent) {
      throw new IntegrityError(
        `${call}: B2 reports SHA-1 ${res.contentSha1} for ${headers[H.fileName] ?? target.poolKey}, but ${sent} was sent`,
      );
    }
    target.pool.give(target.poolKey, slot);
    return res;
  } catch (err) {
    throw body.sourceError() ?? err; // a source that cannot be read is not worth a retry
  } finally {
    body.dispose();
  }
}

export async function uploadFile(core: ClientCore, p: UploadFileParams): Promise<FileVersion> {
  const info = p.info ?? {};
  checkFileMetadata(p.fileName, info);
  if (p.contentLength > LIMITS.maxSimpleUploadBytes) {
    throw new UsageError(
      `${p.contentLength} bytes is over B2's ${LIMITS.maxSimpleUploadBytes}-byte simple-upload limit: use a large file`,
    );
  }
  const headers: Record<string, string> = {
    [H.fileName]: b2Encode(p.fileName),
    [H.contentType]: p.contentType ?? 'b2/x-auto',
  };
  for (const [k, v] of Object.entries(info)) headers[`X-Bz-Info-${k}`] = b2Encode(v);
  return uploadWithPool<FileVersion>(
    core,
    {
      call: 'b2_upload_file',
      pool: core.uploadUrls,
      poolKey: p.bucketId,
      getUrl: (sig) => core.api<UploadUrlResponse>('b2_get_upload_url', { bucketId: p.bucketId }, sig),
      headers: headers,
    },
    p,
  );
}

export async function uploadPart(core: ClientCore, p: UploadPartParams): Promise<Part> {
  checkPartNumber(p.partNumber);
  if (p.contentLength > LIMITS.maxPartBytes)
    throw new UsageError(`part ${p.partNumber} is over B2's ${LIMITS.maxPartBytes}-byte part limit`);
  return uploadWithPool<Part>(
    core,
    {
      call: 'b2_upload_part',
      pool: core.partUrls,
      poolKey: p.fileId,
      getUrl: (sig) => core.api<PartUploadUrlResponse>('b2_get_upload_part_url', { fileId: p.fileId }, sig),
      headers: { [H.partNumber]: String(p.partNumber) },
    },
    p,
  );
}
