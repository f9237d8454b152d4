/** Part-size arithmetic for large files: pure, checked against B2's limits before any call. */
import { LimitError, UsageError } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';

export interface PartSizeInput {
  /** Bytes in the whole file. */
  fileSize: number;
  /** The account's recommendedPartSize. */
  recommended: number;
  /** The account's absoluteMinimumPartSize. */
  minimum: number;
  /** A part size asked for by the caller (tuning). */
  requested?: number;
}

/** Refuse a file B2 cannot hold as a large file; the message names the limit. */
export function checkFileSize(fileSize: number): void {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0)
    throw new UsageError(`file size must be a whole number of bytes, got ${fileSize}`);
  if (fileSize > LIMITS.maxFileBytes) {
    throw new LimitError(`${fileSize} bytes is over B2's largest file size of ${LIMITS.maxFileBytes} bytes (10 TB)`);
  }
}

/**
 * The part size for a file: the requested (or recommended) size, never below the minimum, grown so the
 * file fits in 10,000 parts, never above 5 GB.
 */
export function choosePartSize(p: PartSizeInput): number {
  checkFileSize(p.fileSize);
  let size = p.requested ?? p.recommended;
  if (!Number.isSafeInteger(size) || size <= 0)
    throw new UsageError(`part size must be a positive whole number of bytes, got ${size}`);
  size = Math.max(size, p.minimum);
  size = Math.max(size, Math.ceil(p.fileSize / LIMITS.maxParts));
  size = Math.min(size, LIMITS.maxPartBytes);
  if (Math.ceil(p.fileSize / size) > LIMITS.maxParts) {
    throw new LimitError(
      `${p.fileSize} bytes needs more than ${LIMITS.maxParts} parts of at most ${LIMITS.maxPartBytes} bytes`,
    );
  }
  return size;
}

export interface PartRange {
  partNumber: number;
  start: number;
  length: number;
}

export function partCount(fileSize: number, partSize: number): number {
  return Math.max(1, Math.ceil(fileSize / partSize));
}

/** The parts of a file cut at partSize (the last one shorter). */
export function* partRanges(fileSize: number, partSize: number): Generator<PartRange> {
  const n = partCount(fileSize, partSize);
  for (let i = 0; i < n; i++) {
    const start = i * partSize;
    yield { partNumber: i + 1, start, length: Math.min(partSize, fileSize - start) };
  }
}

/**
 * Part size for a file that just crossed the large-file cutoff: B2 may refuse a one-part large file,
 * so a file that would fit one part is cut in two when both halves can meet the minimum's rule
 * (only the last part may be short). Returns undefined when the file is too small for two parts.
 */
export function atLeastTwoParts(fileSize: number, partSize: number, minimum: number): number | undefined {
  if (fileSize > partSize) return partSize;
  const half = Math.max(minimum, Math.ceil(fileSize / 2));
  return half < fileSize ? half : undefined;
}
