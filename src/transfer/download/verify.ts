/**
 * SHA-1 checks of downloads: the expected SHA-1 is X-Bz-Content-Sha1, or for large files ("none") the
 * large_file_sha1 info; "unverified:" is stripped. A mismatch (or a wrong length) is an IntegrityError,
 * which downloadToFile treats as retryable: the file is fetched again.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IntegrityError } from '../../core/errors.js';
import { isSha1Hex, normalizeSha1 } from '../../core/sha1.js';
import { INFO_LARGE_FILE_SHA1 } from '../../wire/headers.js';

/** The SHA-1 the downloaded bytes must have, if B2 knows one. */
export function expectedSha1(r: { contentSha1: string; info: Record<string, string> }): string | undefined {
  const direct = normalizeSha1(r.contentSha1);
  if (direct && isSha1Hex(direct)) return direct;
  const large = normalizeSha1(r.info[INFO_LARGE_FILE_SHA1]);
  if (large && isSha1Hex(large)) return large;
  return undefined;
}

/** Throw IntegrityError unless `digest` is `expected` (nothing to check when B2 has no SHA-1). */
export function checkDigest(expected: string | undefined, digest: string | undefined, label: string): void {
  if (expected !== undefined && digest !== expected) {
    throw new IntegrityError(`${label}: downloaded bytes have SHA-1 ${digest}, B2 says ${expected}`);
  }
}

/** Throw IntegrityError unless the finished temp file has the `expected` length. */
export function checkLength(expected: number, size: number, label: string): void {
  if (size !== expected) throw new IntegrityError(`${label}: downloaded ${size} bytes, B2 says ${expected}`);
}

/** Hashes a whole-file body and fails at the end if it does not match. */
export class VerifyingStream extends Transform {
  private readonly hash = createHash('sha1');
  constructor(
    private readonly expected: string,
    private readonly label: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const got = this.hash.digest('hex');
    cb(
      got === this.expected
        ? null
        : new IntegrityError(`${this.label}: downloaded bytes have SHA-1 ${got}, B2 says ${this.expected}`),
    );
  }
}
