/** One b2_upload_file of a whole body, with progress reported as a single part. */
import type { B2Api, ReplayableBody } from '../client/api.js';
import type { FileVersion } from '../wire/types.js';
import { ProgressTracker } from './progress.js';
import type { Progress } from './types.js';

export interface WholeUploadTarget {
  bucketId: string;
  fileName: string;
  contentType?: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** The bytes of one whole upload: a replayable body, its length, and its SHA-1 when known beforehand. */
export interface WholeBody {
  body: ReplayableBody;
  size: number;
  sha1?: string;
}

export async function uploadWhole(
  client: B2Api,
  t: WholeUploadTarget,
  { body, size, sha1 }: WholeBody,
  info: Record<string, string>,
): Promise<FileVersion> {
  const progress = new ProgressTracker(t.onProgress, size);
  const res = await client.uploadFile({
    bucketId: t.bucketId,
    fileName: t.fileName,
    body,
    contentLength: size,
    sha1,
    contentType: t.contentType,
    info,
    signal: t.signal,
    onProgress: (n) => progress.partBytes(1, Math.min(n, size)),
  });
  progress.partDone(1, size);
  return res;
}
