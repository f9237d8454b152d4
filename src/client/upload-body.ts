/**
 * One attempt's request body for b2_upload_file / b2_upload_part, made again for every attempt:
 * a Buffer (SHA-1 known or computed up front), a file range read into reused buffers
 * (pooled-file-body.ts) or a reopened stream, the last two hashed inline (hex_digits_at_end).
 */
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { UsageError } from '../core/errors.js';
import { Sha1PassThrough, sha1Hex } from '../core/sha1.js';
import { SHA1_AT_END } from '../wire/headers.js';
import type { ReplayableBody } from './api.js';
import { isFileRangeSource, pooledFileBody } from './pooled-file-body.js';

export interface AttemptBody {
  body: Buffer | Readable | AsyncIterable<Buffer>;
  /** Content-Length to send (+40 with hex_digits_at_end). */
  length: number;
  /** X-Bz-Content-Sha1 value. */
  sha1Header: string;
  /** The SHA-1 of the content, valid once the body was fully sent. */
  sha1(): string;
  /** An error from the body's source (e.g. the file could not be read): not worth a retry. */
  sourceError(): Error | undefined;
  /** Release the source (file handle) whatever happened. */
  dispose(): void;
}

class ProgressCounter extends Transform {
  bytes = 0;
  constructor(private readonly onProgress?: (bytes: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.onProgress?.(this.bytes);
    cb(null, chunk);
  }
}

const PROGRESS_SLICE = 256 * 1024;

export function makeAttemptBody(
  source: ReplayableBody,
  contentLength: number,
  knownSha1: string | undefined,
  onProgress?: (bytes: number) => void,
): AttemptBody {
  if (!Number.isSafeInteger(contentLength) || contentLength < 0)
    throw new UsageError(`contentLength must be a whole number of bytes, got ${contentLength}`);
  if (knownSha1 !== undefined && !/^[0-9a-f]{40}$/.test(knownSha1))
    throw new UsageError(`sha1 must be 40 lower-case hex digits, got ${JSON.stringify(knownSha1)}`);
  if (Buffer.isBuffer(source)) {
    if (source.length !== contentLength)
      throw new UsageError(`body is ${source.length} bytes but contentLength is ${contentLength}`);
    return bufferBody(source, knownSha1, onProgress);
  }
  if (isFileRangeSource(source)) {
    if (source.length !== contentLength)
      throw new UsageError(`file range is ${source.length} bytes but contentLength is ${contentLength}`);
    const b = pooledFileBody(source, knownSha1 === undefined, onProgress);
    return {
      body: b.chunks,
      length: contentLength + (knownSha1 === undefined ? 40 : 0),
      sha1Header: knownSha1 ?? SHA1_AT_END,
      sha1: () => knownSha1 ?? b.sha1(),
      sourceError: b.sourceError,
      dispose: b.dispose,
    };
  }
  if (typeof source !== 'function')
    throw new UsageError('upload body must be a Buffer, a file range or a function that opens the bytes again');
  return streamBody(source(), contentLength, knownSha1, onProgress);
}

/** A Buffer body: its SHA-1 known or computed now; sent in slices through a counter when progress is asked. */
function bufferBody(source: Buffer, knownSha1: string | undefined, onProgress?: (bytes: number) => void): AttemptBody {
  const sha = knownSha1 ?? sha1Hex(source);
  let body: Buffer | Readable = source;
  if (onProgress) {
    onProgress(0);
    body = Readable.from(
      (function* () {
        for (let i = 0; i < source.length; i += PROGRESS_SLICE) yield source.subarray(i, i + PROGRESS_SLICE);
      })(),
      { objectMode: false },
    ).pipe(new ProgressCounter(onProgress));
  }
  return {
    body,
    length: source.length,
    sha1Header: sha,
    sha1: () => sha,
    sourceError: () => undefined,
    dispose: () => {
      if (body instanceof Readable) body.destroy();
    },
  };
}

/** A stream reopened for this attempt: counted, and hashed inline (hex_digits_at_end) unless the SHA-1 is known. */
function streamBody(
  src: Readable,
  contentLength: number,
  knownSha1: string | undefined,
  onProgress?: (bytes: number) => void,
): AttemptBody {
  let srcErr: Error | undefined;
  src.once('error', (e: Error) => {
    srcErr ??= e;
  });
  const counter = new ProgressCounter(onProgress);
  onProgress?.(0);
  const hasher = knownSha1 === undefined ? new Sha1PassThrough(true) : undefined;
  const out: Readable = hasher ? pipeline(src, counter, hasher, () => {}) : pipeline(src, counter, () => {});
  return {
    body: out,
    length: contentLength + (hasher ? 40 : 0),
    sha1Header: knownSha1 ?? SHA1_AT_END,
    sha1: () => knownSha1 ?? hasher!.digest(),
    sourceError: () => srcErr,
    dispose: () => {
      src.destroy();
      out.destroy();
    },
  };
}
