/** The shared large-file engine: parts uploaded (or copied) by a pool of workers, then finished. */
import { IntegrityError, isAbortError } from '../core/errors.js';
import type { B2Api, ReplayableBody } from '../client/api.js';
import type { FileVersion } from '../wire/types.js';
import type { ProgressTracker } from './progress.js';
import { throwIfAborted } from '../core/abort.js';
import { runPool } from './worker-pool.js';

/** One part to send. */
export interface PartJob {
  partNumber: number;
  length: number;
  /** The bytes (replayable); absent for a copied part. */
  body?: ReplayableBody;
  /** Known SHA-1 of the bytes (else hashed inline by the client). */
  sha1?: string;
  /** For a copied part: the source byte range (inclusive end). */
  copy?: { sourceFileId: string; start: number; end: number };
  /** Resume: the SHA-1 an existing part already has, and how to hash the local bytes to compare. */
  existingSha1?: string;
  localSha1?: (signal: AbortSignal) => Promise<string>;
}

/** Send every part with `concurrency` workers; returns the part SHA-1s in part order. */
export async function sendParts(
  client: B2Api,
  fileId: string,
  parts: Iterable<PartJob> | AsyncIterable<PartJob>,
  opts: {
    concurrency: number;
    signal?: AbortSignal;
    progress: ProgressTracker;
    onPartSent?: (partNumber: number) => void;
  },
): Promise<string[]> {
  const sha1s = new Map<number, string>();
  await runPool(parts, opts.concurrency, opts.signal, async (job, signal) => {
    if (job.existingSha1 !== undefined && job.localSha1) {
      const local = await job.localSha1(signal);
      if (local === job.existingSha1) {
        sha1s.set(job.partNumber, local);
        opts.progress.partDone(job.partNumber, job.length);
        return;
      }
    }
    if (job.copy) {
      const part = await client.copyPart({
        sourceFileId: job.copy.sourceFileId,
        largeFileId: fileId,
        partNumber: job.partNumber,
        range: { start: job.copy.start, end: job.copy.end },
        signal,
      });
      sha1s.set(job.partNumber, part.contentSha1);
    } else {
      const part = await client.uploadPart({
        fileId,
        partNumber: job.partNumber,
        body: job.body!,
        contentLength: job.length,
        sha1: job.sha1,
        signal,
        onProgress: (n) => opts.progress.partBytes(job.partNumber, Math.min(n, job.length)),
      });
      sha1s.set(job.partNumber, part.contentSha1);
    }
    opts.progress.partDone(job.partNumber, job.length);
    opts.onPartSent?.(job.partNumber);
  });
  const numbers = [...sha1s.keys()].sort((a, b) => a - b);
  numbers.forEach((n, i) => {
    if (n !== i + 1) throw new Error(`internal: part ${i + 1} missing before finish`);
  });
  return numbers.map((n) => sha1s.get(n)!);
}

/**
 * Send the parts and finish the large file (checking that B2's size for it is the bytes sent). On failure the large file is cancelled, except when the
 * caller aborted and `keepOnAbort` is set (a resumable upload: the next attempt continues it).
 */
export async function completeLargeFile(
  client: B2Api,
  fileId: string,
  parts: Iterable<PartJob> | AsyncIterable<PartJob>,
  opts: { concurrency: number; signal?: AbortSignal; progress: ProgressTracker; keepOnAbort: boolean },
): Promise<FileVersion> {
  let bytes = 0;
  async function* counted(): AsyncGenerator<PartJob> {
    for await (const job of parts) {
      bytes += job.length;
      yield job;
    }
  }
  try {
    const sha1s = await sendParts(client, fileId, counted(), opts);
    throwIfAborted(opts.signal);
    // A finish whose reply was lost is confirmed by the client from b2_get_file_info: check its size too.
    const done = await client.finishLargeFile(fileId, sha1s, { signal: opts.signal });
    if (done.contentLength !== bytes)
      throw new IntegrityError(
        `${done.fileName}: B2 finished ${fileId} with ${done.contentLength} bytes, ${bytes} were sent`,
      );
    return done;
  } catch (err) {
    const aborted = isAbortError(err) || opts.signal?.aborted === true;
    if (!(aborted && opts.keepOnAbort)) {
      await client.cancelLargeFile(fileId).catch(() => undefined);
    }
    throw err;
  }
}
