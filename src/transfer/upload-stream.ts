/**
 * Upload from a stream of unknown length (stdin). Bytes are read until the stream ends or passes the
 * cutoff: a stream that ends first goes up as one b2_upload_file; a longer one becomes a large file
 * whose parts are cut from the stream one at a time. Memory: the bytes read before the decision
 * (at most max(cutoff, partSize) plus one chunk), then at most partConcurrency+1 parts.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { B2Api } from '../client/api.js';
import { LimitError, UsageError } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';
import type { FileVersion } from '../wire/types.js';
import { completeLargeFile, type PartJob } from './large-upload.js';
import { ProgressTracker } from './progress.js';
import { throwIfAborted } from '../core/abort.js';
import { uploadWhole } from './upload-whole.js';
import { DEFAULTS, type Progress, type TransferTuning } from './types.js';

export interface UploadStreamParams {
  bucketId: string;
  fileName: string;
  stream: Readable;
  contentType?: string;
  info?: Record<string, string>;
  tuning?: TransferTuning;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** A FIFO of chunks from which fixed-size pieces are cut. */
class ChunkQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Remove `n` bytes into one new buffer, hashing them on the way. */
  take(n: number): { data: Buffer; sha1: string } {
    const data = Buffer.allocUnsafe(n);
    const hash = createHash('sha1');
    let off = 0;
    while (off < n) {
      const head = this.chunks[0];
      const want = n - off;
      if (head.length <= want) {
        head.copy(data, off);
        this.chunks.shift();
        off += head.length;
      } else {
        head.copy(data, off, 0, want);
        this.chunks[0] = head.subarray(want);
        off += want;
      }
    }
    this.length -= n;
    hash.update(data);
    return { data, sha1: hash.digest('hex') };
  }

  drain(): Buffer {
    const out = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length);
    this.chunks = [];
    this.length = 0;
    return out;
  }
}

/** The stream read into a ChunkQueue on demand; `ended` once it has no more. */
class StreamPuller {
  readonly queue = new ChunkQueue();
  ended = false;
  private readonly it: AsyncIterator<Buffer | string>;

  constructor(
    stream: Readable,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  }

  /** Read one more chunk into the queue; false when the stream ended. */
  async pull(): Promise<boolean> {
    const r = await this.it.next();
    throwIfAborted(this.signal);
    if (r.done) {
      this.ended = true;
      return false;
    }
    this.queue.push(typeof r.value === 'string' ? Buffer.from(r.value) : r.value);
    return true;
  }
}

/** The parts cut from the stream one at a time, each read only when the uploader asks for it. */
async function* streamParts(src: StreamPuller, partSize: number): AsyncGenerator<PartJob> {
  const queue = src.queue;
  for (let partNumber = 1; ; partNumber++) {
    while (queue.length < partSize && !src.ended && (await src.pull()));
    if (queue.length === 0) return;
    if (partNumber > LIMITS.maxParts) {
      throw new LimitError(
        `the stream is longer than ${LIMITS.maxParts} parts of ${partSize} bytes; pass a bigger part size`,
      );
    }
    const n = Math.min(partSize, queue.length);
    const { data, sha1 } = queue.take(n);
    yield { partNumber, length: n, body: data, sha1 };
  }
}

export async function uploadStream(client: B2Api, p: UploadStreamParams): Promise<FileVersion> {
  throwIfAborted(p.signal);
  const cutoff = Math.min(p.tuning?.largeFileCutoff ?? DEFAULTS.largeFileCutoff, LIMITS.maxSimpleUploadBytes);
  const account = await client.account();
  let partSize = Math.max(p.tuning?.partSize ?? account.recommendedPartSize, account.absoluteMinimumPartSize);
  partSize = Math.min(partSize, LIMITS.maxPartBytes);
  const decideAt = Math.max(cutoff, partSize);

  const onAbort = () => p.stream.destroy();
  p.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const src = new StreamPuller(p.stream, p.signal);
    const queue = src.queue;
    while (queue.length <= decideAt && (await src.pull()));

    const info = { ...p.info };
    if (src.ended) {
      const size = queue.length;
      return uploadWhole(client, p, { body: queue.drain(), size }, info);
    }
    // Not abortable mid-call: a stream cannot be resumed, so a start whose reply is cut off would leave
    // an unfinished file nobody cancels.
    const started = await client.startLargeFile({
      bucketId: p.bucketId,
      fileName: p.fileName,
      contentType: p.contentType,
      info,
    });
    if (!started.fileId) throw new UsageError('b2_start_large_file returned no fileId');
    return await completeLargeFile(client, started.fileId, streamParts(src, partSize), {
      concurrency: p.tuning?.partConcurrency ?? DEFAULTS.partConcurrency,
      signal: p.signal,
      progress: new ProgressTracker(p.onProgress),
      keepOnAbort: false,
    });
  } finally {
    p.signal?.removeEventListener('abort', onAbort);
  }
}
