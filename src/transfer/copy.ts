/** Server-side copy: b2_copy_file up to the large-copy cutoff, else a large file of copied parts. */
import type { B2Api } from '../client/api.js';
import { UsageError } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';
import { isSha1Hex, normalizeSha1 } from '../core/sha1.js';
import { INFO_LARGE_FILE_SHA1 } from '../wire/headers.js';
import type { FileVersion } from '../wire/types.js';
import { completeLargeFile, type PartJob } from './large-upload.js';
import { atLeastTwoParts, choosePartSize, partRanges } from './part-plan.js';
import { ProgressTracker } from './progress.js';
import { throwIfAborted } from '../core/abort.js';
import { DEFAULTS, type Progress, type TransferTuning } from './types.js';

export interface CopyFileParams {
  sourceFileId: string;
  /** Bytes in the source version. */
  sourceSize: number;
  destinationBucketId: string;
  fileName: string;
  /** New content type and info; default: the source's are kept. */
  replace?: { contentType: string; info: Record<string, string> };
  tuning?: TransferTuning & { largeCopyCutoff?: number };
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export async function copyFile(client: B2Api, p: CopyFileParams): Promise<FileVersion> {
  throwIfAborted(p.signal);
  const size = p.sourceSize;
  if (!Number.isSafeInteger(size) || size < 0)
    throw new UsageError(`source size must be a whole number of bytes, got ${size}`);
  const cutoff = Math.min(p.tuning?.largeCopyCutoff ?? DEFAULTS.largeCopyCutoff, LIMITS.maxPartBytes);
  if (size <= cutoff) return copySmall(client, p);

  const account = await client.account();
  const planned = choosePartSize({
    fileSize: size,
    recommended: account.recommendedPartSize,
    minimum: account.absoluteMinimumPartSize,
    requested: p.tuning?.partSize,
  });
  const partSize = atLeastTwoParts(size, planned, account.absoluteMinimumPartSize);
  if (partSize === undefined) return copySmall(client, p);

  // Large copies take the source's type and info explicitly (start_large_file has no COPY directive).
  let contentType: string;
  let info: Record<string, string>;
  if (p.replace) {
    ({ contentType, info } = p.replace);
  } else {
    const src = await client.getFileInfo(p.sourceFileId, { signal: p.signal });
    contentType = src.contentType ?? 'application/octet-stream';
    info = { ...src.fileInfo };
    const whole = normalizeSha1(src.contentSha1);
    if (info[INFO_LARGE_FILE_SHA1] === undefined && whole && isSha1Hex(whole)) info[INFO_LARGE_FILE_SHA1] = whole;
  }
  throwIfAborted(p.signal);
  // Not abortable mid-call: a start whose reply is cut off would leave an unfinished file nobody can cancel.
  const started = await client.startLargeFile({
    bucketId: p.destinationBucketId,
    fileName: p.fileName,
    contentType,
    info,
  });
  const fileId = started.fileId!;
  function* jobs(): Generator<PartJob> {
    for (const r of partRanges(size, partSize!)) {
      yield {
        partNumber: r.partNumber,
        length: r.length,
        copy: { sourceFileId: p.sourceFileId, start: r.start, end: r.start + r.length - 1 },
      };
    }
  }
  return completeLargeFile(client, fileId, jobs(), {
    concurrency: p.tuning?.partConcurrency ?? DEFAULTS.partConcurrency,
    signal: p.signal,
    progress: new ProgressTracker(p.onProgress, size, Math.ceil(size / partSize)),
    keepOnAbort: false,
  });
}

async function copySmall(client: B2Api, p: CopyFileParams): Promise<FileVersion> {
  const progress = new ProgressTracker(p.onProgress, p.sourceSize);
  const res = await client.copyFile({
    sourceFileId: p.sourceFileId,
    fileName: p.fileName,
    destinationBucketId: p.destinationBucketId,
    replace: p.replace,
    signal: p.signal,
  });
  progress.addBytes(p.sourceSize);
  return res;
}

/** Make an older version the newest again: a server-side copy of it to the same name. */
export async function restoreVersion(
  client: B2Api,
  p: { bucketId: string; fileName: string; fileId: string; size: number; signal?: AbortSignal },
): Promise<FileVersion> {
  return copyFile(client, {
    sourceFileId: p.fileId,
    sourceSize: p.size,
    destinationBucketId: p.bucketId,
    fileName: p.fileName,
    signal: p.signal,
  });
}
